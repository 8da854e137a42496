"""`WorkspaceIndex`: the persistent, incremental tree-sitter index of one workspace folder.

Thread-safety: every method may be called from any thread; database access goes through one lock
and editor documents through another. Nothing here touches the LSP event loop.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from daima.config import IndexOptions

from . import lookup
from .extract import FileFacts, chunk_rows
from .incremental import OpenDocument
from .languages import language_for_path
from .model import Chunk, IndexReport, Symbol
from .store import Store, default_db_path
from .walk import (
    IgnoreRules,
    SkipFile,
    content_hash,
    decode_source,
    excluded_name,
    is_regular_inside,
    read_inside,
    walk,
)
from .watcher import Watcher
from .worker import Result, index_file, run_jobs

log = logging.getLogger(__name__)

_MAX_SKIPPED_LISTED = 300
_NO_FACTS = FileFacts()


class WorkspaceIndex:
    """Definitions, references, imports and code chunks of a workspace, kept in SQLite."""

    def __init__(self, root: Path, options: IndexOptions, store: Store) -> None:
        self.root = root
        self.options = options
        self.store = store
        self._real_root = root.resolve()
        self._documents: dict[str, OpenDocument] = {}
        self._documents_lock = threading.Lock()
        self._rules = IgnoreRules(self._real_root, options.exclude)
        self._watcher: Watcher | None = None
        self._refilling = threading.Lock()
        store.on_rebuilt = self._refill_later

    def _refill_later(self) -> None:
        """The store found itself damaged on a query and started again empty: index the workspace
        again, off the querying thread (queries answer from what is there meanwhile)."""
        if not self._refilling.acquire(blocking=False):
            return  # a refill is under way already

        def refill() -> None:
            try:
                self.index_all()
                with self._documents_lock:
                    open_docs = list(self._documents.items())
                with self.store.transaction() as db:
                    for rel, entry in open_docs:
                        entry.chunks_stale = True  # the facts' chunks may be from the open
                        data = entry.document.source_bytes
                        language = entry.language.name
                        Store.put_file(db, rel, language, -1, len(data), content_hash(data), entry.facts)
            except Exception:
                log.exception("re-indexing after the index database was rebuilt failed")
            finally:
                self._refilling.release()

        threading.Thread(target=refill, name="daima-index-refill", daemon=True).start()

    @classmethod
    def open(
        cls, root: Path, options: IndexOptions | None = None, db_path: Path | None = None
    ) -> WorkspaceIndex:
        """Open (or create, or rebuild when corrupt/old) the index database of `root`; does not scan."""
        root = Path(os.path.abspath(root))
        if not root.is_dir():
            raise NotADirectoryError(f"{root} is not a folder")
        return cls(root, options or IndexOptions(), Store(db_path or default_db_path(root)))

    @property
    def max_bytes(self) -> int:
        return self.options.max_file_kb * 1024

    # -- whole-workspace scan ----------------------------------------------------------------
    def index_all(self, progress: Callable[[int, int], None] | None = None) -> IndexReport:
        """Bring the index up to date with the disk: parse new/changed files in parallel, drop removed ones.

        A file is re-read only when its (mtime, size) changed, and re-parsed only when its content
        hash changed too. `progress(done, total)` is called from this thread as files complete.
        """
        report, began = IndexReport(), time.perf_counter()
        self._rules = IgnoreRules(self._real_root, self.options.exclude)
        skipped: list[str] = []
        candidates = list(walk(self._real_root, self._rules, skipped))
        # Files skipped under other options (a smaller size limit) are looked at again.
        rules_key = f"{self.options.max_file_kb}|{','.join(self.options.encodings)}"
        states = self.store.file_states(recheck_skipped=self.store.get_meta("skip_rules") != rules_key)
        self.store.set_meta("skip_rules", rules_key)
        report.timings["walk"] = time.perf_counter() - began
        report.files_seen = len(candidates)
        with self._documents_lock:
            open_paths = set(self._documents)
        todo: list[tuple[str, str | None]] = []
        for candidate in candidates:
            known = states.get(candidate.rel)
            if candidate.rel in open_paths or (known and known[:2] == (candidate.mtime_ns, candidate.size)):
                report.files_unchanged += 1
            else:
                todo.append((candidate.rel, known[2] if known else None))
        seen = {candidate.rel for candidate in candidates}
        removed = [rel for rel in states if rel not in seen and rel not in open_paths]
        if removed:
            with self.store.transaction() as db:
                report.files_removed = sum(Store.delete_file(db, rel) for rel in removed)
        parse_began = time.perf_counter()
        self._process(todo, report, skipped, progress, len(candidates) - len(todo), len(candidates))
        report.timings["parse_and_store"] = time.perf_counter() - parse_began
        report.skipped = skipped[:_MAX_SKIPPED_LISTED]
        report.symbols = self.store.query("SELECT count(*) FROM symbols")[0][0]
        report.seconds = time.perf_counter() - began
        return report

    def _process(self, todo, report, skipped, progress, done, total) -> None:
        if progress:
            progress(done, total)
        results = run_jobs(str(self._real_root), todo, self.max_bytes, self.options.encodings)
        pending: list[Result] = []
        for result in results:
            pending.append(result)
            done += 1
            if len(pending) >= 256:
                self._write(pending, report, skipped)
                pending = []
            if progress:
                progress(done, total)
        self._write(pending, report, skipped)

    def _write(self, results: list[Result], report: IndexReport, skipped: list[str]) -> None:
        if not results:
            return
        began = time.perf_counter()
        with self.store.transaction() as db:
            for result in results:
                status, rel = result[0], result[1]
                if status == "ok":
                    Store.put_file(db, rel, result[2], result[3], result[4], result[5], result[6])
                    report.files_parsed += 1
                elif status == "same":
                    Store.touch_file(db, rel, result[2], result[3])
                    report.files_unchanged += 1
                elif status == "skip":
                    Store.put_file(db, rel, "", result[3], result[4], result[5], _NO_FACTS)
                    report.files_skipped += 1
                    skipped.append(f"{rel}: {result[2]}")
                    log.info("not indexed: %s: %s", rel, result[2])
                elif status == "error":
                    report.files_skipped += 1
                    skipped.append(f"{rel}: {result[2]}")
                    log.warning("cannot read %s: %s", rel, result[2])
                else:  # gone: deleted or renamed mid-index
                    report.files_removed += int(Store.delete_file(db, rel))
        report.timings["store"] = report.timings.get("store", 0.0) + time.perf_counter() - began

    # -- single files ------------------------------------------------------------------------------
    def refresh_paths(self, paths: list[Path]) -> None:
        """Re-check files changed on disk (the watcher calls this with a debounced batch)."""
        if any(path.name == ".gitignore" for path in paths):
            self.index_all()
            return
        report, skipped, todo = IndexReport(), list[str](), list[tuple[str, str | None]]()
        for path in paths:
            rel = self.relative(path)
            if rel is None or rel in self._documents:
                continue
            if not self._indexable(rel) or not is_regular_inside(self._real_root, rel):
                with self.store.transaction() as db:
                    Store.delete_file(db, rel)
                continue
            known = self.store.query("SELECT hash FROM files WHERE path = ?", (rel,))
            todo.append((rel, known[0][0] if known else None))
        self._write(
            [
                index_file(str(self._real_root), rel, known, self.max_bytes, self.options.encodings)
                for rel, known in todo
            ],
            report,
            skipped,
        )

    def update_document(self, path: Path, text: str) -> None:
        """Re-index an editor buffer: tree.edit + incremental re-parse against its previous tree."""
        rel, language = self.relative(path), language_for_path(path)
        if rel is None or language is None or not self._indexable(rel):
            return
        if len(text) > self.max_bytes:  # same limit as on disk (len() counts characters: a lower bound)
            return
        with self._documents_lock:
            entry = self._documents.get(rel)
            if entry is not None:
                # A keystroke: the buffer's facts change in memory only, and queries read them from
                # there (`open_facts`). Rewriting the file's rows instead cost every keystroke in
                # proportion to the file (25k symbol rows at 50k lines, about half a second).
                entry.update(text)
                return
            entry = self._documents[rel] = OpenDocument.parse(language, rel, path.as_uri(), text)
            facts = entry.facts
            data = entry.document.source_bytes
        with self.store.transaction() as db:
            # Once, at open: the row the similarity chunks hang on, for a buffer never saved too.
            # mtime -1: the next disk check re-reads the file once the editor lets go of it.
            Store.put_file(db, rel, language.name, -1, len(data), content_hash(data), facts)

    def flush_chunks(self) -> None:
        """Bring the similarity chunks of edited open documents up to date."""
        with self._documents_lock:
            stale = [(rel, entry) for rel, entry in self._documents.items() if entry.chunks_stale]
            updates = []
            for rel, entry in stale:
                entry.chunks_stale = False
                updates.append((rel, FileFacts(chunks=chunk_rows(entry.document.text))))
        if not updates:
            return
        with self.store.transaction() as db:
            for rel, facts in updates:
                row = db.execute("SELECT id FROM files WHERE path = ?", (rel,)).fetchone()
                if row is not None:
                    Store.put_chunks(db, row[0], facts)

    def close_document(self, path: Path) -> None:
        """The editor closed the buffer: the disk is the truth again."""
        rel = self.relative(path)
        with self._documents_lock:
            self._documents.pop(rel or "", None)
        if rel is not None:
            self.refresh_paths([self._real_root / rel])

    def remove_path(self, path: Path) -> None:
        """Forget a file, or every file under a folder."""
        rel = self.relative(path)
        if rel is None:
            return
        with self._documents_lock:
            self._documents.pop(rel, None)
        with self.store.transaction() as db:
            if not Store.delete_file(db, rel):
                prefix = rel.replace("%", r"\%").replace("_", r"\_") + "/%"
                for (inner,) in db.execute("SELECT path FROM files WHERE path LIKE ? ESCAPE '\\'", (prefix,)):
                    Store.delete_file(db, inner)

    def relative(self, path: Path) -> str | None:
        """The workspace-relative POSIX path of `path` (through the root as opened or as resolved)."""
        path = Path(os.path.abspath(path))
        for base in (self.root, self._real_root):
            try:
                return path.relative_to(base).as_posix()
            except ValueError:
                pass
        try:
            return path.resolve().relative_to(self._real_root).as_posix()
        except (ValueError, OSError):
            return None

    def _indexable(self, rel: str) -> bool:
        parts = rel.split("/")
        if any(excluded_name(part, True) for part in parts[:-1]) or excluded_name(parts[-1], False):
            return False
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts))]
        return not any(self._rules.ignored(p, True) for p in prefixes) and not self._rules.ignored(rel, False)

    # -- watching ------------------------------------------------------------------------------
    def start_watching(self) -> None:
        """Follow changes made outside the editor (watchdog observer, debounced, batched)."""
        if self._watcher is None:
            self._watcher = Watcher(self._real_root, self.refresh_paths)
            self._watcher.start()

    def stop_watching(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None

    # -- queries (see lookup.py) -------------------------------------------------------------------
    def definitions(self, name: str) -> list[Symbol]:
        """Definitions named exactly `name`."""
        return lookup.definitions(self, name)

    def definitions_with_prefix(self, prefix: str, limit: int = 50) -> list[Symbol]:
        """Definitions whose name starts with `prefix` (case-sensitive), shortest names first."""
        return lookup.definitions_with_prefix(self, prefix, limit)

    def search_symbols(self, query: str, limit: int = 100) -> list[Symbol]:
        """Fuzzy (subsequence, case-insensitive) symbol search for workspace/symbol, best first."""
        return lookup.search_symbols(self, query, limit)

    def visible_names(self, path: Path, text: str, byte_offset: int) -> list[Symbol]:
        """Names visible at a position: enclosing scopes' definitions, module-level ones, and imports."""
        return lookup.visible_names(self, path, text, byte_offset)

    def importers(self, module: str) -> list[Path]:
        """Files that import `module` (or a submodule of it)."""
        return lookup.importers(self, module)

    def similar_chunks(self, text: str, k: int = 4, exclude: Path | None = None) -> list[Chunk]:
        """The k chunks most similar to `text` (BM25 over identifier tokens), excluding a file."""
        self.flush_chunks()
        return lookup.similar_chunks(self, text, k, exclude)

    def document_facts(self, rel: str, text: str) -> FileFacts | None:
        """The current facts of an open buffer whose text is `text`, else None."""
        with self._documents_lock:
            entry = self._documents.get(rel)
            return entry.facts if entry is not None and entry.document.text == text else None

    def open_facts(self) -> dict[str, FileFacts]:
        """The current facts of every open buffer, by workspace-relative path: they answer for those
        paths instead of the stored rows (facts objects are replaced on edit, never changed)."""
        with self._documents_lock:
            return {rel: entry.facts for rel, entry in self._documents.items()}

    def document_text(self, rel: str) -> str | None:
        """Current editor text of an open document, else None."""
        with self._documents_lock:
            entry = self._documents.get(rel)
            return entry.document.text if entry else None

    def file_text(self, path: Path) -> str | None:
        """A workspace file's text: the open buffer's, else the file's as the index may read it (no
        link, no device, at most index.maxFileKb); None outside the workspace or when unreadable."""
        rel = self.relative(path)
        if rel is None:
            return None
        text = self.document_text(rel)
        if text is not None:
            return text
        try:
            data, _ = read_inside(self._real_root, rel, self.max_bytes)
        except OSError:
            return None
        language = language_for_path(path)
        cookie = language is not None and language.coding_cookie
        try:  # the index's own reader: coding cookies and index.encodings
            return decode_source(data, self.max_bytes, self.options.encodings, cookie=cookie)
        except SkipFile:
            return data[: self.max_bytes].decode("utf-8", errors="replace")

    def close(self) -> None:
        """Stop watching and close the database."""
        self.stop_watching()
        self.store.close()
