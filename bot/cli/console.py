"""The console side of the CLI: one question, the JSONL batch protocol, an interactive chat, and
the catalogue export.  Every answer comes from the shared engine."""

from __future__ import annotations

import csv
import json
import os
import sys
from typing import IO, Any

from bot.render import as_text

MAX_LINE = 1 << 20  # a batch line longer than this is refused, not parsed


def engine_for_year(year: str) -> Any:
    """The engine answering from ``year``'s notice (the process-wide one for the newest)."""
    from knowledge.policies import data_dirs_from_env, load_all
    from nlp.engine import Engine, get_engine

    engine = get_engine()
    if year == engine.k.year:
        return engine
    policies = load_all(data_dirs_from_env(os.environ))
    return Engine(policies[year], policies)


class MissLog:
    """Questions the command line could not answer: the names staff taught are tried first
    (read from the database only then, so an answered question never opens it), and what is
    still missed is logged for ``skillbot report unanswered`` (channel ``cli``)."""

    def __init__(self) -> None:
        self._people: Any = None
        self._failed = False

    def retry(self, engine: Any, text: str, context: dict[str, Any] | None) -> Any:
        """The answer with the taught names, or None when the database cannot be used."""
        people = self._open()
        if people is None:
            return None
        from bot.taught import TaughtNames

        try:
            TaughtNames(engine, people).refresh()
        except Exception as error:  # the database went away mid-run: answer without them
            self._warn(error)
            return None
        return engine.answer(text, context)

    def log(self, text: str) -> None:
        """Log a miss (never failing the answer for it)."""
        people = self._open()
        if people is not None:
            try:
                self._store.log_question(text, "unanswered", "cli")
            except Exception as error:  # the answer matters more than the log
                self._warn(error)

    def _open(self) -> Any:
        if self._people is None and not self._failed:
            try:
                from bot.settings import Settings
                from bot.store.people import People
                from bot.store.state import Store

                settings = Settings.from_env(require_token=False)
                self._store = Store(settings.database_url)
                self._people = People(self._store)
            except Exception as error:  # answering works without a database
                self._warn(error)
        return self._people

    def _warn(self, error: Exception) -> None:
        if not self._failed:
            print(f"skillbot: 未能记录未回答的问题（{type(error).__name__}）", file=sys.stderr)
        self._failed = True

    def close(self) -> None:
        """Release the database, if it was opened."""
        if self._people is not None:
            self._store.close()


def answer_logged(engine: Any, text: str, context: dict[str, Any] | None, misses: MissLog) -> Any:
    """The engine's answer; a miss is retried with the taught names, then logged."""
    reply = engine.answer(text, context)
    if reply.understood:
        return reply
    retried = misses.retry(engine, text, context)
    if retried is not None and retried.understood:
        return retried
    misses.log(text)
    return reply


def ask_once(question: str, out: IO[str]) -> int:
    """Print the answer to one question."""
    from nlp.engine import get_engine

    misses = MissLog()
    try:
        out.write(as_text(answer_logged(get_engine(), question, None, misses)) + "\n")
    finally:
        misses.close()
    return 0


def ask_jsonl(inp: IO[str], out: IO[str]) -> int:
    """Answer one JSON object per line; the same ``chat`` shares a conversation."""
    from nlp.engine import get_engine

    engine = get_engine()
    engine.warm_up()  # load jieba before the stream, so no message stalls halfway through it
    contexts: dict[str, dict[str, Any]] = {}
    misses = MissLog()
    for line in inp:
        try:
            if not line.strip():
                raise ValueError("empty line")
            if len(line) > MAX_LINE:
                raise ValueError(f"line longer than {MAX_LINE} characters")
            msg = json.loads(line)
            if not isinstance(msg, dict) or not isinstance(msg.get("text"), str):
                raise ValueError('expected an object with a string "text"')
            chat = str(msg.get("chat", ""))[:200]
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            out.write(json.dumps({"error": f"malformed line: {exc}"}, ensure_ascii=False) + "\n")
            out.flush()
            continue
        reply = answer_logged(engine, msg["text"], contexts.get(chat), misses)
        contexts[chat] = reply.context
        record = {
            "answer": as_text(reply),
            "understood": reply.understood,
            "choices": [c.label for c in reply.choices],
        }
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
    misses.close()
    return 0


def chat(inp: IO[str], out: IO[str]) -> int:
    """An interactive console conversation (the main job when there is no Telegram token)."""
    from nlp.engine import get_engine

    engine = get_engine()
    interactive = inp.isatty()
    out.write(
        "技能培训补贴问答（淮人社发〔2024〕22号）。"
        "直接输入问题；选项可输入序号；空行或 Ctrl-D 退出。\n"
    )
    if interactive:
        out.write("例如：" + " / ".join(engine.examples[:3]) + "\n")
    context: dict[str, Any] = {}
    choices: list[Any] = []
    while True:
        if interactive:
            out.write("> ")
            out.flush()
        line = inp.readline()
        if not line or not line.strip():
            return 0
        text = line.strip()
        if choices and text.isdigit() and 1 <= int(text) <= len(choices):
            reply = engine.choose(choices[int(text) - 1].payload, context)
        else:
            reply = engine.answer(text, context)
        context = reply.context
        choices = reply.choices
        out.write(as_text(reply, with_choices=False) + "\n")  # the numbered list follows
        if choices:
            out.write("  ".join(f"[{i}] {c.label}" for i, c in enumerate(choices, 1)) + "\n")
        out.write("\n")
        out.flush()


def catalog_export(fmt: str, out: IO[str], year: str = "2024") -> int:
    """Export every catalogue entry, read through the database (loaded from the data files)."""
    from bot.store.sync import catalogue_rows

    rows = catalogue_rows(year)
    if fmt == "json":
        json.dump(rows, out, ensure_ascii=False, indent=1)
        out.write("\n")
    else:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return 0
