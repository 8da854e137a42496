"""Runs completions on one worker thread, so the event loop only schedules and cancels.

A newer request for the same document cancels the older one (the user has moved on), as does
`$/cancelRequest`. A cancelled job that has not started is skipped; one that has started stops between
two decode steps through its `CancelToken`.

Background jobs (warming the KV cache where the user is about to ask) run on the same worker but give
way to everything: any request, and any newer background job, cancels the one queued or running.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from daima.model.api import CancelToken

log = logging.getLogger(__name__)

T = TypeVar("T")


class CompletionScheduler:
    """One worker thread; at most one live request per document."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="daima-worker")
        self._latest: dict[str, CancelToken] = {}
        self._background: CancelToken | None = None

    async def run(self, key: str, job: Callable[[CancelToken], T]) -> T | None:
        """Run `job(cancel)` on the worker; returns None when it was superseded or cancelled."""
        self._cancel_background()
        cancel = CancelToken()
        previous = self._latest.get(key)
        if previous is not None:
            previous.cancel()
        self._latest[key] = cancel
        try:
            return await self._on_worker(job, cancel)
        finally:
            if self._latest.get(key) is cancel:
                del self._latest[key]

    async def run_background(self, job: Callable[[CancelToken], T]) -> T | None:
        """Run `job(cancel)` on the worker unless a request or a newer background job comes first;
        returns None when it was cancelled."""
        self._cancel_background()
        cancel = self._background = CancelToken()
        try:
            return await self._on_worker(job, cancel)
        finally:
            if self._background is cancel:
                self._background = None

    async def _on_worker(self, job: Callable[[CancelToken], T], cancel: CancelToken) -> T | None:
        """`job(cancel)` on the worker thread, skipped if cancelled before it starts; None if cancelled."""

        def guarded() -> T | None:
            return None if cancel.cancelled else job(cancel)

        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(self._executor, guarded)
        except asyncio.CancelledError:
            cancel.cancel()
            raise
        return None if cancel.cancelled else result

    @property
    def busy(self) -> bool:
        """A request is queued or running."""
        return bool(self._latest)

    def _cancel_background(self) -> None:
        if self._background is not None:
            self._background.cancel()
            self._background = None

    def cancel(self, key: str) -> None:
        token = self._latest.pop(key, None)
        if token is not None:
            token.cancel()

    def shutdown(self) -> None:
        self._cancel_background()
        for token in self._latest.values():
            token.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)
