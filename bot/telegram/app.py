"""The Telegram application: ``build_application(settings, services)`` and ``skillbot run``.

``build_application`` wires handlers, the typed context, per-chat ordering, flood control and
outgoing limits (notice delivery has a Bot of its own, without them), but never starts polling;
only the update types some handler acts on are requested (``ALLOWED_UPDATES``).
``run_from_cli`` loads the engine, then runs long polling (default) or a webhook whose requests
must carry the secret token (else 403).  PTB's ``run_polling``/``run_webhook`` stop gracefully
on SIGINT and SIGTERM.  A token Telegram refuses
(exit 2), a Bot API that cannot be reached or answers nonsense at start, or a database that
cannot be used (exit 1) ends it with one line, no traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from telegram import Bot, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    BaseHandler,
    ContextTypes,
    TypeHandler,
)
from telegram.request import HTTPXRequest

from bot.settings import Settings, SettingsError
from bot.telegram import menus, texts, webhook
from bot.telegram.budget import SendBudget
from bot.telegram.context import BotContext, Services, install, services_of, settings_of
from bot.telegram.formatting import TokenRedactingFilter, install_token_filter
from bot.telegram.handlers import (
    admin,
    callbacks,
    chat,
    commands,
    errors,
    feedback,
    groups,
    handoff,
    inline,
    notices,
    privacy,
    teach,
)
from bot.telegram.handlers.replies import thread_of
from bot.telegram.polling import UpdatesRequest
from bot.telegram.throttle import ChatOrderedProcessor, RetryingRateLimiter

logger = logging.getLogger(__name__)

MAX_CONCURRENT_UPDATES = 256
DEDUPE_GROUP = -100
# What the handlers act on: new messages (commands, questions, migrations), button presses and
# inline queries.  Nothing else is requested from Telegram (edits, reactions, member changes…).
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
CONNECT_TIMEOUT, READ_TIMEOUT, WRITE_TIMEOUT, POOL_TIMEOUT = 10.0, 15.0, 15.0, 10.0
START_ATTEMPTS = 5
T = TypeVar("T")


def build_application(
    settings: Settings, services: Services
) -> Application[Any, Any, Any, Any, Any, Any]:
    """Build the bot's Application (handlers registered; nothing started)."""
    processor = ChatOrderedProcessor(MAX_CONCURRENT_UPDATES)
    services.budget = services.budget or SendBudget(services.store, settings.notify_rate)
    application = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_base_file_url)
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(processor)
        .rate_limiter(RetryingRateLimiter(budget=services.budget))
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .write_timeout(WRITE_TIMEOUT)
        .pool_timeout(POOL_TIMEOUT)
        .get_updates_request(UpdatesRequest(connection_pool_size=1, read_timeout=35))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    install(application, settings, services)

    processor.counts = _counts_for_flood
    processor.wanted = lambda update: is_handled(application, update)
    processor.on_flood = lambda update: _send_flood_notice(application, update)

    errors.register(application)
    groups.register(application)
    commands.register(application)
    privacy.register(application)
    admin.register(application)
    handoff.register(application)
    teach.register(application)
    # Notices go out through a Bot of their own: the application's rate limiter would retry a
    # 429 inside send_message, past the deliverer's lease (and its 429 pause).
    notices.register(
        application,
        bot=make_delivery_bot(settings) if settings.delivery else None,
        budget=services.budget,
    )
    commands.register_fallback(application)
    callbacks.register(application)
    inline.register(application)
    feedback.register(application)
    chat.register(application)
    return application


def make_delivery_bot(settings: Settings) -> Bot:
    """A plain Bot for notice delivery: the application's token, server and timeouts, no rate
    limiter (the deliverer paces itself and handles 429 itself)."""
    request = HTTPXRequest(
        connection_pool_size=16,
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        write_timeout=WRITE_TIMEOUT,
        pool_timeout=POOL_TIMEOUT,
    )
    return Bot(
        settings.token,
        base_url=settings.api_base_url,
        base_file_url=settings.api_base_file_url,
        request=request,
    )


async def _post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Load the engine (jieba, catalogue) and register the command menus before updates flow."""
    services_of(application).engine.warm_up()
    staff = settings_of(application).staff_chat
    await menus.install_menus(application, staff_chats=[staff] if staff is not None else [])


async def _post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Give back the notices this instance holds; close the delivery bot's connections."""
    deliverer = services_of(application).deliverer
    if deliverer is not None:
        await deliverer.close()
        if isinstance(deliverer.bot, Bot):
            await deliverer.bot.shutdown()


