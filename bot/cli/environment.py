"""The settings a database command reads, or one line saying what is wrong with them."""

from __future__ import annotations

import sys

from bot.settings import Settings, SettingsError


def settings_for(command: str) -> Settings | None:
    """The settings (no bot token needed), or ``None`` after printing ``skillbot <command>:``
    and the problem to stderr (the caller exits 2)."""
    try:
        return Settings.from_env(require_token=False)
    except SettingsError as error:
        print(f"skillbot {command}: {error}", file=sys.stderr)
        return None
