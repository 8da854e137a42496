"""Changes made outside the editor (git checkout, formatters), from a watchdog observer.

Events are collected into a set and handed over in one batch once the disk has been quiet for
`quiet_s` (or `max_wait_s` after the first event), so a checkout touching 500 files costs one
refresh, not 500.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

log = logging.getLogger(__name__)


class Watcher(FileSystemEventHandler):
    """Debounces file-system events under `root` and calls `on_batch(paths)` from its own thread."""

    def __init__(
        self,
        root: Path,
        on_batch: Callable[[list[Path]], None],
        quiet_s: float = 0.3,
        max_wait_s: float = 2.0,
    ) -> None:
        self._root = root
        self._on_batch = on_batch
        self._quiet_s, self._max_wait_s = quiet_s, max_wait_s
        self._pending: set[Path] = set()
        self._first = self._last = 0.0
        self._condition = threading.Condition()
        self._stopped = False
        self._observer = Observer()
        self._thread = threading.Thread(target=self._run, name="daima-index-watch", daemon=True)

    def start(self) -> None:
        self._observer.schedule(self, str(self._root), recursive=True)
        self._observer.start()
        self._thread.start()

    def stop(self) -> None:
        with self._condition:
            self._stopped = True
            self._condition.notify()
        self._observer.stop()
        self._observer.join(timeout=5)
        self._thread.join(timeout=5)

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        paths = [event.src_path, getattr(event, "dest_path", "")]
        with self._condition:
            now = time.monotonic()
            if not self._pending:
                self._first = now
            self._last = now
            self._pending.update(Path(str(p)) for p in paths if p and not event.is_directory)
            if event.is_directory and event.event_type in ("deleted", "moved"):
                self._pending.add(Path(str(event.src_path)))
            self._condition.notify()

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._stopped and not self._ready():
                    self._condition.wait(timeout=self._quiet_s / 3 if self._pending else None)
                if self._stopped:
                    return
                batch, self._pending = sorted(self._pending), set()
            try:
                self._on_batch(batch)
            except Exception:
                log.exception("re-indexing %d changed files failed", len(batch))

    def _ready(self) -> bool:
        if not self._pending:
            return False
        now = time.monotonic()
        return now - self._last >= self._quiet_s or now - self._first >= self._max_wait_s
