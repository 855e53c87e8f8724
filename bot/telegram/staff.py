"""Who is staff: the ids in ``SKILLBOT_ADMINS`` everywhere, and the members of the staff group
(``SKILLBOT_STAFF_CHAT``), checked with ``getChatMember`` and remembered for a short while so
a busy group does not ask Telegram for every message."""

from __future__ import annotations

import logging
import time

from telegram import Bot, ChatMemberRestricted
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from bot.settings import Settings

logger = logging.getLogger(__name__)

STAFF_CACHE_SECONDS = 60.0
_MEMBER = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.MEMBER)


class StaffCheck:
    """``await is_staff(bot, settings, user_id)``, cached for :data:`STAFF_CACHE_SECONDS`."""

    def __init__(self, ttl: float = STAFF_CACHE_SECONDS) -> None:
        self.ttl = ttl
        self._seen: dict[int, tuple[float, bool]] = {}

    async def is_staff(self, bot: Bot, settings: Settings, user_id: int | None) -> bool:
        """Whether ``user_id`` is an admin or a member of the staff group."""
        if user_id is None:
            return False
        if settings.is_admin(user_id):
            return True
        if settings.staff_chat is None:
            return False
        now = time.monotonic()
        seen = self._seen.get(user_id)
        if seen is not None and now - seen[0] < self.ttl:
            return seen[1]
        try:
            member = await bot.get_chat_member(settings.staff_chat, user_id)
            staff = member.status in _MEMBER or (
                isinstance(member, ChatMemberRestricted) and member.is_member
            )
        except TelegramError as error:
            logger.warning("getChatMember on the staff chat failed: %s", error)
            return False  # not remembered: asked again next time
        if len(self._seen) > 10_000:
            self._seen.clear()
        self._seen[user_id] = (now, staff)
        return staff
