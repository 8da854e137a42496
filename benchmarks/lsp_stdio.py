"""A minimal LSP client over stdio for benchmarks that measure the real server (`daima serve`)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from daima.lsp.framing import FrameReader
from daima.text import Position, TextDocument

_AUTOMATIC = 2  # InlineCompletionTriggerKind.Automatic: the request typing makes


def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


class Server:
    """`daima serve` in `root`, spoken to one request at a time; notifications it sends are collected."""

    def __init__(self, root: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daima", "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, cwd=root,
        )  # fmt: skip
        assert self.process.stdout is not None
        self.reader = FrameReader(self.process.stdout)
        self.next_id = 0
        self.notifications: list[dict[str, Any]] = []

    def initialize(
        self, root: Path, options: dict[str, Any], capabilities: dict[str, Any] | None = None
    ) -> None:
        params = {"processId": None, "rootUri": root.as_uri(), "capabilities": capabilities or {}}
        self.request("initialize", {**params, "initializationOptions": options})
        self.notify("initialized", {})

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(frame(message))
        self.process.stdin.flush()

    def request(self, method: str, params: Any) -> Any:
        return self.wait(self.send_request(method, params), method)

    def send_request(self, method: str, params: Any) -> int:
        """Send a request without waiting (an editor's request that a later keystroke may cancel)."""
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        return self.next_id

    def cancel(self, request_id: int) -> None:
        self.notify("$/cancelRequest", {"id": request_id})

    def wait(self, request_id: int, method: str = "request") -> Any:
        """The result of `request_id`; answers to earlier requests are dropped, notifications kept."""
        while True:
            item = self.reader.next()
            if item is None:
                raise RuntimeError("the server ended")
            if not isinstance(item, dict):
                continue
            if item.get("id") == request_id and "method" not in item:
                if "error" in item:
                    raise RuntimeError(f"{method}: {item['error']}")
                return item.get("result")
            if "method" in item and "id" not in item:
                self.notifications.append(item)
            elif "method" in item:  # the server's own request (work-done progress): answered as a client does
                self.send({"jsonrpc": "2.0", "id": item["id"], "result": None})

    def wait_for_model(self, timeout_s: float = 900) -> dict[str, Any]:
        """Poll `daima/status` until the engine is ready (or failed); returns the last status."""
        deadline = time.monotonic() + timeout_s
        while True:
            status = self.request("daima/status", {})
            if status.get("state") in ("ready", "error", "disabled") or time.monotonic() > deadline:
                return status
            time.sleep(0.5)

    def wait_for_index(self, timeout_s: float = 900) -> bool:
        """Wait for the end of the first index's work-done progress (the client must have announced
        `window.workDoneProgress` at initialize); False when it did not come within `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for item in self.notifications:
                value = (item.get("params") or {}).get("value") or {}
                if item.get("method") == "$/progress" and value.get("kind") == "end":
                    return True
            self.request("daima/status", {})  # collects what the server sent meanwhile
            time.sleep(0.2)
        return False

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


def answer_stats(server: Server) -> dict[str, Any]:
    """The server's figures for its latest finished answer among the notifications received
    (`daima/completionProgress` with done: finishReason, promptTokens, cachedTokens, ...); {} for none."""
    done = [
        n["params"] for n in server.notifications
        if n.get("method") == "daima/completionProgress" and n["params"].get("done")
    ]  # fmt: skip
    return dict(done[-1].get("stats", {})) if done else {}


def fill_hole(
    server: Server,
    uri: str,
    prefix: str,
    suffix: str,
    language_id: str = "python",
    stats: dict[str, Any] | None = None,
) -> str:
    """Open `prefix + suffix` as `uri`, ask for an inline completion at the end of `prefix` as typing
    asks, close it; the text between prefix and suffix once the first item is applied ("" for none).
    Partial text the server streams meanwhile is what an editor shows, not the answer: it is dropped.
    `stats` gets the server's figures for the answer (`daima/completionProgress` when done: finishReason,
    promptTokens, cachedTokens, ...), left empty when the server sent none (no suggestion survived)."""
    text = prefix + suffix
    document = TextDocument(uri, text)
    cursor = document.position_at(len(prefix))
    server.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": language_id, "version": 1, "text": text}})  # fmt: skip
    try:
        result = server.request("textDocument/inlineCompletion", {
            "textDocument": {"uri": uri}, "position": {"line": cursor.line, "character": cursor.character},
            "context": {"triggerKind": _AUTOMATIC}})  # fmt: skip
    finally:
        server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        if stats is not None:
            stats.update(answer_stats(server))
        server.notifications.clear()
    items: list[Any] = (result or {}).get("items", []) if isinstance(result, dict) else (result or [])
    if not items:
        return ""
    insert = items[0]["insertText"]
    insert = insert["value"] if isinstance(insert, dict) else insert
    start = end = len(prefix)
    if items[0].get("range"):
        span = items[0]["range"]
        start = document.offset_at(Position(span["start"]["line"], span["start"]["character"]))
        end = document.offset_at(Position(span["end"]["line"], span["end"]["character"]))
    filled = text[:start] + insert + text[end:]
    return filled[len(prefix) : len(filled) - len(suffix)]
