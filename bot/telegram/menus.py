"""The command menus, one per scope (``setMyCommands``), and the chat's menu button.

Which commands each kind of chat sees is data (``texts.*_COMMANDS``); :func:`command_menus` pairs
each table with its Bot API scope: every private chat, every group, the groups' administrators,
each admin's private chat (``SKILLBOT_ADMINS``: the private commands and the staff ones) and the
staff groups.  Telegram shows a chat the most specific scope that has commands, so a scope's
table is whole, never a difference.  The menu button shows the commands, or opens the lookup
page when ``SKILLBOT_WEB_URL`` is set.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    MenuButton,
    MenuButtonCommands,
    MenuButtonWebApp,
    WebAppInfo,
)
from telegram.error import TelegramError
from telegram.ext import Application

from bot.settings import Settings
from bot.store.state import TOPICS
from bot.telegram import texts
from bot.telegram.context import settings_of

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Menu:
    """The commands one scope of chats sees, in order."""

    scope: BotCommandScope
    commands: tuple[tuple[str, str], ...]

    def bot_commands(self) -> list[BotCommand]:
        """The table as Bot API commands (descriptions filled in)."""
        topics = "、".join(TOPICS)
        return [BotCommand(c, d.format(topics=topics)) for c, d in self.commands]


def command_menus(settings: Settings, staff_chats: Iterable[int] = ()) -> list[Menu]:
    """Every scope's menu: the broad scopes first, then each admin's and staff group's own."""
    menus = [
        Menu(BotCommandScopeAllPrivateChats(), texts.PRIVATE_COMMANDS),
        Menu(BotCommandScopeAllGroupChats(), texts.GROUP_COMMANDS),
        Menu(BotCommandScopeAllChatAdministrators(), texts.GROUP_ADMIN_COMMANDS),
    ]
    staff_in_private = texts.PRIVATE_COMMANDS + texts.STAFF_COMMANDS
    menus += [Menu(BotCommandScopeChat(a), staff_in_private) for a in sorted(settings.admins)]
    menus += [Menu(BotCommandScopeChat(c), texts.STAFF_GROUP_COMMANDS) for c in staff_chats]
    return menus


def menu_button(settings: Settings) -> MenuButton:
    """The button beside the message field: the commands, or the lookup page when set."""
    if settings.web_url:
        return MenuButtonWebApp(texts.MENU_BUTTON_LOOKUP, WebAppInfo(settings.web_url))
    return MenuButtonCommands()


async def install_menus(
    application: Application[Any, Any, Any, Any, Any, Any], staff_chats: Iterable[int] = ()
) -> None:
    """Register every scope's menu and the menu button; a failure costs only that scope (an
    admin who never opened the bot is a chat Telegram does not know yet)."""
    settings = settings_of(application)
    for menu in command_menus(settings, staff_chats):
        try:
            await application.bot.set_my_commands(menu.bot_commands(), scope=menu.scope)
        except TelegramError as error:
            logger.warning("setMyCommands failed for scope %s: %s", menu.scope.type, error)
    try:
        await application.bot.set_chat_menu_button(menu_button=menu_button(settings))
    except TelegramError as error:
        logger.warning("setChatMenuButton failed: %s", error)
