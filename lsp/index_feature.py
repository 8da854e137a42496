"""The workspace index seen from the server: opened and filled off the event loop, with progress.

If the index cannot be opened or fails, the server goes on without it (completion only loses
cross-file context; workspace/symbol and definition return nothing).
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from daima.config import IndexOptions
from daima.indexer import Symbol, WorkspaceIndex, definition_at
from daima.text import PositionEncoding, PositionError

from . import convert
from .progress import WorkDone

if TYPE_CHECKING:
    from .server import DaimaServer

log = logging.getLogger(__name__)

_WORD = re.compile(r"\w+")
_QUIET_S = 0.15  # re-index a buffer once typing pauses this long
_MAX_WAIT_S = 1.0  # and at least this often while it goes on


class IndexHost:
    """Owns the server's `WorkspaceIndex` and the one thread that writes to it."""

    def __init__(self, server: DaimaServer) -> None:
        self._server = server
        self._root: Path | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="daima-index")
        self._ready = threading.Event()
        self.index: WorkspaceIndex | None = None
        self._pending: dict[str, tuple[asyncio.TimerHandle, float]] = {}  # uri -> (timer, first edit)

    def set_root(self, params: lsp.InitializeParams) -> None:
        uri = None
        if params.workspace_folders:
            uri = params.workspace_folders[0].uri
        elif params.root_uri:
            uri = params.root_uri
        elif params.root_path:
            self._root = Path(params.root_path)
            return
        self._root = convert.uri_to_path(uri) if uri else None

    def start(self, options: IndexOptions) -> None:
        if self._root is None or not options.enabled:
            log.info("no workspace folder or index disabled: running without an index")
            return
        self._executor.submit(self._open_and_fill, self._root, options)

    def _open_and_fill(self, root: Path, options: IndexOptions) -> None:
        progress = WorkDone(self._server, "daima: indexing", "index")

        last_percent = -1

        def files_done(done: int, total: int) -> None:
            nonlocal last_percent
            percent = int(100 * done / total) if total else 100
            if percent != last_percent:  # one report per percent, not one per file
                last_percent = percent
                progress.report(f"{done}/{total} files", percent)

        try:
            index = WorkspaceIndex.open(root, options)
            if index.store.in_memory_reason:
                self._tell_in_memory(index.store.in_memory_reason)
            index.store.on_moved_to_memory = self._tell_in_memory  # the disk may fill up later
            report = index.index_all(progress=files_done)
            self.index = index
            if options.watch:
                index.start_watching()
            log.info("index ready: %s", report)
        except Exception:
            log.exception("indexing %s failed; going on without an index", root)
        finally:
            progress.end("index ready")
            self._ready.set()

    def _tell_in_memory(self, reason: str) -> None:
        """Say once why the index lives in memory (from any thread)."""
        if self._server.loop is None:
            return
        message = (
            f"{reason}: the index is kept in memory and rebuilt at the next start "
            "(make room in the cache folder or make it writable, or set XDG_CACHE_HOME)"
        )
        self._server.loop.call_soon_threadsafe(self._server.show, message)

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    def document_typed(self, uri: str) -> None:
        """A didChange: re-index the buffer once typing pauses (`_QUIET_S`), or every `_MAX_WAIT_S`
        while it goes on. Re-indexing each keystroke kept the index thread busy for as long as the
        user typed, and it took the interpreter lock from the event loop: every keystroke's answer
        waited for it. Completion does not wait for the pause: it brings the buffer's facts up to
        date itself when it needs them (`lookup.visible_names`)."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        pending = self._pending.pop(uri, None)
        first = now
        if pending is not None:
            pending[0].cancel()
            first = pending[1]
        delay = max(0.0, min(_QUIET_S, first + _MAX_WAIT_S - now))
        self._pending[uri] = (loop.call_later(delay, self._typing_paused, uri), first)

    def _typing_paused(self, uri: str) -> None:
        self._pending.pop(uri, None)
        self.document_changed(uri)

    def document_changed(self, uri: str) -> None:
        """Re-index an open document's current text (off the loop; edits coalesce in the queue)."""
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending[0].cancel()
        document = self._server.documents.get(uri)
        path = convert.uri_to_path(uri)
        if document is None or path is None:
            return
        text = document.text
        if len(text) > self._server.options.index.max_file_kb * 1024 or "\x00" in text:
            return  # the walker skips such files on disk; an open buffer is no different

        def update() -> None:
            index = self.index
            if index is None:
                return
            current = self._server.documents.get(uri)
            if current is not None and current.text != text:
                return  # a newer edit is queued behind this one
            try:
                index.update_document(path, text)
            except Exception:
                log.exception("could not re-index %s", path)

        self._executor.submit(update)

    def document_closed(self, uri: str) -> None:
        """The editor closed the buffer: the disk is the truth again."""
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending[0].cancel()
        path = convert.uri_to_path(uri)
        if path is None:
            return

        def close() -> None:
            if self.index is not None:
                try:
                    self.index.close_document(path)
                except Exception:
                    log.exception("could not close %s in the index", path)

        self._executor.submit(close)

    async def workspace_symbols(self, query: str) -> list[lsp.WorkspaceSymbol] | None:
        index = self.index
        if index is None:
            return None
        encoding = self._server.encoding

        def search() -> list[lsp.WorkspaceSymbol]:
            symbols = index.search_symbols(query, 100)
            texts = _texts_for(index, symbols, encoding)
            return [convert.symbol_information(s, encoding, texts.get(s.path)) for s in symbols]

        return await asyncio.to_thread(search)

    async def definition(self, uri: str, position: lsp.Position) -> list[lsp.Location] | None:
        index, document = self.index, self._server.documents.get(uri)
        if index is None or document is None:
            return None
        try:
            offset = document.offset_at(convert.position(position), self._server.encoding)
        except PositionError as error:
            log.warning("definition position rejected: %s", error)
            return None
        name = _word_at(document.text, offset)
        path = convert.uri_to_path(uri)
        if not name or path is None:
            return None
        encoding, text, byte_offset = self._server.encoding, document.text, document.byte_offset(offset)

        def find() -> list[lsp.Location]:
            symbols = definition_at(index, path, text, byte_offset, name)
            texts = _texts_for(index, symbols, encoding)
            return [convert.symbol_location(s, encoding, texts.get(s.path)) for s in symbols]

        return await asyncio.to_thread(find) or None

    def stop(self) -> None:
        if self.index is not None:
            try:
                self.index.stop_watching()
                self.index.close()
            except Exception:
                log.exception("closing the index failed")
        self._executor.shutdown(wait=False, cancel_futures=True)


def _word_at(text: str, offset: int) -> str:
    """The identifier touching `offset` (Chinese identifiers are words too)."""
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end < 0 else line_end
    for match in _WORD.finditer(text, line_start, line_end):
        if match.start() <= offset <= match.end():
            return match.group()
    return ""


def _texts_for(index: WorkspaceIndex, symbols: list[Symbol], encoding: PositionEncoding) -> dict[Path, str]:
    """Open buffers' texts, for the rare symbol whose column the index does not hold in `encoding` (every
    definition holds all three; this is for names known only from an import). Never reads a file."""
    unknown = {
        s.path
        for s in symbols
        if (s.column_utf8 if encoding is PositionEncoding.UTF8 else s.column_utf32) < 0
    }
    if encoding is PositionEncoding.UTF16 or not unknown:
        return {}
    texts = {}
    for path in unknown:
        rel = index.relative(path)
        text = index.document_text(rel) if rel is not None else None
        if text is not None:
            texts[path] = text
    return texts
