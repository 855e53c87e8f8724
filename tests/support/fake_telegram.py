"""A stand-in Telegram Bot API server on 127.0.0.1 for offline tests (stdlib asyncio, no deps).

The server runs its own event loop in a daemon thread, so it works the same from sync tests, from
async tests, and for a bot running in a subprocess.  Point the bot at it with
``TELEGRAM_API_BASE_URL=fake.base_url`` (or ``ApplicationBuilder().base_url(fake.base_url)``).

Starting and stopping::

    with FakeTelegram() as fake:            # or: fake = FakeTelegram().start(); ...; fake.stop()
        fake.token, fake.base_url            # "123456:TEST…", "http://127.0.0.1:PORT/bot"
        fake.base_file_url, fake.bot_user    # ".../file/bot", the getMe dict

Feeding updates (each returns the update dict; ``update_id`` is assigned in order; the
``*_update`` twins ``message_update``, ``callback_update``, ``inline_update``,
``migration_updates`` build the same dicts without queueing them, for an in-process
``Application.update_queue``)::

    fake.push_message(chat_id, "焊工技师补贴多少")                    # private chat, user id = chat id
    fake.push_message(-100, "@skillbot_test_bot 焊工", chat_type="supergroup", user_id=7)
    fake.push_message(-100, "那高级呢", reply_to=bot_message)        # a reply to a bot message dict
    fake.push_callback(chat_id, "payload", message=bot_message)      # press an inline button
    fake.push_inline_query("焊工 技师", user_id=5)
    fake.push_migration(old_chat_id=-100, new_chat_id=-1001234)      # group -> supergroup
    fake.push_update({...})                                          # any raw update dict

``getUpdates`` honours ``offset``/``limit``/``timeout`` (long poll) like Telegram; updates stay
queued until confirmed by a later offset.  ``getUpdates`` while a webhook is set answers 409.
``fake.deliver_webhook(url, update, secret_token)`` POSTs an update to a bot's webhook instead
and returns the HTTP status.

Inspecting what the bot did: every request is recorded as a :class:`Call` (``method``,
``params`` decoded from form/JSON/multipart, ``chat_id``, ``time`` monotonic, ``status``,
``response``)::

    fake.calls("sendMessage", chat_id=42)                  # list, in arrival order
    fake.wait_for("sendMessage", chat_id=42, count=2, timeout=10)   # blocks; TimeoutError if not
    await fake.await_calls("answerInlineQuery")            # the same, from async code
    fake.wait_for(where=lambda c: "3850" in c.params.get("text", ""))
    fake.messages(chat_id)                                 # bot messages currently in the chat

Bot messages are stored per chat; ``sendMessage`` returns a plausible :class:`Message` (text with
the HTML markup removed, ``reply_markup`` echoed) and ``editMessageText`` edits it in place (an
unchanged edit answers 400 "message is not modified", like Telegram).  With ``parse_mode=HTML``
the text is validated like Telegram does (:func:`telegram_html_error`): unsupported tags,
unbalanced tags, bad entities, empty text or more than 4096 UTF-16 units answer 400.

Fault injection (first matching script wins; ``times=None`` means forever)::

    fake.fail(Fault.blocked(), chat_id=42)                          # 403 bot was blocked by the user
    fake.fail(Fault.chat_not_found(), method="sendMessage", chat_id=43)
    fake.fail(Fault.retry_after(2), method="sendMessage", times=1)  # 429 + parameters.retry_after
    fake.fail(Fault.bad_gateway(), times=3)                         # 502
    fake.fail(Fault.slow(30), method="sendMessage", chat_id=44)    # answers late (client timeout)
    fake.fail(Fault.migrated(-1009), chat_id=-100)                  # 400 + migrate_to_chat_id
    fake.fail(Fault(400, "Bad Request: whatever"), where=lambda method, params: ...)
    fake.clear_faults()

Command menus and the menu button: ``setMyCommands`` / ``getMyCommands`` / ``deleteMyCommands``
keep one list per scope and language (``fake.commands({"type": "all_group_chats"})``);
``setChatMenuButton`` one button per chat (``fake.menu_button()`` is the default one).

Chat members: ``fake.set_chat_admins(-100, [7], owner=1)`` makes getChatMember answer
administrator / creator for them (member for anyone else); getChatAdministrators lists them.
``fake.set_chat_members(-100, [8, 9])`` makes the chat's membership closed: anyone not an admin,
the owner or listed there is ``left``.

Forums and copies: ``fake.set_forum(-100)`` makes getChat answer ``is_forum`` for the chat, and
createForumTopic opens a topic there (``fake.topics``); copyMessage copies a user's or the bot's
message (text, caption, entities, media) into another chat, topic or reply chain, as a new bot
message, and answers its ``message_id``.  setChatMenuButton is kept per chat (``fake.menu_button(chat_id)``).

A faulted request is still recorded (``call.status`` is the status answered); a delayed one is
recorded when it arrives (its ``status``/``response`` are filled in when it is answered).
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import html
import http.client
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

DEFAULT_TOKEN = "123456789:TEST-token-for-the-fake-server-0123456789"
DEFAULT_USERNAME = "skillbot_test_bot"
MAX_MESSAGE_UTF16 = 4096

# Parameters Telegram takes as plain strings: never JSON-decode them ("123" stays "123").
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "query",
        "secret_token",
        "url",
        "parse_mode",
        "callback_query_id",
        "inline_query_id",
        "inline_message_id",
        "next_offset",
        "switch_pm_text",
        "switch_pm_parameter",
        "description",
        "short_description",
        "title",
        "name",
        "emoji",
        "explanation",
        "question",
        "address",
        "first_name",
        "last_name",
        "vcard",
        "phone_number",
        "ip_address",
        "language_code",
        "action",
    }
)


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of Telegram's limits and offsets."""
    return len(text.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------- Telegram HTML

_ALLOWED_TAGS = {
    "b": set(),
    "strong": set(),
    "i": set(),
    "em": set(),
    "u": set(),
    "ins": set(),
    "s": set(),
    "strike": set(),
    "del": set(),
    "tg-spoiler": set(),
    "span": {"class"},
    "a": {"href"},
    "code": {"class"},
    "pre": set(),
    "blockquote": {"expandable"},
    "tg-emoji": {"emoji-id"},
}
_TAG_RE = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:=(?:\"[^\"<>]*\"|'[^'<>]*'|[^\s\"'<>=]+))?)*)\s*>"
)
_ATTR_RE = re.compile(r"([a-zA-Z-]+)(?:=(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'<>=]+)))?")
_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")


def telegram_html_error(text: str) -> str | None:
    """Return Telegram's error description for ``text`` sent with parse_mode HTML, or None if valid.

    >>> telegram_html_error("<b>焊工</b> &amp; 电工") is None
    True
    >>> print(telegram_html_error("<script>x</script>"))
    Bad Request: can't parse entities: unsupported start tag "script" at byte offset 0
    """
    stack: list[str] = []
    plain: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        offset = len(text[:i].encode())
        if char == "<":
            match = _TAG_RE.match(text, i)
            if not match:
                return f"Bad Request: can't parse entities: unexpected '<' at byte offset {offset}"
            closing, name, attrs = match.group(1), match.group(2).lower(), match.group(3)
            if name not in _ALLOWED_TAGS:
                kind = "end" if closing else "start"
                return (
                    f'Bad Request: can\'t parse entities: unsupported {kind} tag "{name}"'
                    f" at byte offset {offset}"
                )
            if closing:
                if not stack or stack[-1] != name:
                    return (
                        f"Bad Request: can't parse entities: can't find start tag for"
                        f' "{name}" at byte offset {offset}'
                    )
                stack.pop()
            else:
                for attr in _ATTR_RE.finditer(attrs):
                    if attr.group(1).lower() not in _ALLOWED_TAGS[name]:
                        return (
                            f"Bad Request: can't parse entities: unsupported attribute"
                            f' "{attr.group(1)}" at byte offset {offset}'
                        )
                stack.append(name)
            i = match.end()
        elif char == "&":
            match = _ENTITY_RE.match(text, i)
            if not match:
                return (
                    f"Bad Request: can't parse entities: unsupported HTML entity"
                    f" at byte offset {offset}"
                )
            plain.append(html.unescape(match.group(0)))
            i = match.end()
        elif char == ">":
            return f"Bad Request: can't parse entities: unexpected '>' at byte offset {offset}"
        else:
            plain.append(char)
            i += 1
    if stack:
        return (
            f"Bad Request: can't parse entities: can't find end tag corresponding to start"
            f' tag "{stack[-1]}"'
        )
    rendered = "".join(plain)
    if not rendered.strip():
        return "Bad Request: message text is empty"
    if utf16_len(rendered) > MAX_MESSAGE_UTF16:
        return "Bad Request: message is too long"
    return None


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(text: str) -> str:
    """Drop the markup of Telegram HTML, as Telegram does for ``Message.text``."""
    parser = _TextOnly()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)


