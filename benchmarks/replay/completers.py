"""The two completers a replay drives with the same events: the real `daima serve`, and a naive plugin.

Both take the same calls from the replay (`edit`, `ask`, `answer`); an `Answer` is what the editor would
show: the text the suggestion inserts at the cursor, and when it arrived.

`NaivePlugin` is a fill-in-the-middle plugin built the way llama.vim works, on the same engine (model,
weights, KV reuse of the common prefix) in this process: the prompt is the file's lines around the
cursor (llama.vim's windows: 256 lines above, 64 below, kept within daima's prompt budget so both read
as much of the file), plain FIM with no cross-file context; generation stops at the template's stop
tokens, at the deadline, or at a line indented less than the cursor's (llama.vim's `n_indent`); its
own cache keeps every suggestion by the text before the cursor, and when the user has typed the start
of a cached suggestion it shows the rest at once (llama.vim's cache lookback).
"""

from __future__ import annotations

import hashlib
import json
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from daima.lsp.framing import FrameReader
from daima.text import Position, TextDocument

from ..lsp_stdio import frame

_AUTOMATIC = 2  # InlineCompletionTriggerKind.Automatic: the request typing makes


@dataclass(frozen=True)
class Answer:
    text: str  # what accepting the first item inserts at the cursor ("" for nothing)
    arrived: float  # time.monotonic()
    finish: str = ""  # how the generation ended: "stop", "length", "deadline", "cache", ...
    prefilled: int | None = None  # prompt tokens the request computed (not from the KV cache)
    source: str = ""


