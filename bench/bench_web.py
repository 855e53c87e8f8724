"""The lookup page's speed, in-process on this machine: ``/api/lookup`` and ``/api/ask`` over
HTTP on 127.0.0.1 (a keep-alive connection to the tornado server in a thread of its own), and
the page's first load.  Targets: lookup p99 ≤ 5 ms, ask p99 ≤ 10 ms, first load < 100 KB.

    python bench/bench_web.py
"""

from __future__ import annotations

import asyncio
import http.client
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.settings import Settings
from bot.store.state import Store
from bot.web.server import WebServices, start
from nlp.engine import get_engine

LOOKUPS = ["焊", "焊工", "hg", "hangong", "6-18", "6180204", "茶艺", "cys", "电工", "4139900"]
QUESTIONS = [
    "焊工技师补贴多少",
    "那高级技师呢",
    "茶艺师可以线上培训吗",
    "车工是紧缺工种吗",
    "IYB补贴多少",
]
ROUNDS = 200


def p99(samples: list[float]) -> float:
    return sorted(samples)[int(len(samples) * 0.99) - 1]


def main() -> None:
    engine = get_engine()
    engine.warm_up()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/bench.sqlite3")
        services = WebServices(Settings(token=""), engine, store)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        ready = threading.Event()

        def serve() -> None:
            async def run() -> None:
                start(services, "127.0.0.1", port)
                ready.set()
                await asyncio.Event().wait()

            asyncio.run(run())

        threading.Thread(target=serve, daemon=True).start()
        ready.wait(10)
        conn = http.client.HTTPConnection("127.0.0.1", port)

        def get(path: str) -> bytes:
            conn.request("GET", path)
            return conn.getresponse().read()

        size = sum(len(get(p)) for p in ("/", "/static/app.js", "/static/app.css"))
        for name, paths in (
            ("lookup", [f"/api/lookup?q={quote(q)}" for q in LOOKUPS]),
            ("ask", [f"/api/ask?session=b&q={quote(q)}" for q in QUESTIONS]),
        ):
            for path in paths:
                get(path)  # warm
            samples = []
            for _ in range(ROUNDS):
                for path in paths:
                    t = time.perf_counter()
                    get(path)
                    samples.append((time.perf_counter() - t) * 1000)
            print(
                f"/api/{name}: p99 {p99(samples):.2f} ms, mean {statistics.mean(samples):.2f} ms"
                f" ({len(samples)} requests)"
            )
        print(f"first load (page, script, style, uncompressed): {size / 1024:.1f} KB")
        store.close()


if __name__ == "__main__":
    main()
