"""The services handlers use (answer engine, state store, settings), reached through a typed context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.settings import Settings

if TYPE_CHECKING:
    from knowledge.state import Store
    from nlp.engine import Engine


@dataclass
class Services:
    """What the bot talks to besides Telegram."""

    engine: Engine
    store: Store


class BotData:
    """``application.bot_data``: the settings and services, set once by ``build_application``."""

    settings: Settings
    services: Services


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """The callback context of every handler, with typed access to the services."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)

    @property
    def services(self) -> Services:
        """The engine and the store."""
        return self.bot_data.services

    @property
    def settings(self) -> Settings:
        """The settings read from the environment."""
        return self.bot_data.settings