# --------------------------------------------------------------------------- records and faults


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    time: float
    status: int = 200
    response: Any = None

    @property
    def chat_id(self) -> int | str | None:
        """The ``chat_id`` parameter, if any."""
        return self.params.get("chat_id")

    @property
    def text(self) -> str:
        """The ``text`` parameter ('' if none)."""
        return str(self.params.get("text", ""))

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        """The decoded ``reply_markup`` parameter."""
        markup = self.params.get("reply_markup")
        return markup if isinstance(markup, dict) else None

    def buttons(self) -> list[dict[str, Any]]:
        """The inline keyboard buttons, flattened."""
        markup = self.reply_markup or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]


@dataclass
class Fault:
    """A scripted answer: HTTP ``status``, Telegram ``description`` and ``parameters``, ``delay``.

    ``status=200`` with a ``delay`` answers normally, only late.
    """

    status: int = 200
    description: str = ""
    parameters: dict[str, Any] | None = None
    delay: float = 0.0

    @classmethod
    def blocked(cls) -> Fault:
        """403: the user blocked the bot."""
        return cls(403, "Forbidden: bot was blocked by the user")

    @classmethod
    def kicked(cls) -> Fault:
        """403: the bot was removed from the group."""
        return cls(403, "Forbidden: bot was kicked from the group chat")

    @classmethod
    def chat_not_found(cls) -> Fault:
        """400: unknown chat."""
        return cls(400, "Bad Request: chat not found")

    @classmethod
    def retry_after(cls, seconds: int) -> Fault:
        """429 flood control with ``parameters.retry_after``."""
        return cls(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})

    @classmethod
    def bad_gateway(cls) -> Fault:
        """502 from Telegram's front end."""
        return cls(502, "Bad Gateway")

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Answer normally, but only after ``seconds`` (longer than the client timeout)."""
        return cls(200, "", None, seconds)

    @classmethod
    def migrated(cls, new_chat_id: int) -> Fault:
        """400: the group was upgraded to a supergroup with ``new_chat_id``."""
        return cls(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            {"migrate_to_chat_id": new_chat_id},
        )


@dataclass
class _Script:
    fault: Fault
    method: str | None
    chat_id: int | str | None
    where: Callable[[str, dict[str, Any]], bool] | None
    remaining: int | None

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        if self.remaining == 0:
            return False
        if self.method is not None and self.method.lower() != method.lower():
            return False
        if self.chat_id is not None and params.get("chat_id") != self.chat_id:
            return False
        return self.where is None or bool(self.where(method, params))


@dataclass
class _State:
    updates: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    scripts: list[_Script] = field(default_factory=list)
    messages: dict[tuple[Any, int], dict[str, Any]] = field(default_factory=dict)
    webhook_url: str = ""
    commands: dict[str, list[Any]] = field(default_factory=dict)  # by scope (and language)
    menu_buttons: dict[Any, Any] = field(default_factory=dict)  # by chat id (None: default)
    admins: dict[Any, tuple[list[int], int | None]] = field(default_factory=dict)
    members: dict[Any, set[int]] = field(default_factory=dict)
    forums: set[Any] = field(default_factory=set)
    topics: dict[tuple[Any, int], str] = field(default_factory=dict)


# --------------------------------------------------------------------------- the server


class FakeTelegram:
    """The stand-in Bot API server; see the module docstring."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        username: str = DEFAULT_USERNAME,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
        self.bot_user = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": "Skillbot",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }
        self._state = _State()
        self._lock = threading.Condition()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._new_update: asyncio.Event | None = None

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> Self:
        """Start serving in a daemon thread; returns self once the port is bound."""
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                self._new_update = asyncio.Event()
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._serve, self.host, self.port)
                )
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as exc:
                errors.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            pending = asyncio.all_tasks(loop)
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-telegram", daemon=True)
        self._thread.start()
        ready.wait(10)
        if errors:
            raise errors[0]
        return self

    def stop(self) -> None:
        """Stop serving and join the thread."""
        loop, server = self._loop, self._server
        if loop is None or server is None:
            return

        async def shutdown() -> None:
            server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()
            loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), loop)
        if self._thread:
            self._thread.join(10)
        self._loop = self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The value for ``TELEGRAM_API_BASE_URL`` / ``ApplicationBuilder.base_url``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """The value for ``ApplicationBuilder.base_file_url``."""
        return f"{self.url}/file/bot"

    @property
    def username(self) -> str:
        """The bot's @username (without @)."""
        return str(self.bot_user["username"])

    # ----------------------------------------------------------------- feeding updates

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (``update_id`` is assigned if missing) for getUpdates."""
        with self._lock:
            if "update_id" not in update:
                update["update_id"] = next(self._update_ids)
            self._state.updates.append(update)
            self._lock.notify_all()
        loop, event = self._loop, self._new_update
        if loop is not None and event is not None:
            loop.call_soon_threadsafe(event.set)
        return update

    def make_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str | None = None,
        reply_to: dict[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Build a user's message dict (entities for /commands and @mentions included)."""
        chat_type = chat_type or _chat_type(chat_id)
        if user_id is None:
            user_id = chat_id if chat_type == "private" else 1000
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": _chat(chat_id, chat_type),
            "from": {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"},
        }
        if text:
            message["text"] = text
            entities = _entities(text)
            if entities:
                message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message.update(extra)
        with self._lock:
            self._state.messages[(chat_id, message["message_id"])] = message
        return message

    def message_update(self, chat_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
        """An update with a user's message (not queued); keywords as for :meth:`make_message`."""
        return self._numbered({"message": self.make_message(chat_id, text, **kwargs)})

    def callback_update(
        self,
        chat_id: int,
        data: str,
        *,
        message: dict[str, Any] | None = None,
        user_id: int | None = None,
    ) -> dict[str, Any]:
        """An update pressing a button on ``message`` (default: the bot's last one in the chat)."""
        if message is None:
            message = self.messages(chat_id)[-1]
        if user_id is None:
            user_id = chat_id if _chat_type(chat_id) == "private" else 1000
        query = {
            "id": str(next(self._ids)),
            "chat_instance": str(chat_id),
            "data": data,
            "from": {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"},
            "message": message,
        }
        return self._numbered({"callback_query": query})

    def inline_update(
        self, query: str, *, user_id: int = 1000, chat_type: str = "sender"
    ) -> dict[str, Any]:
        """An update with an inline query ``@bot query``."""
        inline = {
            "id": str(next(self._ids)),
            "query": query,
            "offset": "",
            "chat_type": chat_type,
            "from": {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"},
        }
        return self._numbered({"inline_query": inline})

    def migration_updates(self, old_chat_id: int, new_chat_id: int) -> list[dict[str, Any]]:
        """The two service messages Telegram sends when a group becomes a supergroup."""
        old = self.make_message(old_chat_id, "", chat_type="group", migrate_to_chat_id=new_chat_id)
        new = self.make_message(
            new_chat_id, "", chat_type="supergroup", migrate_from_chat_id=old_chat_id
        )
        return [self._numbered({"message": old}), self._numbered({"message": new})]

    def push_message(self, chat_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
        """Queue a text message from a user; keyword arguments as for :meth:`make_message`."""
        return self.push_update(self.message_update(chat_id, text, **kwargs))

    def push_callback(self, chat_id: int, data: str, **kwargs: Any) -> dict[str, Any]:
        """Queue a button press; keyword arguments as for :meth:`callback_update`."""
        return self.push_update(self.callback_update(chat_id, data, **kwargs))

    def push_inline_query(self, query: str, **kwargs: Any) -> dict[str, Any]:
        """Queue an inline query; keyword arguments as for :meth:`inline_update`."""
        return self.push_update(self.inline_update(query, **kwargs))

    def push_migration(self, old_chat_id: int, new_chat_id: int) -> list[dict[str, Any]]:
        """Queue the two service messages of a group → supergroup migration."""
        return [self.push_update(u) for u in self.migration_updates(old_chat_id, new_chat_id)]

    def _numbered(self, update: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            update["update_id"] = next(self._update_ids)
        return update

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot."""
        with self._lock:
            return list(self._state.updates)

    def wait_confirmed(self, update_id: int, timeout: float = 10.0) -> None:
        """Block until the bot confirmed (took) every update up to ``update_id``."""
        with self._lock:
            ok = self._lock.wait_for(
                lambda: all(u["update_id"] > update_id for u in self._state.updates), timeout
            )
        if not ok:
            raise TimeoutError(f"update {update_id} not confirmed within {timeout}s")

    @staticmethod
    def deliver_webhook(
        url: str, update: dict[str, Any], secret_token: str | None = None, timeout: float = 10.0
    ) -> int:
        """POST ``update`` to a bot's webhook like Telegram does; returns the HTTP status."""
        parts = urlsplit(url)
        conn = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout
        )
        headers = {"Content-Type": "application/json"}
        if secret_token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
        try:
            conn.request("POST", parts.path or "/", json.dumps(update).encode(), headers)
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    # ----------------------------------------------------------------- inspecting

    def calls(
        self,
        method: str | None = None,
        *,
        chat_id: Any = None,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Recorded calls, optionally filtered by method (case-insensitive), chat and predicate."""
        with self._lock:
            return [c for c in self._state.calls if _call_matches(c, method, chat_id, where)]

    def wait_for(
        self,
        method: str | None = None,
        *,
        chat_id: Any = None,
        count: int = 1,
        where: Callable[[Call], bool] | None = None,
        timeout: float = 10.0,
    ) -> list[Call]:
        """Block until at least ``count`` matching calls were recorded; return them all."""

        def matching() -> list[Call]:
            return [c for c in self._state.calls if _call_matches(c, method, chat_id, where)]

        with self._lock:
            if not self._lock.wait_for(lambda: len(matching()) >= count, timeout):
                seen = [(c.method, c.chat_id, c.text[:60]) for c in self._state.calls[-10:]]
                raise TimeoutError(
                    f"{count}×{method or 'any'} (chat {chat_id}) not seen within {timeout}s;"
                    f" last calls: {seen}"
                )
            return matching()

    async def await_calls(self, method: str | None = None, **kwargs: Any) -> list[Call]:
        """:meth:`wait_for` for async code (waits in a worker thread)."""
        return await asyncio.to_thread(self.wait_for, method, **kwargs)

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in ``chat_id`` as they are now (after edits), oldest first."""
        bot_id = self.bot_user["id"]
        with self._lock:
            return [
                m
                for (cid, _), m in sorted(self._state.messages.items(), key=lambda kv: kv[0][1])
                if cid == chat_id and m.get("from", {}).get("id") == bot_id
            ]

    def commands(self, scope: dict[str, Any] | None = None, language_code: str = "") -> list[Any]:
        """The commands set for ``scope`` (default: Telegram's default scope), as getMyCommands
        answers them; e.g. ``fake.commands({"type": "all_private_chats"})``."""
        params = {"scope": scope or {"type": "default"}, "language_code": language_code}
        with self._lock:
            return list(self._state.commands.get(_scope_key(params), []))

    def menu_button(self, chat_id: int | None = None) -> dict[str, Any]:
        """The menu button set for ``chat_id`` (None: every private chat's default)."""
        with self._lock:
            return dict(self._state.menu_buttons.get(chat_id, {"type": "default"}))

    @property
    def webhook_url(self) -> str:
        """The URL the bot registered with setWebhook ('' when none)."""
        return self._state.webhook_url

    def reset_calls(self) -> None:
        """Forget the recorded calls."""
        with self._lock:
            self._state.calls.clear()

    # ----------------------------------------------------------------- faults

    def fail(
        self,
        fault: Fault,
        *,
        method: str | None = None,
        chat_id: Any = None,
        times: int | None = 1,
        where: Callable[[str, dict[str, Any]], bool] | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``fault`` (None: every one)."""
        with self._lock:
            self._state.scripts.append(_Script(fault, method, chat_id, where, times))

    def clear_faults(self) -> None:
        """Remove every scripted fault."""
        with self._lock:
            self._state.scripts.clear()

    # ----------------------------------------------------------------- chat members

    def set_chat_admins(
        self, chat_id: int, user_ids: list[int], *, owner: int | None = None
    ) -> None:
        """Make ``user_ids`` administrators (and ``owner`` the creator) of ``chat_id`` for
        getChatMember / getChatAdministrators; everyone else is a plain member."""
        with self._lock:
            self._state.admins[chat_id] = (list(user_ids), owner)

    def set_chat_members(self, chat_id: int, user_ids: list[int]) -> None:
        """Make ``user_ids`` the plain members of ``chat_id``: anyone else not an admin is
        ``left`` (by default every user is a member of every chat)."""
        with self._lock:
            self._state.members[chat_id] = set(user_ids)

    def set_forum(self, chat_id: int) -> None:
        """Make ``chat_id`` a forum supergroup (topics)."""
        with self._lock:
            self._state.forums.add(chat_id)

    @property
    def topics(self) -> dict[tuple[Any, int], str]:
        """Forum topics created: (chat id, message_thread_id) → name."""
        with self._lock:
            return dict(self._state.topics)

    def _chat_member(self, chat_id: Any, user_id: int) -> dict[str, Any]:
        admins, owner = self._state.admins.get(chat_id, ([], None))
        user = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        members = self._state.members.get(chat_id)
        if members is not None and user_id not in members and user_id not in admins:
            if user_id != owner:
                return {"status": "left", "user": user}
        if user_id == owner or (_chat_type(chat_id) == "private" and user_id == chat_id):
            return {"status": "creator", "user": user, "is_anonymous": False}
        if user_id in admins:
            rights = (
                "can_manage_chat",
                "can_delete_messages",
                "can_manage_video_chats",
                "can_restrict_members",
                "can_promote_members",
                "can_change_info",
                "can_invite_users",
                "can_post_stories",
                "can_edit_stories",
                "can_delete_stories",
            )
            return {
                "status": "administrator",
                "user": user,
                "can_be_edited": False,
                "is_anonymous": False,
                **{right: True for right in rights},
            }
        return {"status": "member", "user": user}

    # ----------------------------------------------------------------- HTTP

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                path, headers, body = request
                try:
                    status, payload = await self._dispatch(path, headers, body)
                except Exception as exc:
                    status, payload = (
                        500,
                        {
                            "ok": False,
                            "error_code": 500,
                            "description": f"fake server error: {exc!r}",
                        },
                    )
                data = json.dumps(payload, ensure_ascii=False).encode()
                writer.write(
                    f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
                    f"Connection: keep-alive\r\n\r\n".encode()
                    + data
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _dispatch(
        self, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(path)
        match = re.fullmatch(r"/bot([^/]+)/([A-Za-z]+)", parts.path)
        if not match:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        token, method = match.groups()
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        params = _decode_params(parts.query, headers.get("content-type", ""), body)
        call = Call(method, params, time.monotonic())
        with self._lock:
            script = next((s for s in self._state.scripts if s.matches(method, params)), None)
            if script is not None and script.remaining is not None:
                script.remaining -= 1
        fault = script.fault if script else None
        recorded = False
        if fault is not None and fault.delay:
            recorded = True
            with (
                self._lock
            ):  # recorded on arrival, so a test sees the attempt the client gave up on
                self._state.calls.append(call)
                self._lock.notify_all()
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.status != 200:
            status, payload = (
                fault.status,
                {"ok": False, "error_code": fault.status, "description": fault.description},
            )
            if fault.parameters:
                payload["parameters"] = fault.parameters
        elif method.lower() == "getupdates":
            status, payload = await self._get_updates(params)
        else:
            status, payload = self._answer(method, params)
        call.status, call.response = status, payload
        with self._lock:
            if not recorded:
                self._state.calls.append(call)
            self._lock.notify_all()
        return status, payload

    async def _get_updates(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self._state.webhook_url:
            return 409, {
                "ok": False,
                "error_code": 409,
                "description": "Conflict: can't use getUpdates method while webhook is active;"
                " use deleteWebhook to delete the webhook first",
            }
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        assert self._new_update is not None
        while True:
            self._new_update.clear()
            with self._lock:
                if offset:
                    self._state.updates = [
                        u for u in self._state.updates if u["update_id"] >= offset
                    ]
                    self._lock.notify_all()
                ready = self._state.updates[:limit]
            remaining = deadline - time.monotonic()
            if ready or remaining <= 0:
                return 200, {"ok": True, "result": ready}
            try:
                await asyncio.wait_for(self._new_update.wait(), remaining)
            except TimeoutError:
                pass

    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        name = method.lower()
        result: Any = True
        if name == "getme":
            result = self.bot_user
        elif name == "setwebhook":
            self._state.webhook_url = str(params.get("url", ""))
        elif name == "deletewebhook":
            self._state.webhook_url = ""
            if params.get("drop_pending_updates"):
                with self._lock:
                    self._state.updates.clear()
        elif name == "getwebhookinfo":
            result = {
                "url": self._state.webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": len(self._state.updates),
            }
        elif name == "setmycommands":
            self._state.commands[_scope_key(params)] = params.get("commands") or []
        elif name == "deletemycommands":
            self._state.commands.pop(_scope_key(params), None)
        elif name == "getmycommands":
            result = self._state.commands.get(_scope_key(params), [])
        elif name == "setchatmenubutton":
            self._state.menu_buttons[params.get("chat_id")] = params.get("menu_button") or {
                "type": "default"
            }
        elif name == "getchatmenubutton":
            result = self._state.menu_buttons.get(params.get("chat_id"), {"type": "default"})
        elif name == "getchat":
            chat_id = params.get("chat_id")
            result = _chat(chat_id, _chat_type(chat_id))
            result["accent_color_id"] = 0
            result["max_reaction_count"] = 11
            if chat_id in self._state.forums:
                result["is_forum"] = True
        elif name == "createforumtopic":
            chat_id = params.get("chat_id")
            if chat_id not in self._state.forums:
                return 400, {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: the chat is not a forum",
                }
            thread_id = next(self._message_ids)
            with self._lock:
                self._state.topics[(chat_id, thread_id)] = str(params.get("name", ""))
            result = {"message_thread_id": thread_id, "name": params.get("name"), "icon_color": 0}
        elif name == "copymessage":
            return self._copy(params)
        elif name == "sendchataction":
            result = True
        elif name == "getchatmember":
            result = self._chat_member(params.get("chat_id"), int(params.get("user_id", 0)))
        elif name == "getchatadministrators":
            chat_id = params.get("chat_id")
            admins, owner = self._state.admins.get(chat_id, ([], None))
            result = [
                self._chat_member(chat_id, u)
                for u in ([owner] if owner is not None else []) + admins
            ]
        elif name.startswith("send"):
            error = self._check_text(params, "text" if name == "sendmessage" else "caption")
            if error:
                return 400, {"ok": False, "error_code": 400, "description": error}
            result = self._new_bot_message(params)
        elif name in ("editmessagetext", "editmessagereplymarkup", "editmessagecaption"):
            return self._edit(name, params)
        elif name == "deletemessage":
            with self._lock:
                self._state.messages.pop((params.get("chat_id"), params.get("message_id")), None)
        return 200, {"ok": True, "result": result}

    def _copy(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            source = self._state.messages.get(
                (params.get("from_chat_id"), params.get("message_id"))
            )
        if source is None:
            return 400, {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: message to copy not found",
            }
        copied = {
            k: v
            for k, v in source.items()
            if k in ("text", "entities", "caption", "caption_entities", "photo", "document")
        }
        message = self._new_bot_message({**params, "parse_mode": None})
        with self._lock:
            message.update(copied)
        return 200, {"ok": True, "result": {"message_id": message["message_id"]}}

    @staticmethod
    def _check_text(params: dict[str, Any], key: str) -> str | None:
        text = str(params.get(key, ""))
        if str(params.get("parse_mode", "")).upper() == "HTML":
            return telegram_html_error(text)
        if key == "text" and not text.strip():
            return "Bad Request: message text is empty"
        if utf16_len(text) > MAX_MESSAGE_UTF16:
            return "Bad Request: message is too long"
        return None

    def _new_bot_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": _chat(chat_id, _chat_type(chat_id)),
            "from": self.bot_user,
        }
        message.update(self._rendered(params))
        if params.get("message_thread_id"):  # sent into a forum topic
            message["message_thread_id"] = params["message_thread_id"]
            message["is_topic_message"] = True
        reply_to = (params.get("reply_parameters") or {}).get("message_id") or params.get(
            "reply_to_message_id"
        )
        with self._lock:
            if reply_to and (chat_id, reply_to) in self._state.messages:
                message["reply_to_message"] = self._state.messages[(chat_id, reply_to)]
            self._state.messages[(chat_id, message["message_id"])] = message
        return message

    @staticmethod
    def _rendered(params: dict[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for key in ("text", "caption"):
            if key in params:
                value = str(params[key])
                if str(params.get("parse_mode", "")).upper() == "HTML":
                    value = html_to_text(value)
                fields[key] = value
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            # Telegram echoes inline keyboards only (not force_reply or reply keyboards).
            fields["reply_markup"] = markup
        return fields

    def _edit(self, name: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if params.get("inline_message_id"):
            return 200, {"ok": True, "result": True}
        key = (params.get("chat_id"), params.get("message_id"))
        if name == "editmessagetext":
            error = self._check_text(params, "text")
            if error:
                return 400, {"ok": False, "error_code": 400, "description": error}
        with self._lock:
            message = self._state.messages.get(key)
            if message is None:
                return 400, {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: message to edit not found",
                }
            updated = dict(message)
            updated.update(self._rendered(params))
            if "reply_markup" not in params:
                updated.pop("reply_markup", None)
            if updated == message:
                return 400, {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: message is not modified: specified new message"
                    " content and reply markup are exactly the same as a current"
                    " content and reply markup of the message",
                }
            updated["edit_date"] = int(time.time())
            self._state.messages[key] = updated
        return 200, {"ok": True, "result": updated}


# --------------------------------------------------------------------------- helpers

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    502: "Bad Gateway",
}


def _scope_key(params: dict[str, Any]) -> str:
    """setMyCommands' scope and language as one key (a missing scope is the default one)."""
    scope = params.get("scope") or {"type": "default"}
    return json.dumps([scope, params.get("language_code") or ""], sort_keys=True)


def _chat_type(chat_id: Any) -> str:
    if not isinstance(chat_id, int) or chat_id > 0:
        return "private" if isinstance(chat_id, int) else "channel"
    return "supergroup" if str(chat_id).startswith("-100") else "group"


def _chat(chat_id: Any, chat_type: str) -> dict[str, Any]:
    chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
    if chat_type == "private":
        chat["first_name"] = f"User{chat_id}"
    else:
        chat["title"] = f"Group {chat_id}"
    return chat


def _entities(text: str) -> list[dict[str, Any]]:
    entities = []
    for match in re.finditer(
        r"(?<![\w/@])(/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?|@[A-Za-z0-9_]{5,})", text
    ):
        token = match.group(0)
        if token.startswith("/") and match.start() != 0:
            continue
        entities.append(
            {
                "type": "bot_command" if token.startswith("/") else "mention",
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(token),
            }
        )
    return entities


def _call_matches(
    call: Call, method: str | None, chat_id: Any, where: Callable[[Call], bool] | None
) -> bool:
    if method is not None and call.method.lower() != method.lower():
        return False
    if chat_id is not None and call.chat_id != chat_id:
        return False
    return where is None or bool(where(call))


def _decode_value(key: str, value: str) -> Any:
    if key in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _decode_params(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    raw: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if body:
        if content_type.startswith("application/json"):
            return {**raw, **json.loads(body)}
        if content_type.startswith("multipart/form-data"):
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                f"Content-Type: {content_type}\r\n\r\n".encode() + body
            )
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True) or b""
                raw[str(name)] = (
                    payload if part.get_filename() else payload.decode("utf-8", "replace")
                )
        else:
            raw.update(parse_qsl(body.decode(), keep_blank_values=True))
    return {k: _decode_value(k, v) if isinstance(v, str) else v for k, v in raw.items()}


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, dict[str, str], bytes] | None:
    line = await reader.readline()
    if not line:
        return None
    try:
        _method, target, _version = line.decode("latin-1").split()
    except ValueError:
        return None
    headers: dict[str, str] = {}
    while True:
        header = await reader.readline()
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readline()).strip() or b"0", 16)
            if size == 0:
                await reader.readline()
                break
            body += await reader.readexactly(size)
            await reader.readline()
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return target, headers, body
