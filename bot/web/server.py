"""``skillbot web``: the hotline's lookup page and its JSON API, served by tornado (already
installed with python-telegram-bot's webhooks), on the same engine and database as the bot.

``GET /`` — the page (static files of ``bot/web/static``: no code or font from elsewhere);
``GET /api/lookup?q=…`` — matching entries as cards, best first, at most 20;
``GET /api/ask?q=…&session=…`` (or ``choice=…`` for a choice's payload) — the chat's answer, a
session keeping follow-ups.  Questions the page misses are logged (channel ``web``) for
``skillbot report unanswered``; names staff taught are picked up within a second.  Listening
beyond 127.0.0.1 needs ``SKILLBOT_WEB_TOKEN`` (the server refuses to start otherwise); see
:mod:`bot.web.auth` for who may call the API.  ``skillbot run --web-port`` serves the same
inside the bot's process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import signal
import sys
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import tornado.web

from bot.render import as_text
from bot.settings import Settings, SettingsError
from bot.store.health import DATABASE_ERRORS, one_line
from bot.web.auth import bearer_ok, is_loopback, verify_init_data

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
MAX_QUERY = 200
MAX_SESSIONS = 5000
TAUGHT_REFRESH_SECONDS = 1.0
_SESSION_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'self' https://web.telegram.org https://*.telegram.org"
)


class WebServices:
    """What the page's handlers use: the engine, the store, sessions, the staff check."""

    def __init__(self, settings: Settings, engine: Any, store: Any) -> None:
        from bot.store.people import People
        from bot.taught import TaughtNames
        from bot.telegram.staff import StaffCheck
        from nlp.lookup import Lookup

        self.settings = settings
        self.engine = engine
        self.store = store
        self.lookup = Lookup(engine)
        self.taught = TaughtNames(engine, People(store))
        self.staff = StaffCheck()
        self.sessions: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._refreshed = 0.0
        self._bot: Any = None

    async def refresh_taught(self) -> None:
        """Pick up names staff taught (one small query, at most once a second, off the event
        loop; while the database is down the names already known stay)."""
        now = time.monotonic()
        if now - self._refreshed >= TAUGHT_REFRESH_SECONDS:
            self._refreshed = now
            try:
                await asyncio.to_thread(self.taught.refresh)
            except DATABASE_ERRORS as error:
                logger.warning("taught names not refreshed: %s", one_line(error))

    def context_of(self, session: str) -> dict[str, Any] | None:
        """A session's conversation (kept in memory, the oldest forgotten first)."""
        found = self.sessions.get(session)
        if found is not None:
            self.sessions.move_to_end(session)
        return found

    def keep(self, session: str, context: dict[str, Any]) -> None:
        """Remember a session's conversation."""
        self.sessions[session] = context
        self.sessions.move_to_end(session)
        while len(self.sessions) > MAX_SESSIONS:
            self.sessions.popitem(last=False)

    @property
    def bot(self) -> Any:
        """A Bot for the staff check of Mini App users (getChatMember)."""
        if self._bot is None:
            from telegram import Bot

            self._bot = Bot(self.settings.token, base_url=self.settings.api_base_url)
        return self._bot


class _Base(tornado.web.RequestHandler):
    def initialize(self, services: WebServices) -> None:
        self.services = services

    def set_default_headers(self) -> None:
        self.set_header("Content-Security-Policy", CSP)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.finish_json({"error": self._reason}, status_code)

    def finish_json(self, body: dict[str, Any], status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(body, ensure_ascii=False))

    async def allowed(self) -> bool:
        """Whether this API request may be answered (see bot.web.auth); 401 otherwise."""
        settings = self.services.settings
        header = self.request.headers.get("Authorization", "")
        if header.lower().startswith("tma "):
            user = verify_init_data(header[4:].strip(), settings.token)
            if user is not None and (
                not settings.web_staff_only
                or await self.services.staff.is_staff(self.services.bot, settings, user.id)
            ):
                return True
        elif not settings.web_token or bearer_ok(header, settings.web_token):
            return True
        self.set_header("WWW-Authenticate", 'Bearer realm="skillbot"')
        self.finish_json({"error": "unauthorized"}, 401)
        return False

    def query(self) -> str:
        return self.get_query_argument("q", "")[:MAX_QUERY]


