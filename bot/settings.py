"""The bot's configuration, read from the environment in one place.

``TELEGRAM_BOT_TOKEN`` (required to run), ``TELEGRAM_API_BASE_URL`` (a self-hosted Bot API server,
e.g. ``http://127.0.0.1:8081/bot``), ``TELEGRAM_WEBHOOK_SECRET`` (else one is generated per run),
``DATABASE_URL`` (default: the SQLite file of ``bot.store.db``), ``SKILLBOT_ADMINS``
(comma-separated Telegram user ids allowed to use admin commands), and for notice delivery
``SKILLBOT_DELIVERY`` (``0``/``false``/``no``/``off`` turns it off on this instance),
``SKILLBOT_NOTIFY_RATE`` (messages per second of the whole bot — answers and notices of every
instance on the database share it, > 0, default 30), ``SKILLBOT_DELIVERY_INTERVAL`` (seconds
between outbox polls, > 0, default 2), ``SKILLBOT_RETENTION_DAYS`` (days logged questions and
idle conversations are kept, a whole number ≥ 1, default 90) and ``SKILLBOT_NOTICE_SENDER`` (the
header line of every notice, default 「淮安职业培训补贴通知」).  For the people behind the bot:
``SKILLBOT_STAFF_CHAT`` (the id of the staff group hand-offs go to; its members are staff),
``SKILLBOT_HANDOFF_TIMEOUT`` (how long a hand-off waits for a person: minutes, or with
``s``/``m``/``h``; default 30 min), ``SKILLBOT_HANDOFF_SHOW_STAFF`` (``1`` names the staff member
to the worker; default off) and for the lookup page ``SKILLBOT_WEB_TOKEN`` (the Bearer token its
API needs when it listens beyond 127.0.0.1), ``SKILLBOT_WEB_URL`` (its public https address: the
chat's menu button opens it as a Telegram Mini App) and ``SKILLBOT_WEB_STAFF_ONLY`` (default on:
Mini App requests only from staff).  The token and the web token are never part of a ``repr`` or
of an error message.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# Telegram's own shape: the bot's numeric id, a colon, a URL-safe secret (35 characters today).
_TOKEN_RE = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{30,100}")
# setWebhook's secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -.
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_OFF = frozenset({"0", "false", "no", "off"})
_ON = frozenset({"", "1", "true", "yes", "on"})
TELEGRAM_MESSAGES_PER_SECOND = 30.0
DELIVERY_INTERVAL = 2.0
NOTICE_SENDER = "淮安职业培训补贴通知"
NOTICE_SENDER_MAX_CHARS = 64
HANDOFF_TIMEOUT = 30 * 60.0
_DURATION_RE = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([smh]?)")
RETENTION_DAYS = 90


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable, never its secret."""


