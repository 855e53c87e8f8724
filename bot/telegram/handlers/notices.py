"""Group notices in the chat: ``/subscribe``, ``/unsubscribe``, ``/notify`` and the delivery job.

``register(application)`` adds the handlers and schedules :class:`bot.telegram.delivery.Deliverer`
on the JobQueue.  In a group only its administrators may (un)subscribe it (checked with
getChatMember); in a private chat a person subscribes themself.  ``/notify`` is for the user ids
listed in ``SKILLBOT_ADMINS`` and only in a private chat; one /notify message queues one notice
however often it is handled (its chat and message id are the notice's ``request_key``).  Only
new messages are commands: an edited /notify or /subscribe does nothing.  Subscriptions follow a
group upgraded to a supergroup.  「退订」 in a private chat (every private notice's last line says
so) stops that person's notices.  The admin who sent /notify gets one message, edited as the
counts change (已送达 N / 失败 M / 等待 K) until nothing is left to send.

The store and the settings (``SKILLBOT_ADMINS``, ``SKILLBOT_DELIVERY``, ``SKILLBOT_NOTIFY_RATE``,
``SKILLBOT_DELIVERY_INTERVAL``) are the application's own, reached through :class:`BotContext`.
The deliverer sends with a Bot of its own, without the application's rate limiter: that limiter
would retry a 429 inside ``send_message``, past the deliverer's lease, and another deliverer
could send the same notice again.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from dataclasses import dataclass
from typing import Any, cast

from telegram import Bot, Message, Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot.render import notice_counts
from bot.store.health import DATABASE_ERRORS
from bot.store.state import TOPIC_ALL, TOPICS, NoticeStatus
from bot.telegram import texts
from bot.telegram.context import BotContext, services_of, settings_of
from bot.telegram.delivery import Deliverer, MessageSender
from bot.telegram.formatting import NoticeTextError, check_notice_text
from bot.telegram.handlers.replies import is_not_modified, send_html, thread_of

log = logging.getLogger(__name__)

_ADMIN_STATUSES = {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}
_GROUP_TYPES = {ChatType.GROUP, ChatType.SUPERGROUP}
_MIGRATION_GROUP = 1  # its own handler group, so that it runs whatever else handles the update


# --- texts -------------------------------------------------------------------------------------

TOPIC_LIST = "、".join(TOPICS)
USAGE_TOPICS = f"可选主题：{TOPIC_LIST}（默认 {TOPIC_ALL}，即所有通知）。"
NOT_ADMIN = "只有本群管理员可以订阅或退订通知。"
ADMIN_CHECK_FAILED = "暂时无法确认你是否是本群管理员（连接 Telegram 出错），请稍后再试。"
UNKNOWN_TOPIC = "不认识的主题：{topics}。" + USAGE_TOPICS
SUBSCRIBED = "已订阅通知，主题：{topics}。\n新的培训目录、报名截止、政策变化会发到{where}。"
UNSUBSCRIBED = "已退订全部通知。需要时发送 /subscribe 重新订阅。"
UNSUBSCRIBED_SOME = "已退订：{dropped}。仍订阅：{topics}。"
NOT_SUBSCRIBED = "当前没有订阅通知。发送 /subscribe 订阅。"
NOTIFY_USAGE = "用法：/notify [主题] 通知内容\n" + USAGE_TOPICS
NOTIFY_PRIVATE_ONLY = "请在与机器人的私聊中使用 /notify。"
NOTIFY_DENIED = "只有管理人员可以发送通知。"
NOTIFY_QUEUED = "通知 #{notice_id} 已排队：{count} 个订阅（主题 {topic}）。"
# How long the admin's progress message follows a notice before pointing to the CLI.
PROGRESS_SECONDS = 3600.0


def _topics(args: list[str]) -> tuple[list[str], list[str]]:
    """Split command arguments into known topics and unknown words (，、 also separate)."""
    words = [w for arg in args for w in arg.replace("，", ",").replace("、", ",").split(",") if w]
    known = [w for w in words if w in TOPICS]
    return known, [w for w in words if w not in TOPICS]


async def _may_manage(update: Update, context: BotContext) -> bool | None:
    """True in a private chat, or for an administrator (or the anonymous admin) of the group;
    None when Telegram could not say (getChatMember failed, after the limiter's retries)."""
    chat, message, user = update.effective_chat, update.effective_message, update.effective_user
    if chat is None or message is None:
        return False
    if chat.type == ChatType.PRIVATE:
        return True
    if chat.type not in _GROUP_TYPES:
        return False
    if message.sender_chat is not None and message.sender_chat.id == chat.id:
        return True  # an anonymous administrator posts as the group itself
    if user is None:
        return False
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as error:
        log.warning("getChatMember failed in chat %s: %s", chat.id, error)
        return None
    return member.status in _ADMIN_STATUSES


async def _reply(update: Update, text: str) -> None:
    """Answer in the message's chat (and forum topic), split like every other reply."""
    message = update.effective_message
    if message is not None:
        await send_html(
            message.get_bot(), message.chat_id, html.escape(text), thread_id=thread_of(message)
        )


async def _allowed_topics(update: Update, context: BotContext) -> list[str] | None:
    """The topics named in a (un)subscribe command, or None after telling the user why not."""
    may = await _may_manage(update, context) if update.effective_chat is not None else False
    if may is None:
        await _reply(update, ADMIN_CHECK_FAILED)
        return None
    if not may:
        await _reply(update, NOT_ADMIN)
        return None
    known, unknown = _topics(list(context.args or []))
    if unknown:
        await _reply(update, UNKNOWN_TOPIC.format(topics="、".join(unknown)))
        return None
    return known


async def subscribe(update: Update, context: BotContext) -> None:
    """Subscribe this group (administrators only) or this person to notices."""
    chat = update.effective_chat
    known = await _allowed_topics(update, context)
    if chat is None or known is None:
        return
    info = await asyncio.to_thread(context.services.store.subscribe, chat.id, chat.type, known)
    where = "这里" if chat.type == ChatType.PRIVATE else "本群"
    await _reply(update, SUBSCRIBED.format(topics="、".join(info.topics), where=where))


async def unsubscribe(update: Update, context: BotContext) -> None:
    """Unsubscribe this group (administrators only) or this person, from some or all topics."""
    chat = update.effective_chat
    known = await _allowed_topics(update, context)
    if chat is None or known is None:
        return
    info = await asyncio.to_thread(context.services.store.unsubscribe, chat.id, known)
    if info is None:
        await _reply(update, NOT_SUBSCRIBED)
    elif info.active:
        await _reply(
            update,
            UNSUBSCRIBED_SOME.format(dropped="、".join(known), topics="、".join(info.topics)),
        )
    else:
        await _reply(update, UNSUBSCRIBED)


async def notify(update: Update, context: BotContext) -> None:
    """Queue a notice (staff in ``SKILLBOT_ADMINS``, private chat): ``/notify [主题] 内容``."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or user is None or message is None:
        return
    if chat.type != ChatType.PRIVATE:
        await _reply(update, NOTIFY_PRIVATE_ONLY)
        return
    if not context.settings.is_admin(user.id):
        await _reply(update, NOTIFY_DENIED)
        return
    # The text after the command (any whitespace ends it), line breaks kept (context.args
    # would lose them).
    words = (message.text or "").split(None, 1)
    body = words[1].strip() if len(words) > 1 else ""
    topic = TOPIC_ALL
    first_and_rest = body.split(None, 1)
    if len(first_and_rest) == 2 and first_and_rest[0] in TOPICS:
        topic, body = first_and_rest[0], first_and_rest[1].strip()
    if not body:
        await _reply(update, NOTIFY_USAGE)
        return
    try:
        body = check_notice_text(body)
    except NoticeTextError as error:
        await _reply(update, str(error))
        return
    # Handled twice (redelivered, another instance), the same message queues one notice and
    # gets the same answer.
    request_key = f"tg:{chat.id}:{message.message_id}"
    store = context.services.store
    notice_id, count = await asyncio.to_thread(
        store.queue_notice, body, topic, None, f"tg:{user.id}", request_key=request_key
    )
    if count == 0:
        await _reply(update, texts.NOTIFY_NOBODY.format(notice_id=notice_id, topic=topic))
        return
    status = await asyncio.to_thread(store.notice_status, notice_id)
    assert status is not None
    queued = NOTIFY_QUEUED.format(notice_id=notice_id, count=count, topic=topic)
    progress = await send_html(
        context.bot,
        chat.id,
        html.escape(queued + "\n" + notice_counts(status)),
        thread_id=thread_of(message),
    )
    job_queue = context.application.job_queue
    if progress is not None and job_queue is not None:
        loop = asyncio.get_running_loop()
        job_queue.run_repeating(
            cast(Any, refresh_progress),  # JobQueue's context type is the application's
            interval=context.settings.delivery_interval,
            first=context.settings.delivery_interval,
            data=Progress(chat.id, progress.message_id, notice_id, loop.time() + PROGRESS_SECONDS),
            name=f"notice-{notice_id}-progress",
        )


@dataclass
class Progress:
    """The admin's message that follows one notice's delivery."""

    chat_id: int
    message_id: int
    notice_id: int
    until: float  # loop time after which it stops following
    shown: str = ""


def progress_text(status: NoticeStatus, *, final: bool = False) -> str:
    """The admin's progress message: 已送达 N / 失败 M / 等待 K, and whether it is done."""
    template = texts.NOTIFY_DONE if status.done else texts.NOTIFY_PROGRESS
    if final and not status.done:
        template = texts.NOTIFY_STILL_GOING
    return template.format(
        notice_id=status.notice_id, topic=status.topic, counts=notice_counts(status)
    )


async def refresh_progress(context: BotContext) -> None:
    """JobQueue callback: edit the admin's message when the counts changed; stop once nothing
    is left to send (or after ``PROGRESS_SECONDS``, pointing to ``skillbot notify status``)."""
    job = context.job
    assert job is not None and isinstance(job.data, Progress)
    progress = job.data
    try:
        status = await asyncio.to_thread(context.services.store.notice_status, progress.notice_id)
    except DATABASE_ERRORS as error:  # the database is down: try again at the next run
        outage = getattr(context.services.store, "outage", None)
        if outage is not None:
            outage.failed(error)
        return
    if status is None:
        job.schedule_removal()
        return
    final = status.done or asyncio.get_running_loop().time() > progress.until
    text = progress_text(status, final=final)
    if final:
        job.schedule_removal()
    if text == progress.shown:
        return
    try:
        await context.bot.edit_message_text(
            html.escape(text), progress.chat_id, progress.message_id, parse_mode=ParseMode.HTML
        )
        progress.shown = text
    except BadRequest as error:
        if not is_not_modified(error):  # the message is gone: nothing left to follow
            log.warning("progress of notice %s: %s", progress.notice_id, error)
            job.schedule_removal()
    except TelegramError as error:  # a network blip: try again at the next run
        log.warning("progress of notice %s: %s", progress.notice_id, error)


async def opt_out(update: Update, context: BotContext) -> None:
    """「退订」 in a private chat: stop every notice to this person."""
    chat = update.effective_chat
    if chat is None:
        return
    info = await asyncio.to_thread(context.services.store.unsubscribe, chat.id, [])
    await _reply(update, UNSUBSCRIBED if info is not None else NOT_SUBSCRIBED)


async def follow_migration(update: Update, context: BotContext) -> None:
    """Move a group's context and subscription when it becomes a supergroup.

    Telegram sends two service messages (``migrate_to_chat_id`` in the old group,
    ``migrate_from_chat_id`` in the new supergroup); only the first is acted on, by this one
    handler (``Store.migrate_chat`` is idempotent and race-safe anyway).
    """
    message = update.message
    if message is None or not message.migrate_to_chat_id:
        return
    old, new = message.chat.id, message.migrate_to_chat_id
    await asyncio.to_thread(context.services.store.migrate_chat, old, new)
    log.info("group %s migrated to supergroup %s", old, new)


class _MigratedTo(filters.MessageFilter):
    """The service message in the old group saying where it moved."""

    def filter(self, message: Message) -> bool:
        return bool(message.migrate_to_chat_id)


MIGRATED_TO = _MigratedTo(name="MigratedTo")


def register(
    application: Application[Any, BotContext, Any, Any, Any, Any],
    *,
    bot: Bot | None = None,
    **deliverer_options: Any,
) -> Deliverer | None:
    """Add the notice handlers and schedule outbox delivery on the JobQueue.

    The store and the settings are the application's (:func:`~bot.telegram.context.install`).
    ``bot`` sends the notices (default ``application.bot``); it must not retry 429s itself, so
    an application bot with a rate limiter is refused: pass a plain ``Bot``
    (``build_application`` does).  ``deliverer_options`` go to :class:`Deliverer` (tests scale
    the limits down).  Returns the deliverer, also kept as ``services.deliverer`` (``None``
    when ``SKILLBOT_DELIVERY=0``).
    """
    settings, services = settings_of(application), services_of(application)
    # New messages only: an edited command is not a new request.
    new_message = filters.UpdateType.MESSAGE
    groups_and_private = new_message & (filters.ChatType.GROUPS | filters.ChatType.PRIVATE)
    application.add_handler(CommandHandler("subscribe", subscribe, filters=groups_and_private))
    application.add_handler(CommandHandler("unsubscribe", unsubscribe, filters=groups_and_private))
    application.add_handler(CommandHandler("notify", notify, filters=new_message))
    # 「退订」, as every private notice's last line says (before private text is a question).
    words = "|".join(map(re.escape, texts.OPT_OUT_WORDS))
    application.add_handler(
        MessageHandler(
            new_message
            & filters.ChatType.PRIVATE
            & filters.Regex(re.compile(rf"^\s*(?:{words})\s*[。.!！]?\s*$")),
            opt_out,
        )
    )
    application.add_handler(
        MessageHandler(new_message & MIGRATED_TO, follow_migration), group=_MIGRATION_GROUP
    )
    if not settings.delivery:
        return None
    if application.job_queue is None:
        raise RuntimeError(
            "notice delivery needs PTB's JobQueue: install python-telegram-bot[job-queue]"
        )
    if bot is None:
        if getattr(application.bot, "rate_limiter", None) is not None:
            raise ValueError(
                "the application's bot retries 429s in its rate limiter: pass bot= a plain Bot"
            )
        bot = application.bot
    deliverer_options.setdefault("messages_per_second", settings.notify_rate)
    deliverer_options.setdefault("sender", settings.notice_sender)
    deliverer_options.setdefault("budget", services.budget)
    deliverer = Deliverer(cast(MessageSender, bot), services.store, **deliverer_options)
    services.deliverer = deliverer
    application.job_queue.run_repeating(
        deliverer.job,
        interval=settings.delivery_interval,
        first=settings.delivery_interval,
        name="notice-delivery",
    )
    return deliverer
