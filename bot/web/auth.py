"""Who may use the lookup page's API.

On 127.0.0.1 without ``SKILLBOT_WEB_TOKEN`` anyone local may (the desk's own machine).  With a
token, every API request needs ``Authorization: Bearer <token>``.  Opened as a Telegram Mini App
(``SKILLBOT_WEB_URL``), a request may instead carry ``Authorization: tma <initData>``: accepted
when Telegram's signature checks out (HMAC-SHA256 keyed with HMAC-SHA256("WebAppData", bot
token)), ``auth_date`` is recent, and — when the page is staff-only — the user is staff.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

INIT_DATA_MAX_AGE = 24 * 3600.0  # seconds; Telegram's initData of a Mini App opened today


@dataclass(frozen=True)
class WebUser:
    """A Mini App user, from verified initData."""

    id: int
    name: str


def is_loopback(address: str) -> bool:
    """Whether ``address`` only listens on this machine.

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def bearer_ok(header: str, token: str) -> bool:
    """Whether an ``Authorization`` header carries ``token`` as a Bearer token.

    >>> bearer_ok("Bearer s3cret-token", "s3cret-token"), bearer_ok("Bearer x", "s3cret-token")
    (True, False)
    """
    scheme, _, value = header.partition(" ")
    return (
        bool(token)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(value.strip().encode(), token.encode())
    )


def init_data_signature(pairs: dict[str, str], bot_token: str) -> str:
    """Telegram's hash of initData fields (without ``hash``): HMAC-SHA256 of the sorted
    ``key=value`` lines, keyed with HMAC-SHA256 of the bot token under "WebAppData"."""
    check = "\n".join(f"{k}={v}" for k, v in sorted(pairs.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    return hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()


def verify_init_data(
    init_data: str, bot_token: str, *, now: float | None = None, max_age: float = INIT_DATA_MAX_AGE
) -> WebUser | None:
    """The user of a Mini App's initData, or None unless it is Telegram's and recent.

    >>> from urllib.parse import urlencode
    >>> fields = {"auth_date": "1700000000", "user": '{"id": 42, "first_name": "阿明"}'}
    >>> signed = urlencode({**fields, "hash": init_data_signature(fields, "1:abc")})
    >>> verify_init_data(signed, "1:abc", now=1700000060)
    WebUser(id=42, name='阿明')
    >>> verify_init_data(signed, "1:other", now=1700000060) is None
    True
    >>> verify_init_data(signed, "1:abc", now=1700000000 + 2 * 86400) is None
    True
    """
    if not bot_token or not init_data or len(init_data) > 4096:
        return None
    pairs = dict(parse_qsl(init_data, keep_blank_values=True))
    given = pairs.pop("hash", "")
    if not given or not hmac.compare_digest(given, init_data_signature(pairs, bot_token)):
        return None
    try:
        auth_date = float(pairs.get("auth_date", ""))
        user = json.loads(pairs.get("user", ""))
        user_id = int(user["id"])
    except (ValueError, TypeError, KeyError):
        return None
    now = time.time() if now is None else now
    if not 0 <= now - auth_date <= max_age:
        return None
    name = " ".join(str(user.get(k, "")) for k in ("first_name", "last_name")).strip()
    return WebUser(user_id, name)