def is_handled(application: Application[Any, Any, Any, Any, Any, Any], update: Update) -> bool:
    """Whether any handler would act on ``update`` (the dedupe step does not count)."""
    for group, handlers in application.handlers.items():
        if group in (DEDUPE_GROUP, teach.REFRESH_GROUP):
            continue
        for handler in handlers:
            if _matches(handler, update):
                return True
    return False


def _matches(handler: BaseHandler[Any, Any, Any], update: Update) -> bool:
    check = handler.check_update(update)
    return check is not None and check is not False


def _counts_for_flood(update: Update) -> bool:
    """What the bot would answer counts against its sender: messages and edits addressed to
    it, button presses and inline queries."""
    if update.callback_query is not None or update.inline_query is not None:
        return True
    message = update.message or update.edited_message
    return message is not None and groups.addresses_bot(message)


async def _send_flood_notice(
    application: Application[Any, Any, Any, Any, Any, Any], update: Update
) -> None:
    """Tell a flooding sender once to slow down (in the topic, or on the pressed button)."""
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts.FLOOD_NOTICE)
            return
        chat = update.effective_chat
        if chat is None:
            return
        await application.bot.send_message(
            chat.id, texts.FLOOD_NOTICE, message_thread_id=thread_of(update.effective_message)
        )
    except TelegramError as error:
        logger.warning("could not send the flood notice: %s", error)


async def skip_duplicate(update: Update, context: BotContext) -> None:
    """Stop an update another instance already handled (webhook retries, several instances).

    The update is marked before it is handled, so handling is at most once: an instance that
    dies mid-update leaves it unanswered rather than answered twice.
    """
    first = await asyncio.to_thread(context.services.store.mark_update_processed, update.update_id)
    if not first:
        logger.info("update %s already handled elsewhere; skipped", update.update_id)
        raise ApplicationHandlerStop


def configure_logging(settings: Settings) -> None:
    """Log to stderr at INFO, httpx quiet, the token and webhook secret redacted everywhere."""
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # The scheduler's "Running job …" lines, twice every delivery interval, say nothing.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("telegram.ext").addFilter(_bootstrap_failure_without_traceback)
    install_token_filter(settings.token, settings.webhook_secret, settings.web_token)


def _bootstrap_failure_without_traceback(record: logging.LogRecord) -> bool:
    """PTB logs a failed start (getMe, setWebhook) with a traceback; ``run_from_cli`` explains
    it in one line, so keep the log line and drop the traceback."""
    message = record.getMessage()
    if record.exc_info and message.startswith("Network Retry Loop (Bootstrap"):
        record.msg = f"{message} ({type(record.exc_info[1]).__name__})"
        record.args = None
        record.exc_info = None
        record.exc_text = None
    return True


def run_from_cli(args: argparse.Namespace) -> int:
    """Run the bot: long polling, or ``--webhook URL`` listening on ``--listen``:``--port``
    (with ``--web-port``, the lookup page too, in the same process).

    Every failure to start is one line and an exit code: 2 for a setting or a token Telegram
    refuses, 1 for a database or a Bot API that cannot be used (each retried with backoff
    first when the failure may pass: a server restarting, a lock held for a moment).
    """
    web_port = getattr(args, "web_port", None)
    web_listen = getattr(args, "web_listen", "127.0.0.1")
    try:
        settings = Settings.from_env()
        if args.webhook:
            _check_webhook_url(args.webhook)
        if web_port is not None:
            from bot.web.server import check_listen

            check_listen(settings, web_listen)
            if args.webhook and web_port == args.port:
                raise SettingsError("--web-port 不能与 --port 相同（网页和 webhook 各用一个端口）")
    except SettingsError as error:
        print(f"skillbot run: {error}", file=sys.stderr)
        return 2
    configure_logging(settings)

    from bot.store.health import DATABASE_ERRORS, explain
    from bot.store.resilient import ResilientStore
    from nlp.engine import get_engine

    engine = get_engine()
    engine.warm_up()
    try:
        store = retry_at_start(lambda: ResilientStore(settings.database_url), DATABASE_ERRORS)
    except DATABASE_ERRORS as error:
        print(f"skillbot run: {explain(error, settings.database_url)}", file=sys.stderr)
        return 1
    application = build_application(settings, Services(engine=engine, store=store))
    if web_port is not None:
        serve_web_inside(application, web_listen, web_port)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(initialize(application))  # getMe: one line when it fails
        if args.webhook:
            application.add_handler(TypeHandler(Update, skip_duplicate), group=DEDUPE_GROUP)
            loop.run_until_complete(
                webhook.serve(
                    application,
                    listen=args.listen,
                    port=args.port,
                    path=urlsplit(args.webhook).path,
                    url=args.webhook,
                    secret=settings.webhook_secret,
                    allowed_updates=ALLOWED_UPDATES,
                )
            )
        else:
            application.run_polling(allowed_updates=ALLOWED_UPDATES)
    except InvalidToken:
        print("skillbot run: Telegram 拒绝了 TELEGRAM_BOT_TOKEN（无效或已撤销）", file=sys.stderr)
        return 2
    except NetworkError as error:
        print(f"skillbot run: {unreachable_message(settings, error)}", file=sys.stderr)
        return 1
    except UnexpectedAnswer as error:
        print(f"skillbot run: {error}", file=sys.stderr)
        return 1
    except DATABASE_ERRORS as error:
        print(f"skillbot run: {explain(error, settings.database_url)}", file=sys.stderr)
        return 1
    except OSError as error:  # a port already in use (--port, --web-port)
        print(
            f"skillbot run: 无法监听端口（{error.strerror or error}）；"
            "请换一个端口或停止占用它的程序",
            file=sys.stderr,
        )
        return 1
    finally:
        store.close()
        if not loop.is_closed():
            loop.close()
    return 0


