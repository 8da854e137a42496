"""LSP work-done progress (`window/workDoneProgress/create`, `$/progress`) for the server's long jobs:
the first index and the model's load. Callable from any thread; silent when the client does not support
it. Editors show it where they show progress (VS Code's status bar, Neovim's `vim.lsp.status()`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

if TYPE_CHECKING:
    from daima.lsp.server import DaimaServer


class WorkDone:
    """One job's progress: begun at the first report, ended once."""

    def __init__(self, server: DaimaServer, title: str, kind: str) -> None:
        self._server = server
        self._token = f"daima-{kind}-{uuid.uuid4()}"
        self._title = title
        self._begun = self._ended = False
        self._last: tuple[str | None, int | None] = (None, None)
        caps = server.client_capabilities.window
        self._enabled = bool(caps and caps.work_done_progress)
        if self._enabled:
            self._call(lambda: server.work_done_progress.create(self._token))

    def _call(self, fn: Callable[[], object]) -> None:
        loop = self._server.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(fn)

    def report(self, message: str, percentage: int | None = None) -> None:
        if not self._enabled or self._ended or (message, percentage) == self._last:
            return
        self._last = (message, percentage)
        if not self._begun:
            self._begun = True
            begin = lsp.WorkDoneProgressBegin(
                title=self._title, message=message, percentage=percentage, cancellable=False
            )
            self._call(lambda: self._server.work_done_progress.begin(self._token, begin))
            return
        update = lsp.WorkDoneProgressReport(message=message, percentage=percentage)
        self._call(lambda: self._server.work_done_progress.report(self._token, update))

    def end(self, message: str) -> None:
        if self._enabled and self._begun and not self._ended:
            self._ended = True
            done = lsp.WorkDoneProgressEnd(message=message)
            self._call(lambda: self._server.work_done_progress.end(self._token, done))
