"""The lookup page's JSON API over HTTP: lookup by every form, ask with follow-ups in a session,
misses logged for the report, taught names picked up, tokens, Telegram Mini App initData, and
refusing to listen beyond 127.0.0.1 without a token."""

from __future__ import annotations

import argparse
import json
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from bot.settings import Settings
from bot.store.people import People
from bot.web.auth import init_data_signature
from bot.web.server import web_cli
from tests.web.conftest import BOT_TOKEN, WEB_TOKEN, WebServer


def get(server: WebServer, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(server.url + path, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
            kind = response.headers.get("Content-Type", "")
            return response.status, json.loads(body) if "json" in kind else body.decode()
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_page_is_small_self_contained_and_safe(web: WebServer) -> None:
    status, page = get(web, "/")
    assert status == 200 and "autofocus" in page and 'src="/static/app.js"' in page
    assert "http://" not in page and "https://" not in page  # nothing loaded from elsewhere
    total = len(page.encode())
    for asset in ("/static/app.js", "/static/app.css"):
        status, body = get(web, asset)
        assert status == 200 and "http" not in body.replace("https://web.telegram.org", "")
        total += len(body.encode())
    assert total < 100_000
    with urllib.request.urlopen(web.url + "/") as response:
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("typed", ["焊工", "电焊工", "6-18-02-04", "6180204", "hangong", "hg"])
def test_lookup_finds_the_welder(web: WebServer, typed: str) -> None:
    status, body = get(web, "/api/lookup?q=" + quote(typed))
    first = body["results"][0]
    assert status == 200 and first["name"] == "焊工"
    assert first["amounts"]["技师"] == 3850 and first["amounts"]["高级技师"] == 4730
    assert first["min_hours"]["技师"] == 56 and first["shortage"] is True
    assert set(first) >= {"kind", "category", "code", "online_over_40", "citation", "text"}
    assert len(body["results"]) <= 20


def test_ask_keeps_follow_ups_and_logs_misses(web: WebServer) -> None:
    _, first = get(web, "/api/ask?" + urlencode({"q": "焊工技师补贴多少", "session": "s1"}))
    assert "3850" in first["answer"] and first["understood"]
    _, follow = get(web, "/api/ask?" + urlencode({"q": "那高级技师呢", "session": "s1"}))
    assert "4730" in follow["answer"]
    _, ambiguous = get(web, "/api/ask?" + urlencode({"q": "钳工补贴", "session": "s2"}))
    payload = ambiguous["choices"][0]["payload"]
    _, chosen = get(web, "/api/ask?" + urlencode({"choice": payload, "session": "s2"}))
    assert "装配钳工" in chosen["answer"]
    _, missed = get(web, "/api/ask?" + urlencode({"q": "宇航员补贴多少"}))
    assert not missed["understood"]
    rows = {r.text: r for r in People(web.services.store).unanswered()}
    assert rows["宇航员补贴多少"].channels == {"web": 1}


def test_names_taught_elsewhere_answer_within_a_second(web: WebServer) -> None:
    People(web.services.store).teach("铁裁缝", "q6180204", "焊工", "7", "test")
    deadline = time.monotonic() + 3
    while True:
        _, body = get(web, "/api/lookup?q=" + quote("铁裁缝"))
        if body["results"] and body["results"][0]["name"] == "焊工":
            break
        assert time.monotonic() < deadline, body
        time.sleep(0.2)  # the page refreshes taught names at most once a second
    web.services.engine.teach({})


def test_a_token_is_required_when_set(web_with_token: WebServer) -> None:
    assert get(web_with_token, "/")[0] == 200  # the page itself asks for the token
    status, body = get(web_with_token, "/api/lookup?q=hg")
    assert status == 401 and WEB_TOKEN not in json.dumps(body)
    assert get(web_with_token, "/api/lookup?q=hg", {"Authorization": "Bearer wrong"})[0] == 401
    ok = get(web_with_token, "/api/lookup?q=hg", {"Authorization": f"Bearer {WEB_TOKEN}"})
    assert ok[0] == 200 and ok[1]["results"][0]["name"] == "焊工"


def _init_data(user_id: int, auth_date: float, token: str = BOT_TOKEN) -> str:
    fields = {"auth_date": str(int(auth_date)), "user": json.dumps({"id": user_id})}
    return urlencode({**fields, "hash": init_data_signature(fields, token)})


def test_mini_app_requests_need_telegrams_signature_and_staff(web_with_token: WebServer) -> None:
    now = time.time()
    admin = {"Authorization": "tma " + _init_data(777, now)}
    assert get(web_with_token, "/api/lookup?q=hg", admin)[0] == 200
    forged = {"Authorization": "tma " + _init_data(777, now, token="1:other")}
    assert get(web_with_token, "/api/lookup?q=hg", forged)[0] == 401
    old = {"Authorization": "tma " + _init_data(777, now - 3 * 86400)}
    assert get(web_with_token, "/api/lookup?q=hg", old)[0] == 401
    # not an admin, and no staff chat to be a member of: staff-only page says no
    stranger = {"Authorization": "tma " + _init_data(12345, now)}
    assert get(web_with_token, "/api/lookup?q=hg", stranger)[0] == 401


def test_refuses_to_listen_beyond_localhost_without_a_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SKILLBOT_WEB_TOKEN", raising=False)
    assert web_cli(argparse.Namespace(listen="0.0.0.0", port=0)) == 2
    assert "SKILLBOT_WEB_TOKEN" in capsys.readouterr().err
    assert Settings.from_env({"SKILLBOT_WEB_TOKEN": WEB_TOKEN}, require_token=False).web_token


def test_the_page_runs_inside_the_bot(fake_telegram: Any, tmp_path: Any) -> None:
    from tests.telegram.conftest import BotProcess, free_port

    port = free_port()
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    bot = BotProcess(fake_telegram, url, tmp_path / "bot.log", "--web-port", str(port))
    bot.start()
    try:
        bot.wait_for_log("lookup page on http://127.0.0.1")
        server = WebServer(f"http://127.0.0.1:{port}", None)  # type: ignore[arg-type]
        status, body = get(server, "/api/lookup?q=hg")
        assert status == 200 and body["results"][0]["name"] == "焊工"
    finally:
        bot.stop()


def test_a_busy_web_port_is_one_line_and_exit_1(fake_telegram: Any, tmp_path: Any) -> None:
    import socket

    from tests.telegram.conftest import BotProcess

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
        bot = BotProcess(fake_telegram, url, tmp_path / "bot.log", "--web-port", str(port))
        bot.launch()
        assert bot.process is not None
        code = bot.process.wait(60)
        bot.stop(check=False)
    assert code == 1
    assert "无法监听端口" in bot.log() and "Traceback" not in bot.log()