def serve_web_inside(
    application: Application[Any, Any, Any, Any, Any, Any], listen: str, port: int
) -> None:
    """``skillbot run --web-port``: the lookup page on the bot's own event loop, started once
    the bot is initialised (same engine, same database)."""
    from bot.web.server import WebServices, start

    bot_init = application.post_init

    async def post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        if bot_init is not None:
            await bot_init(app)
        services = services_of(app)
        start(WebServices(settings_of(app), services.engine, services.store), listen, port)

    application.post_init = post_init


class UnexpectedAnswer(RuntimeError):
    """The Bot API answered ``getMe`` with something that is not a bot."""


async def initialize(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Initialise the application (``getMe``, retried by the rate limiter for a minute on 5xx
    and network errors); an answer of the wrong shape is :class:`UnexpectedAnswer`."""
    try:
        await application.initialize()
    except (InvalidToken, NetworkError):
        raise
    except (TelegramError, TypeError, KeyError, ValueError, AttributeError) as error:
        raise UnexpectedAnswer(
            f"Telegram Bot API 对 getMe 的回答无法识别（{type(error).__name__}）；"
            "请检查 TELEGRAM_API_BASE_URL 是否指向 Bot API 服务器"
        ) from None
    if not application.bot.bot.is_bot:
        raise UnexpectedAnswer("getMe 返回的不是机器人账号；请检查 TELEGRAM_BOT_TOKEN")


def retry_at_start(
    make: Callable[[], T],
    errors: tuple[type[BaseException], ...],
    *,
    attempts: int = START_ATTEMPTS,
    first_delay: float = 1.0,
) -> T:
    """``make()``, retried with backoff (1, 2, 4, 8 s) while it fails with a failure that may
    pass (a refused connection, a lock); a lasting one (corrupt, missing, read-only) at once."""
    from bot.store.health import one_line

    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return make()
        except errors as error:
            if attempt == attempts or not _may_pass(error):
                raise
            logger.warning("start: %s; retry %d in %.0f s", one_line(error), attempt, delay)
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


def _may_pass(error: BaseException) -> bool:
    text = str(error).lower()
    return any(
        words in text
        for words in ("connection refused", "database is locked", "timeout", "starting up")
    )


def unreachable_message(settings: Settings, error: Exception) -> str:
    """One line, Chinese and English, for a Bot API that cannot be reached (token redacted)."""
    parts = urlsplit(settings.api_base_url)
    server = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"  # no user:password@
    detail = " ".join(str(error).split())
    detail = TokenRedactingFilter([settings.token, settings.webhook_secret]).redact(detail)
    return (
        f"无法连接 Telegram Bot API（{server}）：{detail}；请检查网络、代理或 "
        f"TELEGRAM_API_BASE_URL / cannot reach the Telegram Bot API at {server}"
    )


def _check_webhook_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(
            f"--webhook 应为公开的 https 地址，如 https://example.com/skillbot：{url!r}"
        )
    if parts.scheme == "http":
        logger.warning("Telegram only delivers webhooks to https URLs")
