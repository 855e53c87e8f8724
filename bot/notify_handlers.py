"""Group notices in the chat: ``/subscribe``, ``/unsubscribe``, ``/notify`` and the delivery job.

``register(application)`` adds the handlers and schedules :class:`bot.delivery.Deliverer` on the
JobQueue.  In a group only its administrators may (un)subscribe it (checked with getChatMember);
in a private chat a person subscribes themself.  ``/notify`` is for the user ids listed in
``SKILLBOT_ADMINS`` and only in a private chat.  Subscriptions follow a group upgraded to a
supergroup.

Environment (read once, in :class:`NotifySettings`): ``SKILLBOT_ADMINS`` (comma-separated user
ids), ``SKILLBOT_DELIVERY`` (``0`` turns delivery off on this instance),
``SKILLBOT_NOTIFY_RATE`` (messages per second for this instance; default Telegram's 30 — divide
it between instances that deliver), ``SKILLBOT_DELIVERY_INTERVAL`` (seconds between outbox polls).
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
from dataclasses import dataclass, replace
from typing import Any

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from bot.delivery import TELEGRAM_MESSAGES_PER_SECOND, Deliverer
from bot.settings import parse_admins
from knowledge.state import TOPIC_ALL, TOPICS, Store

log = logging.getLogger(__name__)

STORE_KEY = "store"
DELIVERER_KEY = "notice_deliverer"
_ADMIN_STATUSES = {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}
_GROUP_TYPES = {ChatType.GROUP, ChatType.SUPERGROUP}
_MIGRATION_GROUP = 1  # its own handler group, so that it runs whatever else handles the update


@dataclass(frozen=True)
class NotifySettings:
    """Settings of the notice feature, from the environment."""

    admins: frozenset[int] = frozenset()
    delivery: bool = True
    messages_per_second: float = TELEGRAM_MESSAGES_PER_SECOND
    interval: float = 2.0

    @classmethod
    def from_env(cls) -> NotifySettings:
        """Read ``SKILLBOT_ADMINS``, ``SKILLBOT_DELIVERY``, ``SKILLBOT_NOTIFY_RATE`` and
        ``SKILLBOT_DELIVERY_INTERVAL``."""
        admins = parse_admins(os.environ.get("SKILLBOT_ADMINS", ""))
        delivery = os.environ.get("SKILLBOT_DELIVERY", "1").strip().lower() not in {
            "0",
            "false",
            "no",
            "off",
        }
        rate = float(os.environ.get("SKILLBOT_NOTIFY_RATE") or TELEGRAM_MESSAGES_PER_SECOND)
        interval = float(os.environ.get("SKILLBOT_DELIVERY_INTERVAL") or 2.0)
        return cls(admins, delivery, rate, interval)


# --- texts -------------------------------------------------------------------------------------

TOPIC_LIST = "、".join(TOPICS)
USAGE_TOPICS = f"可选主题：{TOPIC_LIST}（默认 {TOPIC_ALL}，即所有通知）。"
NOT_ADMIN = "只有本群管理员可以订阅或退订通知。"
UNKNOWN_TOPIC = "不认识的主题：{topics}。" + USAGE_TOPICS
SUBSCRIBED = "已订阅通知，主题：{topics}。\n新的培训目录、报名截止、政策变化会发到{where}。"
UNSUBSCRIBED = "已退订全部通知。需要时发送 /subscribe 重新订阅。"
UNSUBSCRIBED_SOME = "已退订：{dropped}。仍订阅：{topics}。"
NOT_SUBSCRIBED = "当前没有订阅通知。发送 /subscribe 订阅。"
NOTIFY_USAGE = "用法：/notify [主题] 通知内容\n" + USAGE_TOPICS
NOTIFY_PRIVATE_ONLY = "请在与机器人的私聊中使用 /notify。"
NOTIFY_DENIED = "只有管理人员可以发送通知。"
NOTIFY_QUEUED = "通知 #{notice_id} 已排队：{count} 个订阅（主题 {topic}）。"


def _store(context: ContextTypes.DEFAULT_TYPE) -> Store:
    store = context.application.bot_data[STORE_KEY]
    assert isinstance(store, Store)
    return store


def _settings(context: ContextTypes.DEFAULT_TYPE) -> NotifySettings:
    settings = context.application.bot_data[NotifySettings.__name__]
    assert isinstance(settings, NotifySettings)
    return settings


def _topics(args: list[str]) -> tuple[list[str], list[str]]:
    """Split command arguments into known topics and unknown words (，、 also separate)."""
    words = [w for arg in args for w in arg.replace("，", ",").replace("、", ",").split(",") if w]
    known = [w for w in words if w in TOPICS]
    return known, [w for w in words if w not in TOPICS]


async def _may_manage(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """True in a private chat, or for an administrator (or the anonymous admin) of the group."""
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
        return False
    return member.status in _ADMIN_STATUSES


async def _reply(update: Update, text: str) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text(html.escape(text), parse_mode=ParseMode.HTML)


async def _allowed_topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> list[str] | None:
    """The topics named in a (un)subscribe command, or None after telling the user why not."""
    if update.effective_chat is None or not await _may_manage(update, context):
        await _reply(update, NOT_ADMIN)
        return None
    known, unknown = _topics(list(context.args or []))
    if unknown:
        await _reply(update, UNKNOWN_TOPIC.format(topics="、".join(unknown)))
        return None
    return known


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Subscribe this group (administrators only) or this person to notices."""
    chat = update.effective_chat
    known = await _allowed_topics(update, context)
    if chat is None or known is None:
        return
    info = await asyncio.to_thread(_store(context).subscribe, chat.id, chat.type, known)
    where = "这里" if chat.type == ChatType.PRIVATE else "本群"
    await _reply(update, SUBSCRIBED.format(topics="、".join(info.topics), where=where))


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Unsubscribe this group (administrators only) or this person, from some or all topics."""
    chat = update.effective_chat
    known = await _allowed_topics(update, context)
    if chat is None or known is None:
        return
    info = await asyncio.to_thread(_store(context).unsubscribe, chat.id, known)
    if info is None:
        await _reply(update, NOT_SUBSCRIBED)
    elif info.active:
        await _reply(
            update,
            UNSUBSCRIBED_SOME.format(dropped="、".join(known), topics="、".join(info.topics)),
        )
    else:
        await _reply(update, UNSUBSCRIBED)


async def notify(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Queue a notice (staff in ``SKILLBOT_ADMINS``, private chat): ``/notify [主题] 内容``."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or user is None or message is None:
        return
    if chat.type != ChatType.PRIVATE:
        await _reply(update, NOTIFY_PRIVATE_ONLY)
        return
    if user.id not in _settings(context).admins:
        await _reply(update, NOTIFY_DENIED)
        return
    # The text after the command, line breaks kept (context.args would lose them).
    body = (message.text or "").partition(" ")[2].strip() if message.text else ""
    topic = TOPIC_ALL
    first, _, rest = body.partition(" ")
    if first in TOPICS and rest.strip():
        topic, body = first, rest.strip()
    if not body:
        await _reply(update, NOTIFY_USAGE)
        return
    notice_id, count = await asyncio.to_thread(
        _store(context).queue_notice, body, topic, None, f"tg:{user.id}"
    )
    await _reply(update, NOTIFY_QUEUED.format(notice_id=notice_id, count=count, topic=topic))


async def follow_migration(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Move a group's subscription and context when it becomes a supergroup."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    await asyncio.to_thread(_store(context).migrate_chat, old, new)


def register(
    application: Application[Any, Any, Any, Any, Any, Any],
    store: Store | None = None,
    *,
    settings: NotifySettings | None = None,
    **deliverer_options: Any,
) -> Deliverer | None:
    """Add the notice handlers and schedule outbox delivery on the JobQueue.

    ``settings`` default to the environment, with the admins of the bot's own settings
    (``bot_data["settings"]``) when it has them.  ``store`` defaults to
    ``application.bot_data["store"]`` or a new :class:`Store`.  ``deliverer_options`` go to
    :class:`Deliverer` (tests scale the limits down).  Returns the deliverer (``None`` when
    ``SKILLBOT_DELIVERY=0``).
    """
    if settings is None:
        settings = NotifySettings.from_env()
        bot_settings = application.bot_data.get("settings")  # bot.settings.Settings, if any
        if bot_settings is not None and hasattr(bot_settings, "admins"):
            settings = replace(settings, admins=frozenset(bot_settings.admins))
    if store is None:
        store = application.bot_data.get(STORE_KEY) or Store()
    application.bot_data.setdefault(STORE_KEY, store)
    application.bot_data[NotifySettings.__name__] = settings
    groups_and_private = filters.ChatType.GROUPS | filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("subscribe", subscribe, filters=groups_and_private))
    application.add_handler(CommandHandler("unsubscribe", unsubscribe, filters=groups_and_private))
    application.add_handler(CommandHandler("notify", notify))
    application.add_handler(
        MessageHandler(filters.StatusUpdate.MIGRATE, follow_migration), group=_MIGRATION_GROUP
    )
    if not settings.delivery:
        return None
    if application.job_queue is None:
        raise RuntimeError(
            "notice delivery needs PTB's JobQueue: install python-telegram-bot[job-queue]"
        )
    deliverer_options.setdefault("messages_per_second", settings.messages_per_second)
    deliverer = Deliverer(application.bot, store, **deliverer_options)
    application.bot_data[DELIVERER_KEY] = deliverer
    application.job_queue.run_repeating(
        deliverer.job, interval=settings.interval, first=settings.interval, name="notice-delivery"
    )
    return deliverer
