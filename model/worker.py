"""One thread owns the device: generations run there one at a time, callers only submit and cancel.

It owns it from the start: the local engine is built on it too (`loader.load_engine`). PyTorch's CPU
ops run on OpenMP, and every thread that runs a parallel op gets its own team of OpenMP threads. On a
2-core VM the 0.5B model decoded at 41 ms a token on a worker beside the team of the thread that had
loaded it, and at 24 ms on a worker that had also loaded it. With OMP_WAIT_POLICY=PASSIVE (helper threads
sleep between ops instead of spinning) both took about 40 ms, so a second team, idle or not, costs each
of the thousand small ops of a decode step a wake-up of its helper threads.

`EngineWorker.submit()` may be called from any thread (the LSP event loop included: it returns at
once). The returned iterator blocks in `next()` until the worker produces the next delta, so the LSP
reads it from an executor thread. A job whose cancel token is set before it starts is skipped; a
running job stops between two decode steps; a consumer that closes the iterator early cancels its job.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar, cast

from daima.model.api import CancelToken

log = logging.getLogger(__name__)

_DONE = object()
T = TypeVar("T")


@dataclass
class _Failure:
    error: BaseException


@dataclass
class _Job:
    produce: Callable[[Callable[[], bool]], Iterator[str]]
    cancels: tuple[CancelToken, ...]
    out: queue.Queue[object]

    def cancelled(self) -> bool:
        return any(token.cancelled for token in self.cancels)


class EngineWorker:
    """A daemon thread that runs submitted generations in order, one at a time."""

    def __init__(self, name: str = "daima-engine") -> None:
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(
        self, produce: Callable[[Callable[[], bool]], Iterator[str]], cancel: CancelToken | None = None
    ) -> Iterator[str]:
        """Queue `produce(cancelled)` on the worker; returns an iterator over the deltas it yields."""
        own = CancelToken()
        job = _Job(produce, (own, cancel) if cancel is not None else (own,), queue.Queue())
        self._jobs.put(job)
        return self._consume(job, own)

    def call(self, function: Callable[[], object]) -> object:
        """Run `function` on the worker thread (e.g. warm-up or cache clearing) and return its result.
        Called from the worker thread itself (work that is already on it) it runs at once."""
        if threading.current_thread() is self._thread:
            return function()
        result: list[object] = []

        def produce(_cancelled: Callable[[], bool]) -> Iterator[str]:
            result.append(function())
            return iter(())

        for _ in self.submit(produce):
            pass
        return result[0]

    @staticmethod
    def _consume(job: _Job, own: CancelToken) -> Iterator[str]:
        try:
            while True:
                item = job.out.get()
                if item is _DONE:
                    return
                if isinstance(item, _Failure):
                    raise item.error
                yield item  # type: ignore[misc]
        finally:
            own.cancel()  # harmless after the end; stops the generation if the consumer gave up

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                for delta in job.produce(job.cancelled):
                    job.out.put(delta)
            except BaseException as error:
                log.debug("generation failed: %s", error)
                job.out.put(_Failure(error))
            job.out.put(_DONE)

    def close(self) -> None:
        """Stop the thread after the queued jobs."""
        self._jobs.put(None)
        self._thread.join(timeout=10)


def built_on_worker(build: Callable[[EngineWorker], T]) -> T:
    """`build(worker)` run on a new worker thread, which the built engine then keeps for its generations
    (one thread does all of the model's work); the worker stops again when the build fails."""
    worker = EngineWorker()
    try:
        return cast(T, worker.call(lambda: build(worker)))
    except BaseException:
        worker.close()
        raise
