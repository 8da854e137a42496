"""Partials are sent only for the document version they were computed on: a partial queued from the
worker is dropped on the event loop if the user typed on meanwhile (they used to arrive seconds late)."""

from __future__ import annotations

import asyncio
from typing import Any

from daima.lsp.documents import ContentChange
from daima.lsp.server import create_server
from daima.text import PositionEncoding


async def test_a_notification_is_dropped_when_no_longer_wanted() -> None:
    server = create_server()
    sent: list[tuple[str, Any]] = []
    server.protocol.notify = lambda method, params=None: sent.append((method, params))  # type: ignore[method-assign]
    server.loop = asyncio.get_running_loop()
    server.documents.open("file:///t.py", "a", 1, "python")

    def at(version: int):
        return lambda: server.documents.get("file:///t.py").version == version

    # Queued (as the worker queues it), then the user types before the loop gets to send it.
    server.notify_threadsafe("daima/completionProgress", {"v": 1}, at(1))
    server.documents.change("file:///t.py", 2, [ContentChange("ab")], PositionEncoding.UTF16)
    await asyncio.sleep(0.05)
    assert sent == []  # queued for version 1, and the document is at version 2 by the time it would go
    await asyncio.to_thread(server.notify_threadsafe, "daima/completionProgress", {"v": 2}, at(2))
    await asyncio.sleep(0.05)
    assert sent == [("daima/completionProgress", {"v": 2})]
