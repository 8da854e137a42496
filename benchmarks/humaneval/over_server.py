"""daima's suggestion as an editor gets it: the real `daima serve` over stdio, with default options but
the model and device, each hole opened as a file of a scratch workspace and asked for with
`textDocument/inlineCompletion` (so the default deadline, the default block/line mode and the server's
own scheduling all apply)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from daima.text import Position, TextDocument

from ..lsp_stdio import Server
from .tasks import Task

_AUTOMATIC = 2  # InlineCompletionTriggerKind.Automatic: the request typing makes


class ServerCompleter:
    def __init__(self, model: str, device: str, quantize: str = "none") -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="daima-eval-server-")
        self.root = Path(self._folder.name)
        (self.root / ".git").mkdir()
        self.server = Server(self.root)
        self.count = 0
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
        text = task.prefix + task.suffix
        self.count += 1
        path = self.root / f"task_{self.count}" / "humaneval.py"
        uri = path.as_uri()
        document = TextDocument(uri, text)
        cursor = document.position_at(len(task.prefix))
        position = {"line": cursor.line, "character": cursor.character}
        self.server.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": text}})  # fmt: skip
        try:
            result = self.server.request("textDocument/inlineCompletion", {
                "textDocument": {"uri": uri}, "position": position,
                "context": {"triggerKind": _AUTOMATIC}})  # fmt: skip
        finally:
            self.server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
            self.server.notifications.clear()  # partials: what the editor shows meanwhile, not scored
        items: list[Any] = (result or {}).get("items", []) if isinstance(result, dict) else (result or [])
        if not items:
            return ""
        insert = items[0]["insertText"]
        insert = insert["value"] if isinstance(insert, dict) else insert
        start, end = len(task.prefix), len(task.prefix)
        if items[0].get("range"):
            span = items[0]["range"]
            start = document.offset_at(Position(span["start"]["line"], span["start"]["character"]))
            end = document.offset_at(Position(span["end"]["line"], span["end"]["character"]))
        filled = text[:start] + insert + text[end:]
        return filled[len(task.prefix) : len(filled) - len(task.suffix)]

    def close(self) -> None:
        self.server.close()
        self._folder.cleanup()
