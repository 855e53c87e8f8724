"""The services handlers use (engine, store, settings), reached through a typed context.

``application.bot_data`` stays a plain dict (other modules, e.g. ``bot.notify_handlers``, keep
their own keys there); :class:`BotContext` gives typed access to the bot's entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram.ext import CallbackContext, ExtBot

from bot.settings import Settings

if TYPE_CHECKING:
    from bot.store.state import Store
    from nlp.engine import Engine

SERVICES_KEY = "services"
SETTINGS_KEY = "settings"


@dataclass
class Services:
    """What the bot talks to besides Telegram."""

    engine: Engine
    store: Store


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The callback context of every handler, with typed access to the services."""

    @property
    def services(self) -> Services:
        """The engine and the store."""
        services: Services = self.bot_data[SERVICES_KEY]
        return services

    @property
    def settings(self) -> Settings:
        """The settings read from the environment."""
        settings: Settings = self.bot_data[SETTINGS_KEY]
        return settings