class PageHandler(_Base):
    """GET /: the page."""

    def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-cache")
        self.finish((STATIC / "index.html").read_bytes())


class StaticHandler(tornado.web.StaticFileHandler):
    """The page's script and style, with the page's security headers."""

    def set_default_headers(self) -> None:
        self.set_header("Content-Security-Policy", CSP)
        self.set_header("X-Content-Type-Options", "nosniff")


class LookupHandler(_Base):
    """GET /api/lookup?q=…: matching entries as cards."""

    async def get(self) -> None:
        if not await self.allowed():
            return
        await self.services.refresh_taught()
        cards = self.services.lookup.search(self.query())
        self.finish_json({"results": [card.as_json() for card in cards]})


class AskHandler(_Base):
    """GET /api/ask?q=…&session=…: the chat's answer, follow-ups kept per session."""

    async def get(self) -> None:
        if not await self.allowed():
            return
        services = self.services
        await services.refresh_taught()
        session = self.get_query_argument("session", "")
        if not _SESSION_RE.fullmatch(session):
            session = ""
        context = services.context_of(session) if session else None
        choice = self.get_query_argument("choice", "")[:64]
        text = self.query()
        if choice:
            reply = services.engine.choose(choice, context)
        else:
            reply = services.engine.answer(text, context)
            if not reply.understood and text.strip():
                try:
                    await asyncio.to_thread(services.store.log_question, text, "unanswered", "web")
                except DATABASE_ERRORS as error:  # the answer matters more than the log
                    logger.warning("miss not logged: %s", one_line(error))
        if session:
            services.keep(session, reply.context)
        self.finish_json(
            {
                "answer": as_text(reply, with_choices=False),
                "headline": reply.headline,
                "understood": reply.understood,
                "choices": [{"label": c.label, "payload": c.payload} for c in reply.choices],
                "session": session,
            }
        )


def make_app(services: WebServices) -> tornado.web.Application:
    """The page and its API."""
    args = {"services": services}
    return tornado.web.Application(
        [
            (r"/", PageHandler, args),
            (r"/api/lookup", LookupHandler, args),
            (r"/api/ask", AskHandler, args),
            (r"/static/(app\.js|app\.css)", StaticHandler, {"path": str(STATIC)}),
        ],
        compress_response=True,
        log_function=_log_request,
    )


def _log_request(handler: tornado.web.RequestHandler) -> None:
    """One line per request without its query string: questions never reach the log."""
    request = handler.request
    logger.info(
        "%s %s %d %.0fms",
        request.method,
        request.path,
        handler.get_status(),
        request.request_time() * 1000,
    )


def check_listen(settings: Settings, listen: str) -> None:
    """Refuse to listen beyond this machine without ``SKILLBOT_WEB_TOKEN``."""
    if not is_loopback(listen) and not settings.web_token:
        raise SettingsError(
            f"查询页面要监听 {listen}（非本机）必须设置 SKILLBOT_WEB_TOKEN；"
            "或者用默认的 --listen 127.0.0.1"
        )


def start(services: WebServices, listen: str, port: int) -> Any:
    """Listen on the running asyncio loop; the tornado HTTP server."""
    server = make_app(services).listen(port, address=listen, xheaders=False)
    logger.info("lookup page on http://%s:%s/", listen, port)
    return server


def web_cli(args: argparse.Namespace) -> int:
    """Run ``skillbot web [--listen ADDR] [--port N]`` until SIGINT/SIGTERM."""
    try:
        settings = Settings.from_env(require_token=False)
        check_listen(settings, args.listen)
    except SettingsError as error:
        print(f"skillbot web: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO
    )
    from bot.store.resilient import ResilientStore
    from bot.telegram.formatting import install_token_filter
    from nlp.engine import get_engine

    install_token_filter(settings.token, settings.web_token)
    engine = get_engine()
    engine.warm_up()
    store = ResilientStore(settings.database_url)

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        server = start(WebServices(settings, engine, store), args.listen, args.port)
        await stop.wait()
        server.stop()

    try:
        asyncio.run(serve())
    finally:
        store.close()
    return 0
