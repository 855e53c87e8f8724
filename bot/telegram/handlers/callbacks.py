"""Button presses: engine choices (answered in place), example questions and 👍/👎 feedback.

Callback data is untrusted (``bot.telegram.keyboards.parse_callback``); anything unknown gets a
polite answer.  Every press is answered with ``answerCallbackQuery`` so the client stops its
spinner.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler

from bot.telegram import texts
from bot.telegram.context import BotContext
from bot.telegram.handlers.chat import (
    answer_text,
    conversation_of,
    load_state,
    remember_question,
    save_state,
    wants_feedback,
)
from bot.telegram.handlers.replies import edit_html, is_not_modified, render
from bot.telegram.keyboards import parse_callback, reply_markup


async def on_button(update: Update, context: BotContext) -> None:
    """Dispatch a button press by its (validated) callback data."""
    query = update.callback_query
    assert query is not None
    pressed = parse_callback(query.data)
    message = query.message if isinstance(query.message, Message) else None
    if pressed is None or message is None:
        await query.answer(texts.BUTTON_EXPIRED)
        return
    if pressed.kind == "example":
        await query.answer()
        examples = context.services.engine.examples
        index = int(pressed.value)  # ASCII digits only (parse_callback)
        if index < len(examples):
            await answer_text(update, context, examples[index])
        return
    if pressed.kind in ("feedback_up", "feedback_down"):
        await on_feedback(update, context, message, pressed.value, pressed.kind == "feedback_up")
        return
    await on_choice(update, context, message, pressed.value)


async def on_choice(update: Update, context: BotContext, message: Message, payload: str) -> None:
    """Answer an engine choice by editing the message that offered it (the presser's
    conversation continues from the answer)."""
    query = update.callback_query
    assert query is not None
    conversation = conversation_of(update)
    engine_ctx, bot_state = await load_state(context, conversation)
    reply = context.services.engine.choose(payload, engine_ctx or None)
    if not reply.understood:
        await query.answer(texts.BUTTON_EXPIRED)
        return
    await query.answer()
    key = None
    if wants_feedback(message.chat, reply):
        key = remember_question(bot_state, _question_for(message, payload))
    await save_state(context, conversation, reply.context, bot_state)
    await edit_html(message, render(reply), reply_markup(reply.choices, key))


def _question_for(message: Message, payload: str) -> str:
    """What a 👎 on a chosen answer refers to: the question asked back, and the choice."""
    label = next(
        (
            b.text
            for row in (message.reply_markup.inline_keyboard if message.reply_markup else ())
            for b in row
            if b.callback_data == payload
        ),
        payload,
    )
    return f"{(message.text or '').splitlines()[0] if message.text else ''} → {label}".strip()


async def on_feedback(
    update: Update, context: BotContext, message: Message, key: str, helpful: bool
) -> None:
    """Thank for 👍; log the question for 👎 (text and time only); remove the buttons."""
    query = update.callback_query
    assert query is not None
    conversation = conversation_of(update)
    engine_ctx, bot_state = await load_state(context, conversation)
    asked = bot_state.get("fb") if isinstance(bot_state.get("fb"), dict) else {}
    question = asked.pop(key, None) if isinstance(asked, dict) else None
    if question is not None:
        if not helpful:
            await asyncio.to_thread(
                context.services.store.log_question,
                str(question),
                "thumbs_down",
                chat_id=conversation[0],
                user_id=conversation[1],
            )
        await save_state(context, conversation, engine_ctx, {**bot_state, "fb": asked})
    await query.answer(texts.FEEDBACK_UP if helpful else texts.FEEDBACK_DOWN)
    if message.reply_markup is not None:
        try:
            await message.edit_reply_markup(None)
        except BadRequest as error:
            if not is_not_modified(error):
                raise


def register(application: Application[Any, BotContext, Any, Any, Any, Any]) -> None:
    """Handle every button press."""
    application.add_handler(CallbackQueryHandler(on_button))
