"""Long polling that a malformed update cannot stall.

PTB parses a whole ``getUpdates`` answer at once: one update it cannot parse fails the call, the
offset never moves past it, and the updater asks again at once, forever (16 calls a second, a
traceback each).  :class:`UpdatesRequest` checks each update of the answer before PTB sees it
and replaces one that does not parse with its bare ``update_id`` (which no handler acts on), so
the offset moves on; the update is logged in one line (its id and size, not its content).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from telegram import Update
from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)


def sanitise_updates(payload: bytes) -> bytes:
    """The ``getUpdates`` answer with every update that does not parse replaced by its id.

    >>> sanitise_updates(b'{"ok": true, "result": [{"update_id": 5, "message": 7}]}')
    b'{"ok": true, "result": [{"update_id": 5}]}'
    """
    try:
        data = json.loads(payload)
        updates = data["result"]
    except (ValueError, KeyError, TypeError):
        return payload  # not an answer with updates: PTB says what is wrong with it
    if not isinstance(updates, list):
        return payload
    changed = False
    for index, update in enumerate(updates):
        try:
            Update.de_json(update, None)
        except Exception as error:  # anything the update parser may raise
            update_id = update.get("update_id") if isinstance(update, dict) else None
            if not isinstance(update_id, int):
                continue
            log.warning(
                "malformed update %s dropped (%d bytes, %s)",
                update_id,
                len(json.dumps(update)),
                type(error).__name__,
            )
            updates[index] = {"update_id": update_id}
            changed = True
    return json.dumps(data).encode() if changed else payload


class UpdatesRequest(HTTPXRequest):
    """The request object of ``getUpdates`` (see the module docstring)."""

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        """Send as usual; clean the answer's updates."""
        code, payload = await super().do_request(*args, **kwargs)
        if code == 200:
            payload = sanitise_updates(payload)
        return code, payload
