"""Button presses: engine choices (answered in place), example questions and feedback
(👍/👎 and 「哪里不对？」's choices, ``handlers.feedback``).

Callback data is untrusted (``bot.telegram.keyboards.parse_callback``); anything unknown gets a
polite answer.  Every press is answered with ``answerCallbackQuery`` so the client stops its
spinner.
"""

from __future__ import annotations

from typing import Any

from telegram import Message, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.telegram import journal, texts
from bot.telegram.context import BotContext
from bot.telegram.conversations import conversation_of
from bot.telegram.handlers.chat import answer_text, load_state, markup_for, save_state
from bot.telegram.handlers.feedback import on_feedback, on_what_was_wrong
from bot.telegram.handlers.replies import edit_html, render
from bot.telegram.keyboards import parse_callback


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
    if pressed.kind == "why":
        key, _, choice = pressed.value.partition(":")
        await on_what_was_wrong(update, context, message, key, int(choice))
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
    journal.note(reply)
    if not reply.understood:
        await query.answer(texts.BUTTON_EXPIRED)
        return
    await query.answer()
    markup = markup_for(context, message.chat, _question_for(message, payload), reply, bot_state)
    await save_state(context, conversation, reply.context, bot_state)
    await edit_html(message, render(reply), markup)


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


def register(application: Application[Any, BotContext, Any, Any, Any, Any]) -> None:
    """Handle every button press."""
    application.add_handler(CallbackQueryHandler(on_button))
