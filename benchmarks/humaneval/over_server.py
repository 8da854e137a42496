"""daima's suggestion as an editor gets it: the real `daima serve` over stdio, with default options but
the model and device, each hole opened as a file of a scratch workspace and asked for with
`textDocument/inlineCompletion` (so the default deadline, the default block/line mode and the server's
own scheduling all apply)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from ..lsp_stdio import Server, fill_hole
from .tasks import Task


class ServerCompleter:
    def __init__(self, model: str, device: str, quantize: str = "none") -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="daima-eval-server-")
        self.root = Path(self._folder.name)
        (self.root / ".git").mkdir()
        self.server = Server(self.root)
        self.count = 0
        self.last_stats: dict[str, Any] = {}  # the server's figures for the latest answer
        try:
            options = {"model": {"name": model, "device": device, "quantize": quantize}}
            self.server.initialize(self.root, options)
            self.status = self.server.wait_for_model()
        except Exception:
            self.close()
            raise
        if self.status.get("state") != "ready":
            self.close()
            raise RuntimeError(f"the server's model is not ready: {self.status}")

    def complete(self, task: Task) -> str:
        """The hole's text once the suggestion is accepted ("" when there is none)."""
        self.count += 1
        uri = (self.root / f"task_{self.count}" / "humaneval.py").as_uri()
        self.last_stats = {}
        return fill_hole(self.server, uri, task.prefix, task.suffix, stats=self.last_stats)

    def close(self) -> None:
        self.server.close()
        self._folder.cleanup()