class ServerCompleter:
    """`daima serve` on a workspace, driven as an editor drives it: didOpen, didChange per key,
    inlineCompletion after the debounce, `$/cancelRequest` when the next key comes."""

    name = "daima"

    def __init__(
        self, root: Path, options: dict[str, Any], *, startup_timeout_s: float = 900, log: Path | None = None
    ) -> None:
        """`log`: a file for the server's own log (`--log-file`), to see why a pause showed nothing."""
        command = [sys.executable, "-m", "daima", "serve", *(["--log-file", str(log)] if log else [])]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=root
        )
        self._write_lock = threading.Lock()
        self._answers: dict[int, tuple[float, dict[str, Any]]] = {}
        self._arrived = threading.Condition()
        self.notifications: list[tuple[float, dict[str, Any]]] = []
        self._next_id = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.document: TextDocument | None = None
        self.version = 0
        self.pending: int | None = None
        init = {
            "processId": None, "rootUri": root.as_uri(), "initializationOptions": options,
            "capabilities": {"window": {"workDoneProgress": True}},
        }  # fmt: skip
        self._result(self._request("initialize", init), startup_timeout_s)
        self._notify("initialized", {})
        self.status = self._wait_ready(startup_timeout_s)
        self._wait_index(startup_timeout_s)

    # --- the wire ---

    def _send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        with self._write_lock:
            self.process.stdin.write(frame(message))
            self.process.stdin.flush()

    def _notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def _request(self, method: str, params: Any) -> int:
        self._next_id += 1
        self._send({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params})
        return self._next_id

    def _read(self) -> None:
        assert self.process.stdout is not None
        reader = FrameReader(self.process.stdout)
        while True:
            item = reader.next()
            if item is None:
                with self._arrived:
                    self._arrived.notify_all()
                return
            if not isinstance(item, dict):
                continue
            now = time.monotonic()
            if "method" in item and "id" in item:  # the server's own request (work-done progress)
                self._send({"jsonrpc": "2.0", "id": item["id"], "result": None})
            elif "method" in item:
                with self._arrived:
                    self.notifications.append((now, item))
                    self._arrived.notify_all()
            elif "id" in item:
                with self._arrived:
                    self._answers[item["id"]] = (now, item)
                    self._arrived.notify_all()

    def _result(self, request_id: int, timeout_s: float) -> Any:
        answered = self._wait_answer(request_id, time.monotonic() + timeout_s)
        if answered is None:
            raise RuntimeError("the server did not answer")
        return answered[1].get("result")

    def _wait_answer(self, request_id: int, until: float) -> tuple[float, dict[str, Any]] | None:
        with self._arrived:
            while request_id not in self._answers:
                left = until - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    return None
                self._arrived.wait(left)
            return self._answers.pop(request_id)

    def _wait_ready(self, timeout_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            status = self._result(self._request("daima/status", {}), timeout_s)
            if status.get("state") in ("ready", "error", "disabled") or time.monotonic() > deadline:
                return dict(status)
            time.sleep(0.3)

    def _wait_index(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._arrived:
                if any(
                    n.get("method") == "$/progress"
                    and (n.get("params") or {}).get("value", {}).get("kind") == "end"
                    for _, n in self.notifications
                ):
                    return
                self._arrived.wait(0.3)

    # --- what the replay calls ---

    def open(self, path: Path, text: str, language_id: str) -> None:
        self.uri = path.as_uri()
        self.document = TextDocument(self.uri, text)
        self.version = 1
        self._notify("textDocument/didOpen", {"textDocument": {
            "uri": self.uri, "languageId": language_id, "version": 1, "text": text}})  # fmt: skip

    def focus(self, offset: int) -> None:
        """The cursor arrived at `offset`: `daima/cursor`, as both clients send on opening and on a jump."""
        assert self.document is not None
        cursor = self.document.position_at(offset)
        position = {"line": cursor.line, "character": cursor.character}
        self._notify("daima/cursor", {"textDocument": {"uri": self.uri}, "position": position})

    def edit(self, start: int, end: int, text: str) -> None:
        assert self.document is not None
        begin, finish = self.document.position_at(start), self.document.position_at(end)
        self.version += 1
        self.document = TextDocument(self.uri, self.document.text[:start] + text + self.document.text[end:])
        self._notify("textDocument/didChange", {
            "textDocument": {"uri": self.uri, "version": self.version},
            "contentChanges": [{"range": {
                "start": {"line": begin.line, "character": begin.character},
                "end": {"line": finish.line, "character": finish.character}}, "text": text}]})  # fmt: skip

    def ask(self, offset: int) -> Any:
        assert self.document is not None
        if self.pending is not None:
            self._notify("$/cancelRequest", {"id": self.pending})
        cursor = self.document.position_at(offset)
        self.pending = self._request("textDocument/inlineCompletion", {
            "textDocument": {"uri": self.uri},
            "position": {"line": cursor.line, "character": cursor.character},
            "context": {"triggerKind": _AUTOMATIC}})  # fmt: skip
        return (self.pending, self.document, offset, time.monotonic())

    def answer(self, handle: Any, until: float) -> Answer | None:
        """The answer to `handle` if it arrives before `until`; None when it does not."""
        request_id, document, offset, sent = handle
        answered = self._wait_answer(request_id, until)
        if answered is None:
            return None
        self.pending = None
        arrived, message = answered
        result = message.get("result")
        items = (result or {}).get("items", []) if isinstance(result, dict) else (result or [])
        stats = self._stats_between(sent, arrived)
        if not items:
            return Answer("", arrived, stats.get("finishReason", ""), None, stats.get("source", ""))
        insert = items[0]["insertText"]
        insert = insert["value"] if isinstance(insert, dict) else insert
        start = end = offset
        if items[0].get("range"):
            span = items[0]["range"]
            start = document.offset_at(Position(span["start"]["line"], span["start"]["character"]))
            end = document.offset_at(Position(span["end"]["line"], span["end"]["character"]))
        text = document.text
        filled = text[:start] + insert + text[end:]
        inserted = filled[offset : len(filled) - (len(text) - max(end, offset))]
        prompt, cached = stats.get("promptTokens"), stats.get("cachedTokens")
        prefilled = prompt - cached if prompt else None
        return Answer(inserted, arrived, stats.get("finishReason", ""), prefilled, stats.get("source", ""))

    def _stats_between(self, sent: float, arrived: float) -> dict[str, Any]:
        with self._arrived:
            done = [
                n["params"] for at, n in self.notifications
                if sent <= at <= arrived and n.get("method") == "daima/completionProgress"
                and n["params"].get("done")
            ]  # fmt: skip
            self.notifications = [
                (at, n) for at, n in self.notifications if at > arrived or n.get("method") == "$/progress"
            ]
        return dict(done[-1].get("stats", {})) if done else {}

    def close_document(self) -> None:
        self._notify("textDocument/didClose", {"textDocument": {"uri": self.uri}})

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


# --- the naive plugin ---

N_PREFIX_LINES = 256  # llama.vim's defaults
N_SUFFIX_LINES = 64
CACHE_LOOKBACK = 64  # characters the cache looks back for a suggestion the user is typing through


@dataclass
class _Job:
    document: str
    offset: int
    sent: float
    cancel: Any
    done: threading.Event
    answer: Answer | None = None


class NaivePlugin:
    """llama.vim's way, on `engine` in this process (see the module note)."""

    name = "naive"

    def __init__(self, engine: Any, *, max_time_ms: int = 2000, prompt_tokens: int = 2048,
                 suffix_share: float = 0.25, max_tokens: int = 64) -> None:  # fmt: skip
        from daima.completion.templates import match_template

        self.engine = engine
        self.template = match_template(engine.info)
        self.max_time_s = max_time_ms / 1000
        self.suffix_budget = int(prompt_tokens * suffix_share)
        self.prefix_budget = prompt_tokens - self.suffix_budget - 16  # the template's own tokens
        self.max_tokens = max_tokens
        self.cache: dict[str, str] = {}
        self._tokens: dict[str, int] = {}
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._current: _Job | None = None
        self.text = ""
        self._worker = threading.Thread(target=self._work, daemon=True)
        self._worker.start()

    def open(self, path: Path, text: str, language_id: str) -> None:
        self.text = text

    def focus(self, offset: int) -> None:
        """llama.vim does nothing when the cursor arrives somewhere."""

    def edit(self, start: int, end: int, text: str) -> None:
        self.text = self.text[:start] + text + self.text[end:]

    def ask(self, offset: int) -> _Job:
        from daima.model.api import CancelToken

        if self._current is not None:
            self._current.cancel.cancel()
        job = _Job(self.text, offset, time.monotonic(), CancelToken(), threading.Event())
        self._current = job
        self._jobs.put(job)
        return job

    def answer(self, handle: _Job, until: float) -> Answer | None:
        if not handle.done.wait(max(0.0, until - time.monotonic())):
            return None
        return handle.answer

    def close_document(self) -> None:
        self.text = ""

    def close(self) -> None:
        self._jobs.put(None)

    # --- on the plugin's thread ---

    def _count(self, line: str) -> int:
        found = self._tokens.get(line)
        if found is None:
            found = self._tokens[line] = len(self.engine.tokenize(line))
        return found

    def _windows(self, text: str, offset: int) -> tuple[str, str]:
        """(prefix, suffix): whole lines around the cursor's line, llama.vim's counts within the budget."""
        line_start = text.rfind("\n", 0, offset) + 1
        line_end = text.find("\n", offset)
        line_end = len(text) if line_end < 0 else line_end
        above = text[:line_start].split("\n")[:-1][-N_PREFIX_LINES:]
        below = text[line_end + 1 :].split("\n")[:N_SUFFIX_LINES] if line_end < len(text) else []
        kept_above: list[str] = []
        used = self._count(text[line_start:offset])
        for line in reversed(above):
            used += self._count(line + "\n")
            if used > self.prefix_budget:
                break
            kept_above.append(line)
        kept_below: list[str] = []
        used = self._count(text[offset:line_end])
        for line in below:
            used += self._count(line + "\n")
            if used > self.suffix_budget:
                break
            kept_below.append(line)
        prefix = "".join(line + "\n" for line in reversed(kept_above)) + text[line_start:offset]
        suffix = text[offset:line_end] + "\n" + "".join(line + "\n" for line in kept_below)
        return prefix, suffix

    @staticmethod
    def _key(prefix: str, suffix: str) -> str:
        return hashlib.blake2b((prefix + "\0" + suffix).encode(), digest_size=16).hexdigest()

    def _from_cache(self, prefix: str, suffix: str) -> str | None:
        found = self.cache.get(self._key(prefix, suffix))
        if found is not None:
            return found
        for back in range(1, min(CACHE_LOOKBACK, len(prefix)) + 1):
            earlier = self.cache.get(self._key(prefix[:-back], suffix))
            if earlier is not None and earlier.startswith(prefix[-back:]) and len(earlier) > back:
                return earlier[back:]
        return None

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                job.answer = self._complete(job)
            except Exception as error:  # a failed request is an empty answer, as in an editor
                print(f"naive: {error!r}", file=sys.stderr)
                job.answer = Answer("", time.monotonic(), "error")
            job.done.set()

    def _complete(self, job: _Job) -> Answer:
        from daima.model.api import GenerationRequest

        if job.cancel.cancelled:
            return Answer("", time.monotonic(), "cancelled")
        prefix, suffix = self._windows(job.document, job.offset)
        cached = self._from_cache(prefix, suffix)
        if cached is not None:
            return Answer(cached, time.monotonic(), "cache", 0, "cache")
        line_start = job.document.rfind("\n", 0, job.offset) + 1
        line = job.document[line_start : job.offset]
        indent = len(line) - len(line.lstrip(" "))
        request = GenerationRequest(
            prompt=self.template.render(prefix=prefix, suffix=suffix),
            max_tokens=self.max_tokens,
            stop=self.template.stop,
            deadline=job.sent + self.max_time_s,
        )
        stream = self.engine.stream(request, job.cancel)
        text, dedented = "", False
        for delta in stream:
            text += delta
            if _dedented(text, indent):
                dedented = True
                job.cancel.cancel()  # the rest belongs to an outer block: stop the model there
                break
        stats = stream.stats
        finish = "stop" if dedented else stats.finish_reason
        text = _cut_at_dedent(text, indent).rstrip()
        if finish in ("stop", "length") and text:
            self.cache[self._key(prefix, suffix)] = text
        prefilled = stats.prompt_tokens - stats.cached_tokens if stats.prompt_tokens else None
        return Answer(text if text.strip() else "", time.monotonic(), finish, prefilled, "model")


def _dedented(text: str, indent: int) -> bool:
    """A later line of `text` is indented less than the cursor's line (llama.vim stops there)."""
    return any(line.strip() and len(line) - len(line.lstrip(" ")) < indent for line in text.split("\n")[1:-1])


def _cut_at_dedent(text: str, indent: int) -> str:
    lines = text.split("\n")
    for number, line in enumerate(lines[1:], 1):
        if line.strip() and len(line) - len(line.lstrip(" ")) < indent:
            return "\n".join(lines[:number])
    return text


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
