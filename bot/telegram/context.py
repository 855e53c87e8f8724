"""The services handlers use (engine, store, settings), reached through a typed context.

``build_application`` puts them into ``application.bot_data`` once (:func:`install`); handlers
read them as ``context.services`` and ``context.settings`` (:class:`BotContext`), and code that
holds the application rather than a context reads them with :func:`services_of` and
:func:`settings_of`.  Nothing else keeps anything in ``bot_data``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.settings import Settings
from bot.telegram.staff import StaffCheck

if TYPE_CHECKING:
    from bot.store.people import People
    from bot.store.state import Store
    from bot.taught import TaughtNames
    from bot.telegram.budget import SendBudget
    from bot.telegram.delivery import Deliverer
    from nlp.engine import Engine

SERVICES_KEY = "services"
SETTINGS_KEY = "settings"


@dataclass
class Services:
    """What the bot talks to besides Telegram."""

    engine: Engine
    store: Store
    # Set by ``handlers.notices.register`` when this instance delivers notices.
    deliverer: Deliverer | None = None
    staff: StaffCheck = field(default_factory=StaffCheck)

    @cached_property
    def people(self) -> People:
        """Hand-offs, taught names and staff actions, on the store's database."""
        from bot.store.people import People

        return People(self.store)

    @cached_property
    def taught(self) -> TaughtNames:
        """The engine's taught names, kept in step with the database."""
        from bot.taught import TaughtNames

        return TaughtNames(self.engine, self.people)

    # Set by ``build_application``: Telegram's 30 a second, shared with every instance.
    budget: SendBudget | None = None


def install(
    application: Application[Any, Any, Any, Any, Any, Any], settings: Settings, services: Services
) -> None:
    """Give the application's handlers ``settings`` and ``services``."""
    application.bot_data[SETTINGS_KEY] = settings
    application.bot_data[SERVICES_KEY] = services


def services_of(application: Application[Any, Any, Any, Any, Any, Any]) -> Services:
    """The services :func:`install` gave the application."""
    services: Services = application.bot_data[SERVICES_KEY]
    return services


def settings_of(application: Application[Any, Any, Any, Any, Any, Any]) -> Settings:
    """The settings :func:`install` gave the application."""
    settings: Settings = application.bot_data[SETTINGS_KEY]
    return settings


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The callback context of every handler, with typed access to the services."""

    @property
    def services(self) -> Services:
        """The engine, the store and the notice deliverer."""
        return services_of(self.application)

    @property
    def settings(self) -> Settings:
        """The settings read from the environment."""
        return settings_of(self.application)
