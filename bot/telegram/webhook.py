"""Webhook mode: a small tornado server that checks the secret before it reads a body.

PTB's own webhook server buffers every request body (up to tornado's 100 MB) before it looks at
the ``X-Telegram-Bot-Api-Secret-Token`` header, and logs a malformed update in full at CRITICAL.
Here the header is checked as soon as the request line and headers arrive (403, body never
read), a body is capped at ``MAX_BODY_BYTES`` (Telegram's updates are a few KB; 413 beyond), and
a malformed update is logged in one line with its size and dropped (200, so that Telegram does
not send it again and again).  :func:`serve` runs the application around it: initialise, start,
``setWebhook``, wait for SIGINT/SIGTERM, stop.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from http import HTTPStatus
from typing import Any

import tornado.web
from telegram import Update
from telegram.ext import Application
from tornado.httpserver import HTTPServer

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1 << 20
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@tornado.web.stream_request_body
class UpdateHandler(tornado.web.RequestHandler):
    """One POST from Telegram: secret first, then at most ``MAX_BODY_BYTES`` of JSON."""

    SUPPORTED_METHODS = ("POST",)

    def initialize(
        self, bot_application: Application[Any, Any, Any, Any, Any, Any], secret: str
    ) -> None:
        """Per request: the application whose queue takes the update, and the secret."""
        self.bot_application, self.secret = bot_application, secret
        self.chunks: list[bytes] = []
        self.size = 0

    def prepare(self) -> None:
        """Refuse a request without the secret or with too large a body before reading it."""
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            self.set_status(HTTPStatus.FORBIDDEN)
            self.finish()
            return
        declared = self.request.headers.get("Content-Length", "0")
        if not declared.isascii() or not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
            self.set_status(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            self.finish()
            return
        connection = self.request.connection
        if connection is not None and hasattr(connection, "set_max_body_size"):
            connection.set_max_body_size(MAX_BODY_BYTES)

    def data_received(self, chunk: bytes) -> None:
        """Collect the body, never more than the cap."""
        self.size += len(chunk)
        if self.size > MAX_BODY_BYTES:
            raise tornado.web.HTTPError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        self.chunks.append(chunk)

    async def post(self) -> None:
        """Queue the update (a malformed one is logged in one line and dropped)."""
        body = b"".join(self.chunks)
        try:
            data = json.loads(body)
            update = Update.de_json(data, self.bot_application.bot)
            if update is None:
                raise ValueError("empty update")
        except Exception as error:  # anything the JSON or the update parser may raise
            log.warning(
                "malformed webhook update dropped (%d bytes, %s)", len(body), type(error).__name__
            )
            self.set_status(HTTPStatus.OK)
            return
        await self.bot_application.update_queue.put(update)
        self.set_status(HTTPStatus.OK)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """One line, never the request (its headers hold the secret)."""
        log.warning("webhook request failed: %s", value)


def make_server(
    application: Application[Any, Any, Any, Any, Any, Any], path: str, secret: str
) -> HTTPServer:
    """The HTTP server for ``path`` (bodies capped before tornado buffers them)."""
    shared = {"bot_application": application, "secret": secret}
    app = tornado.web.Application(
        [(rf"/{path.strip('/')}/?", UpdateHandler, shared)], log_function=lambda handler: None
    )
    # The cap is set per request in ``prepare`` (after the secret is checked, so that a
    # stranger gets a 403 rather than a dropped connection); nothing is buffered before it.
    return HTTPServer(app, max_buffer_size=MAX_BODY_BYTES * 2)


async def serve(
    application: Application[Any, Any, Any, Any, Any, Any],
    *,
    listen: str,
    port: int,
    path: str,
    url: str,
    secret: str,
    allowed_updates: list[str],
) -> None:
    """Run ``application`` behind the webhook until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        server = make_server(application, path, secret)
        server.listen(port, address=listen)
        try:
            await application.bot.set_webhook(
                url, secret_token=secret, allowed_updates=allowed_updates
            )
            await application.start()
            try:
                await stop.wait()
            finally:
                await application.stop()
                if application.post_stop is not None:
                    await application.post_stop(application)
        finally:
            server.stop()
            await server.close_all_connections()
    finally:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
