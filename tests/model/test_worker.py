"""EngineWorker: one thread runs the submitted work in order; call() from that thread runs at once."""

from __future__ import annotations

import threading

import pytest

from daima.model.worker import EngineWorker


def test_call_runs_on_the_worker_and_returns_its_result() -> None:
    worker = EngineWorker()
    try:
        assert worker.call(lambda: threading.current_thread().name) == "daima-engine"
    finally:
        worker.close()


def test_a_call_made_on_the_worker_itself_runs_at_once_instead_of_waiting_for_itself() -> None:
    # An engine is built on its worker (loader.load_engine) and its constructor may hand the worker
    # more work (CUDA graph capture); queueing it behind the running job would never return.
    worker = EngineWorker()
    try:
        assert worker.call(lambda: worker.call(lambda: 41) + 1) == 42
    finally:
        worker.close()


def test_an_error_in_called_work_reaches_the_caller_and_the_worker_goes_on() -> None:
    worker = EngineWorker()

    def fail() -> None:
        raise ValueError("bad weights")

    try:
        with pytest.raises(ValueError, match="bad weights"):
            worker.call(fail)
        assert worker.call(lambda: "still up") == "still up"
    finally:
        worker.close()