def _generated_secret() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from the environment."""

    token: str = field(repr=False)
    api_base_url: str = "https://api.telegram.org/bot"
    api_base_file_url: str = "https://api.telegram.org/file/bot"
    database_url: str | None = None
    admins: frozenset[int] = frozenset()
    webhook_secret: str = field(default_factory=_generated_secret, repr=False)
    delivery: bool = True
    notify_rate: float = TELEGRAM_MESSAGES_PER_SECOND
    delivery_interval: float = DELIVERY_INTERVAL
    notice_sender: str = NOTICE_SENDER
    staff_chat: int | None = None
    handoff_timeout: float = HANDOFF_TIMEOUT  # seconds
    handoff_show_staff: bool = False
    web_token: str = field(default="", repr=False)
    web_url: str = ""
    web_staff_only: bool = True
    retention_days: int = RETENTION_DAYS

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, require_token: bool = True
    ) -> Settings:
        """Read the settings from ``environ`` (default ``os.environ``)."""
        env = os.environ if environ is None else environ
        token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
        if require_token:
            check_token(token)
        base_url, file_url = api_urls(env.get("TELEGRAM_API_BASE_URL", ""))
        secret = env.get("TELEGRAM_WEBHOOK_SECRET", "").strip()
        if secret and not _SECRET_RE.fullmatch(secret):
            raise SettingsError(
                "TELEGRAM_WEBHOOK_SECRET 格式不正确：1–256 个字符，只能是 A-Z a-z 0-9 _ -"
            )
        return cls(
            token=token,
            api_base_url=base_url,
            api_base_file_url=file_url,
            database_url=env.get("DATABASE_URL", "").strip() or None,
            admins=parse_admins(env.get("SKILLBOT_ADMINS", "")),
            webhook_secret=secret or _generated_secret(),
            delivery=parse_switch("SKILLBOT_DELIVERY", env.get("SKILLBOT_DELIVERY", "")),
            notify_rate=parse_positive(
                "SKILLBOT_NOTIFY_RATE",
                env.get("SKILLBOT_NOTIFY_RATE", ""),
                TELEGRAM_MESSAGES_PER_SECOND,
            ),
            delivery_interval=parse_positive(
                "SKILLBOT_DELIVERY_INTERVAL",
                env.get("SKILLBOT_DELIVERY_INTERVAL", ""),
                DELIVERY_INTERVAL,
            ),
            notice_sender=parse_sender(env.get("SKILLBOT_NOTICE_SENDER", "")),
            staff_chat=parse_chat_id("SKILLBOT_STAFF_CHAT", env.get("SKILLBOT_STAFF_CHAT", "")),
            handoff_timeout=parse_duration(
                "SKILLBOT_HANDOFF_TIMEOUT",
                env.get("SKILLBOT_HANDOFF_TIMEOUT", ""),
                HANDOFF_TIMEOUT,
            ),
            handoff_show_staff=parse_switch(
                "SKILLBOT_HANDOFF_SHOW_STAFF", env.get("SKILLBOT_HANDOFF_SHOW_STAFF", "0")
            ),
            web_token=env.get("SKILLBOT_WEB_TOKEN", "").strip(),
            web_url=parse_web_url(env.get("SKILLBOT_WEB_URL", "")),
            web_staff_only=parse_switch(
                "SKILLBOT_WEB_STAFF_ONLY", env.get("SKILLBOT_WEB_STAFF_ONLY", "")
            ),
            retention_days=parse_days(
                "SKILLBOT_RETENTION_DAYS", env.get("SKILLBOT_RETENTION_DAYS", ""), RETENTION_DAYS
            ),
        )

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never reach a log: the token, the webhook secret, the web token."""
        return tuple(s for s in (self.token, self.webhook_secret, self.web_token) if s)

    def is_admin(self, user_id: int | None) -> bool:
        """Whether ``user_id`` may use admin commands."""
        return user_id is not None and user_id in self.admins


def check_token(token: str) -> None:
    """Raise :class:`SettingsError` unless ``token`` looks like a bot token (never echoing it)."""
    if not token:
        raise SettingsError("缺少 TELEGRAM_BOT_TOKEN：请设置从 @BotFather 获得的机器人 token")
    if not _TOKEN_RE.fullmatch(token):
        raise SettingsError(
            "TELEGRAM_BOT_TOKEN 格式不正确：应为“数字:字母数字串”，如 123456789:AA…"
            "（此处不显示其内容）"
        )


def api_urls(base_url: str) -> tuple[str, str]:
    """Return (base_url, base_file_url) for ``TELEGRAM_API_BASE_URL`` ('' → api.telegram.org).

    >>> api_urls("http://127.0.0.1:8081/bot")
    ('http://127.0.0.1:8081/bot', 'http://127.0.0.1:8081/file/bot')
    >>> api_urls("http://127.0.0.1:8081/")
    ('http://127.0.0.1:8081/bot', 'http://127.0.0.1:8081/file/bot')
    """
    base_url = base_url.strip().rstrip("/")
    if not base_url:
        return Settings.api_base_url, Settings.api_base_file_url
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(
            "TELEGRAM_API_BASE_URL 应为 http(s) 地址，如 http://127.0.0.1:8081/bot"
        )
    root = base_url.removesuffix("/bot")
    return f"{root}/bot", f"{root}/file/bot"


