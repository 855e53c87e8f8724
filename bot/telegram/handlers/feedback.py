"""Feedback that asks: 👍 thanks; 👎 logs the question with the answer given and asks
「哪里不对？」 (数字不对 / 没答到我问的 / 想找人工 / 其他); a choice is added to the log and one
free-text comment is asked for, as a reply to the bot's prompt.  All of it reaches
``skillbot report unanswered`` and ``/stats``, with the question and the answer — never who
asked.  想找人工 goes to :func:`offer_person`, which starts a hand-off to a person with the
disliked question (:func:`~bot.telegram.handlers.handoff.request_handoff`, where every
hand-off starts).

The state between the steps lives with the sender's conversation (``_bot``): ``fb`` the
questions under recent 👍/👎 buttons, ``why`` the logged 👎 waiting for a choice, ``comment``
the one waiting for a comment (by the prompt's message id).
"""

from __future__ import annotations

import asyncio
import html
from typing import Any

from telegram import ForceReply, Message, Update
from telegram.error import BadRequest
from telegram.ext import Application, MessageHandler, filters

from bot.telegram import journal, texts
from bot.telegram import people_texts as people_t
from bot.telegram.context import BotContext
from bot.telegram.conversations import REPLIES_TO_COMMENT_PROMPT, conversation_of
from bot.telegram.handlers.chat import answer_text, load_state, save_state
from bot.telegram.handlers.replies import edit_html, is_not_modified, send_html
from bot.telegram.keyboards import what_was_wrong_keyboard, without_feedback

WAITING_KEEP = 5


def _asked(bot_state: dict[str, Any], key: str) -> tuple[str, str] | None:
    """Take the question and answer the feedback buttons with ``key`` refer to (old states
    kept the question alone)."""
    asked = bot_state.get("fb")
    if not isinstance(asked, dict):
        return None
    asked = dict(asked)
    found = asked.pop(key, None)
    bot_state["fb"] = asked
    if isinstance(found, str):
        return found, ""
    if isinstance(found, dict) and isinstance(found.get("q"), str):
        answer = found.get("a")
        return found["q"], answer if isinstance(answer, str) else ""
    return None


def _keep(bot_state: dict[str, Any], name: str, key: str, value: Any) -> None:
    waiting = bot_state.get(name)
    waiting = dict(waiting) if isinstance(waiting, dict) else {}
    waiting[key] = value
    bot_state[name] = dict(list(waiting.items())[-WAITING_KEEP:])


async def on_feedback(
    update: Update, context: BotContext, message: Message, key: str, helpful: bool
) -> None:
    """Thank for 👍; for 👎 log the question and answer and ask what was wrong."""
    query = update.callback_query
    assert query is not None
    journal.note_intent("feedback_up" if helpful else "feedback_down")
    conversation = conversation_of(update)
    engine_ctx, bot_state = await load_state(context, conversation)
    asked = _asked(bot_state, key)
    await query.answer(texts.FEEDBACK_UP if helpful else texts.FEEDBACK_DOWN)
    if message.reply_markup is not None:
        try:
            await message.edit_reply_markup(without_feedback(message.reply_markup))
        except BadRequest as error:
            if not is_not_modified(error):
                raise
    if asked is None:  # pressed before, or too old
        return
    if not helpful:
        question, answer = asked
        log_id = await asyncio.to_thread(
            context.services.store.log_question,
            question,
            "thumbs_down",
            answer=answer,
            chat_id=conversation[0],
            user_id=conversation[1],
        )
        if log_id is not None:
            _keep(bot_state, "why", key, log_id)
            await send_html(
                context.bot,
                message.chat_id,
                html.escape(texts.WHAT_WAS_WRONG),
                what_was_wrong_keyboard(key),
                reply_to=message.message_id,
            )
    await save_state(context, conversation, engine_ctx, bot_state)


async def on_what_was_wrong(
    update: Update, context: BotContext, message: Message, key: str, index: int
) -> None:
    """Add the choice to the logged 👎; ask for a comment, or offer a person (想找人工)."""
    query = update.callback_query
    assert query is not None
    journal.note_intent("feedback_why")
    conversation = conversation_of(update)
    engine_ctx, bot_state = await load_state(context, conversation)
    waiting = bot_state.get("why")
    log_id = waiting.get(key) if isinstance(waiting, dict) else None
    if not isinstance(log_id, int):
        await query.answer(texts.BUTTON_EXPIRED)
        return
    await query.answer()
    detail = texts.WRONG_CHOICES[index]
    await asyncio.to_thread(context.services.store.annotate_question, log_id, detail=detail)
    assert isinstance(waiting, dict)
    bot_state["why"] = {k: v for k, v in waiting.items() if k != key}
    await edit_html(message, html.escape(texts.FEEDBACK_NOTED.format(detail=detail)))
    if index == texts.PERSON_CHOICE:
        await save_state(context, conversation, engine_ctx, bot_state)
        question = await asyncio.to_thread(context.services.people.question, log_id)
        await offer_person(update, context, question or "")
        return
    prompt = await context.bot.send_message(
        message.chat_id,
        texts.ASK_COMMENT,
        reply_markup=ForceReply(input_field_placeholder=texts.COMMENT_PLACEHOLDER),
    )
    bot_state["comment"] = {"id": log_id, "msg": prompt.message_id}
    await save_state(context, conversation, engine_ctx, bot_state)


async def on_comment(update: Update, context: BotContext) -> None:
    """Add a reply to the comment prompt to its logged 👎 and thank; only one comment is
    taken, so a later reply to the same prompt is a question like any other message."""
    message = update.message
    assert message is not None and message.text is not None
    journal.note_intent("feedback_comment")
    conversation = conversation_of(update)
    engine_ctx, bot_state = await load_state(context, conversation)
    waiting = bot_state.get("comment")
    prompt = message.reply_to_message
    if (
        isinstance(waiting, dict)
        and prompt is not None
        and waiting.get("msg") == prompt.message_id
        and isinstance(waiting.get("id"), int)
    ):
        await asyncio.to_thread(
            context.services.store.annotate_question, waiting["id"], comment=message.text
        )
        bot_state.pop("comment", None)
        await save_state(context, conversation, engine_ctx, bot_state)
        await send_html(context.bot, message.chat_id, html.escape(texts.COMMENT_THANKS))
        return
    await answer_text(update, context, message.text)


async def offer_person(update: Update, context: BotContext, question: str) -> None:
    """Offer a person after 👎 → 想找人工: the hand-off to staff with the disliked
    ``question`` (staff see it and can teach a name for it), or, without a staff group, the
    offices the notice names."""
    from bot.telegram.handlers.handoff import request_handoff

    trigger = people_t.TRIGGER_FEEDBACK.format(question=question)
    await request_handoff(update, context, trigger, question)


def register(application: Application[Any, BotContext, Any, Any, Any, Any]) -> None:
    """Take replies to the comment prompt as comments (before private text is a question)."""
    application.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE
            & filters.ChatType.PRIVATE
            & filters.TEXT
            & ~filters.COMMAND
            & REPLIES_TO_COMMENT_PROMPT,
            on_comment,
        )
    )
