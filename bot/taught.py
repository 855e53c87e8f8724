"""Names staff taught, kept in the database and taught to the engine: every channel (Telegram,
the command line, the lookup page) calls :meth:`TaughtNames.refresh` before answering, which
costs one small query and rebuilds the engine's table only when the names changed — so a name
taught on one instance answers on every instance at once, and after a restart."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.store.people import People
    from nlp.engine import Engine

logger = logging.getLogger(__name__)


class TaughtNames:
    """Keeps one engine's taught names in step with the database."""

    def __init__(self, engine: Engine, people: People) -> None:
        self.engine = engine
        self.people = people
        self._version: tuple[int, datetime | None] | None = None
        self._lock = threading.Lock()

    def refresh(self, *, force: bool = False) -> None:
        """Teach the engine the names in the database if they changed since the last call."""
        version = self.people.taught_version()
        if version == self._version and not force:
            return
        with self._lock:
            names = self.people.taught()
            refused = self.engine.teach({t.name: t.entry_key for t in names})
            if refused:
                logger.warning("taught names not used (catalogue names or old keys): %s", refused)
            self._version = version
