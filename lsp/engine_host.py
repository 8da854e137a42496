"""Owns the engine's life: loads it off the event loop, reports status, swaps it on a config change.

Until a model is ready (or when it fails to load, or when the model is "none") completions still work,
from the identifier completer; the status says which.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from daima.config import ModelOptions
from daima.model.api import Engine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineStatus:
    """What clients show in their status bar (`daima/status`)."""

    state: str  # "loading" | "ready" | "error" | "disabled"
    model: str = ""
    device: str = ""
    message: str = ""
    last_latency_ms: float | None = None
    failed: str = ""  # with "error": what failed, "load" or "request" (clients give different advice)

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        return {
            "state": data["state"],
            "model": data["model"],
            "device": data["device"],
            "message": data["message"],
            "lastLatencyMs": data["last_latency_ms"],
            "failed": data["failed"],
        }


class EngineHost:
    """Loads the configured engine in a background thread and hands it to completions when ready."""

    def __init__(self, on_status: Callable[[EngineStatus], None]) -> None:
        self._on_status = on_status
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._options: ModelOptions | None = None
        self._generation = 0  # bumps on every (re)load so a slow old load cannot win
        self.status = EngineStatus("disabled", message="not started")

    @property
    def engine(self) -> Engine | None:
        return self._engine

    def load(self, options: ModelOptions) -> threading.Thread | None:
        """Start loading `options`' model unless it is already the one loaded or loading."""
        with self._lock:
            if options == self._options:
                return None
            self._options = options
            self._generation += 1
            generation = self._generation
            self._engine = None
        if options.name == "none" and not options.remote_url:
            self._set_status(EngineStatus("disabled", model="none", message="identifier completion only"))
            return None
        self._set_status(EngineStatus("loading", model=options.remote_url or options.name))
        thread = threading.Thread(
            target=self._load, args=(options, generation), name="daima-load", daemon=True
        )
        thread.start()
        return thread

    def _load(self, options: ModelOptions, generation: int) -> None:
        started = time.monotonic()
        try:
            from daima.model.loader import load_engine

            engine = load_engine(options, lambda message: self._stage(options, generation, message))
            check = getattr(engine, "check", None)
            if callable(check):
                self._stage(options, generation, f"connecting to {options.remote_url}")
                check()  # a remote engine that is down is reported now, not at the first keystroke
            warm = getattr(engine, "warm", None)
            if callable(warm):
                # Before "ready": the one-time costs run on the engine's worker, and a request queued
                # behind them (the first pause in the file just opened) would miss its deadline.
                self._stage(options, generation, "measuring the prefill speed")
                warm()
        except Exception as error:
            log.exception("model failed to load")
            with self._lock:
                if generation != self._generation:
                    return
            self._set_status(
                EngineStatus(
                    "error",
                    model=options.name,
                    message=f"the model failed to load ({error}); using identifier completion",
                    failed="load",
                )
            )
            return
        with self._lock:
            if generation != self._generation:
                return
            self._engine = engine
        info = engine.info
        log.info("model %s ready on %s in %.1f s", info.name, info.device, time.monotonic() - started)
        self._set_status(EngineStatus("ready", model=info.name, device=info.device))

    def _stage(self, options: ModelOptions, generation: int, message: str) -> None:
        """A step of a load in progress (download, conversion, loading, preparing), as the status."""
        with self._lock:
            if generation != self._generation:
                return
        self._set_status(EngineStatus("loading", model=options.remote_url or options.name, message=message))

    def record_latency(self, milliseconds: float) -> None:
        """A request answered: its time goes in the status, and a model that had failed a request
        (`request_failed`) is ready again."""
        status, engine = self.status, self._engine
        if status.state == "ready":
            self._set_status(
                EngineStatus(
                    status.state, status.model, status.device, status.message, round(milliseconds, 1)
                )
            )
        elif status.state == "error" and engine is not None:
            info = engine.info
            log.info("model %s answers again", info.name)
            self._set_status(EngineStatus("ready", info.name, info.device, "", round(milliseconds, 1)))

    def request_failed(self, error: Exception) -> None:
        """A loaded model failed a request (a remote server's error or stall): the status says so until
        the next answer. One status per distinct failure, so a server that is down is not reported
        again at every keystroke."""
        engine = self._engine
        if engine is None:
            return
        message = f"the model failed a request ({error}); using identifier completion until it answers"
        if self.status.state == "error" and self.status.message == message:
            return
        log.warning("%s", message)
        self._set_status(
            EngineStatus("error", model=engine.info.name, device=engine.info.device, message=message)
        )

    def _set_status(self, status: EngineStatus) -> None:
        self.status = status
        try:
            self._on_status(status)
        except Exception:
            log.exception("could not report engine status")
