"""Names taught by staff, live: /alias, /unalias and the one-tap 「设为别名」 flow.

``/alias 铁裁缝 焊工`` teaches a name (the target is read like any question; an ambiguous one is
refused with its candidates, and a name of the catalogue's own is never taken); ``/alias`` alone
lists the taught names; ``/unalias 铁裁缝`` removes one.  A hand-off's staff message and each
entry of /stats offer 「设为别名」: the bot names the entries the missed phrase may mean, and one
tap teaches it (「忽略」 marks a report entry as dealt with).  Only staff can teach (admins
everywhere, members of the staff group); anyone else gets a polite no.  Names live in the
database with who, when and why (:class:`~bot.store.people.People`); every instance picks them
up before its next answer (:func:`refresh_taught`), so they work at once everywhere and after a
restart.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, TypeHandler, filters

from bot.store.health import DATABASE_ERRORS, one_line
from bot.telegram import people_texts as t
from bot.telegram.context import BotContext
from bot.telegram.handlers.replies import send_html, thread_of
from nlp.lookup import Lookup

REFRESH_GROUP = -90  # after the duplicate check, before everything that answers
PICK, TEACH, IGNORE = "bot:al:", "bot:at:", "bot:ig:"
_SOURCE = r"[hq][0-9]{1,18}"  # h: a hand-off's missed question, q: a logged question
_PICK_RE = re.compile(rf"{PICK}({_SOURCE})")
_TEACH_RE = re.compile(rf"{TEACH}({_SOURCE}):([0-9a-z:\-]{{1,32}})")
_IGNORE_RE = re.compile(rf"{IGNORE}(q[0-9]{{1,18}})")
MAX_CANDIDATES = 6
NEW_MESSAGE = filters.UpdateType.MESSAGE
logger = logging.getLogger(__name__)


async def refresh_taught(update: Update, context: BotContext) -> None:
    """Bring the engine's taught names up to date before the update is handled; while the
    database is away the names already taught stay (the store logs the outage)."""
    try:
        await asyncio.to_thread(context.services.taught.refresh)
    except DATABASE_ERRORS as error:
        if context.services.people.outage is None:  # nobody else says so
            logger.warning("taught names not refreshed: %s", one_line(error))


async def _staff_only(update: Update, context: BotContext) -> bool:
    """Whether the sender is staff; otherwise say so politely."""
    user = update.effective_user
    if await context.services.staff.is_staff(
        context.bot, context.settings, user.id if user else None
    ):
        return True
    if update.callback_query is not None:
        await update.callback_query.answer(t.STAFF_ONLY, show_alert=True)
    else:
        await _say(update, context, t.STAFF_ONLY)
    return False


async def _say(update: Update, context: BotContext, text: str) -> Message | None:
    chat = update.effective_chat
    assert chat is not None
    return await send_html(
        context.bot, chat.id, html.escape(text), thread_id=thread_of(update.effective_message)
    )


async def alias_command(update: Update, context: BotContext) -> None:
    """/alias NAME TARGET teaches a name; /alias alone lists them."""
    try:
        await _alias(update, context)
    except DATABASE_ERRORS:
        await _say(update, context, t.DATABASE_AWAY)


async def _alias(update: Update, context: BotContext) -> None:
    if not await _staff_only(update, context):
        return
    args = context.args or []
    people = context.services.people
    if not args:
        taught = await asyncio.to_thread(people.taught)
        if not taught:
            await _say(update, context, t.ALIAS_NONE)
            return
        lines = [t.ALIAS_LIST] + [
            f"{n.name} → {n.entry_name}（{n.taught_by}，{n.taught_at:%Y-%m-%d %H:%M}）"
            for n in taught
        ]
        await _say(update, context, "\n".join(lines))
        return
    if len(args) < 2:
        await _say(update, context, t.ALIAS_USAGE)
        return
    name, target = args[0], " ".join(args[1:])
    engine = context.services.engine
    keys = engine.entries_named(target)
    if not keys:
        await _say(update, context, t.ALIAS_NOT_FOUND.format(target=target))
        return
    if len(keys) > 1:
        candidates = "、".join(engine.a.label(k) for k in keys[:8])
        await _say(update, context, t.ALIAS_AMBIGUOUS.format(target=target, candidates=candidates))
        return
    chat = update.effective_chat
    await _teach(update, context, name, keys[0], f"/alias（聊天 {chat.id if chat else ''}）")


async def _teach(
    update: Update, context: BotContext, name: str, key: str, why: str, question: str = ""
) -> str:
    """Teach ``name`` for ``key`` (unless it is the catalogue's own); say what happened."""
    engine = context.services.engine
    if not engine.can_teach(name):
        text = t.ALIAS_KNOWN.format(name=name)
    else:
        user = update.effective_user
        label = engine.a.label(key)
        by = str(user.id) if user else "?"
        await asyncio.to_thread(context.services.people.teach, name, key, label, by, why, question)
        await asyncio.to_thread(context.services.taught.refresh)
        text = t.ALIAS_TAUGHT.format(name=name, entry=label)
    if update.callback_query is None:
        await _say(update, context, text)
    return text


async def unalias_command(update: Update, context: BotContext) -> None:
    """/unalias NAME removes a taught name."""
    try:
        await _unalias(update, context)
    except DATABASE_ERRORS:
        await _say(update, context, t.DATABASE_AWAY)


async def _unalias(update: Update, context: BotContext) -> None:
    if not await _staff_only(update, context):
        return
    if not context.args:
        await _say(update, context, t.ALIAS_USAGE)
        return
    name = " ".join(context.args)
    user = update.effective_user
    removed = await asyncio.to_thread(
        context.services.people.unteach, name, str(user.id) if user else "?"
    )
    if removed:
        await asyncio.to_thread(context.services.taught.refresh)
    await _say(
        update, context, (t.ALIAS_REMOVED if removed else t.ALIAS_NOT_TAUGHT).format(name=name)
    )


async def _missed_phrase(context: BotContext, source: str) -> str:
    """The question a 「设为别名」 button is about: a hand-off's miss or a logged question."""
    people = context.services.people
    number = int(source[1:])
    if source.startswith("h"):
        info = await asyncio.to_thread(people.handoff, number)
        return info.question if info is not None else ""
    return await asyncio.to_thread(people.question, number) or ""


def candidates_for(context: BotContext, phrase: str) -> list[str]:
    """The entries a missed phrase may mean: what the engine reads in it, then the lookup's."""
    engine = context.services.engine
    keys = engine.entries_named(phrase)
    reply = engine.answer(phrase)
    for choice in reply.choices:
        m = re.match(r"pick:([^|]+)", choice.payload)
        if m and m.group(1) not in keys and m.group(1) in engine.k.by_key:
            keys.append(m.group(1))
    for card in Lookup(engine).search(engine.name_in(phrase), limit=MAX_CANDIDATES):
        if card.key not in keys:
            keys.append(card.key)
    return keys[:MAX_CANDIDATES]


async def on_alias_button(update: Update, context: BotContext) -> None:
    """「设为别名」, an entry picked for it, or 「忽略」."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if not await _staff_only(update, context):
        return
    data = query.data
    if m := _PICK_RE.fullmatch(data):
        phrase = await _missed_phrase(context, m.group(1))
        await query.answer()
        if not phrase:
            await _say(update, context, t.ALIAS_NO_PHRASE)
            return
        name = context.services.engine.name_in(phrase)
        keys = candidates_for(context, phrase)
        if not keys:
            await _say(update, context, t.ALIAS_NO_CANDIDATES.format(phrase=name))
            return
        engine = context.services.engine
        rows = [
            [
                InlineKeyboardButton(
                    engine.a.label(k)[:40], callback_data=f"{TEACH}{m.group(1)}:{k}"
                )
            ]
            for k in keys
        ]
        chat = update.effective_chat
        assert chat is not None
        await send_html(
            context.bot,
            chat.id,
            html.escape(t.ALIAS_PICK.format(phrase=name)),
            InlineKeyboardMarkup(rows),
            thread_id=thread_of(update.effective_message),
        )
        return
    if m := _TEACH_RE.fullmatch(data):
        phrase = await _missed_phrase(context, m.group(1))
        key = m.group(2)
        if not phrase or not context.services.engine.kit.valid_key(key):
            await query.answer(t.ALIAS_NO_PHRASE)
            return
        name = context.services.engine.name_in(phrase)
        why = f"设为别名：{'转人工 #' if m.group(1)[0] == 'h' else '未回答 '}{m.group(1)[1:]}"
        text = await _teach(update, context, name, key, why, phrase)
        await query.answer(text[:190])
        if isinstance(query.message, Message):
            await query.message.edit_text(text)
        return
    if m := _IGNORE_RE.fullmatch(data):
        phrase = await _missed_phrase(context, m.group(1))
        user = update.effective_user
        if phrase:
            await asyncio.to_thread(
                context.services.people.record_action,
                phrase,
                "ignored",
                "",
                str(user.id) if user else "?",
            )
        await query.answer(t.IGNORED.format(text=phrase)[:190])
        return
    await query.answer()


def report_keyboard(rows: list[tuple[str, int]]) -> InlineKeyboardMarkup | None:
    """「设为别名」 and 「忽略」 for each (text, question id) of the report."""
    buttons = [
        [
            InlineKeyboardButton(f"{t.ALIAS_BUTTON}：{text[:16]}", callback_data=f"{PICK}q{qid}"),
            InlineKeyboardButton(t.IGNORE_BUTTON, callback_data=f"{IGNORE}q{qid}"),
        ]
        for text, qid in rows
    ]
    return InlineKeyboardMarkup(buttons) if buttons else None


def register(application: Application[Any, BotContext, Any, Any, Any, Any]) -> None:
    """Add /alias, /unalias, the 「设为别名」 buttons and the taught-name refresh."""
    application.add_handler(TypeHandler(Update, refresh_taught), group=REFRESH_GROUP)
    application.add_handler(CommandHandler("alias", alias_command, filters=NEW_MESSAGE))
    application.add_handler(CommandHandler("unalias", unalias_command, filters=NEW_MESSAGE))
    application.add_handler(
        CallbackQueryHandler(on_alias_button, pattern=f"^({PICK}|{TEACH}|{IGNORE})")
    )