def parse_admins(value: str) -> frozenset[int]:
    """Parse ``SKILLBOT_ADMINS`` ("123, 456").

    >>> sorted(parse_admins(" 12, 34 ,"))
    [12, 34]
    """
    admins = set()
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        if not re.fullmatch(r"-?[0-9]{1,20}", item):
            raise SettingsError(
                f"SKILLBOT_ADMINS 应为逗号分隔的 Telegram 用户 id，无法识别：{item!r}"
            )
        admins.add(int(item))
    return frozenset(admins)


def parse_switch(name: str, value: str) -> bool:
    """An on/off variable: empty, 1, true, yes, on → True; 0, false, no, off → False.

    >>> parse_switch("X", " Off "), parse_switch("X", "")
    (False, True)
    """
    value = value.strip().lower()
    if value in _OFF:
        return False
    if value in _ON:
        return True
    raise SettingsError(f"{name} 应为 1 或 0（on/off），无法识别：{value!r}")


def parse_days(name: str, value: str, default: int) -> int:
    """A whole number of days ≥ 1 (``default`` when empty).

    >>> parse_days("X", " 30 ", 90), parse_days("X", "", 90)
    (30, 90)
    """
    value = value.strip()
    if not value:
        return default
    if not re.fullmatch(r"[0-9]{1,5}", value) or int(value) < 1:
        raise SettingsError(f"{name} 应为不小于 1 的整数（天数），无法使用：{value!r}")
    return int(value)


def parse_positive(name: str, value: str, default: float) -> float:
    """A number > 0 (``default`` when empty).

    >>> parse_positive("X", " 12.5 ", 30.0), parse_positive("X", "", 30.0)
    (12.5, 30.0)
    """
    value = value.strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not number > 0 or number == float("inf"):
        raise SettingsError(f"{name} 应为大于 0 的数（每秒条数 / 秒），无法使用：{value!r}")
    return number


def parse_sender(value: str) -> str:
    """The notices' header line (``SKILLBOT_NOTICE_SENDER``): one line, at most 64 characters.

    >>> parse_sender(""), parse_sender(" 淮安市人社局 ")
    ('淮安职业培训补贴通知', '淮安市人社局')
    """
    value = value.strip()
    if not value:
        return NOTICE_SENDER
    if len(value) > NOTICE_SENDER_MAX_CHARS or not value.isprintable():
        raise SettingsError(
            f"SKILLBOT_NOTICE_SENDER 应为一行、不超过 {NOTICE_SENDER_MAX_CHARS} 个字符"
        )
    return value


def parse_chat_id(name: str, value: str) -> int | None:
    """A Telegram chat id (a group's is negative), or None when empty.

    >>> parse_chat_id("X", " -1001234567890 "), parse_chat_id("X", "")
    (-1001234567890, None)
    """
    value = value.strip()
    if not value:
        return None
    if not re.fullmatch(r"-?[0-9]{1,20}", value):
        raise SettingsError(
            f"{name} 应为 Telegram 群的 id（如 -1001234567890），无法识别：{value!r}"
        )
    return int(value)


def parse_duration(name: str, value: str, default: float) -> float:
    """Seconds from minutes (``30``) or a number with ``s``, ``m`` or ``h`` (``90s``, ``1h``).

    >>> parse_duration("X", "30", 0), parse_duration("X", "2s", 0), parse_duration("X", "", 5.0)
    (1800.0, 2.0, 5.0)
    """
    value = value.strip().lower()
    if not value:
        return default
    m = _DURATION_RE.fullmatch(value)
    seconds = float(m.group(1)) * {"s": 1, "m": 60, "": 60, "h": 3600}[m.group(2)] if m else 0
    if not seconds > 0:
        raise SettingsError(
            f"{name} 应为大于 0 的时长，如 30（分钟）、90s、1h，无法使用：{value!r}"
        )
    return seconds


def parse_web_url(value: str) -> str:
    """``SKILLBOT_WEB_URL``: the page's public https address ('' when unset).

    >>> parse_web_url(" https://bot.example.org/lookup ")
    'https://bot.example.org/lookup'
    """
    value = value.strip()
    if value and (urlsplit(value).scheme != "https" or not urlsplit(value).netloc):
        raise SettingsError("SKILLBOT_WEB_URL 应为 https 地址（Telegram 只打开 https 的小程序）")
    return value
