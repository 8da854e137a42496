"""The SQLite store behind the index: one database per workspace, WAL mode, schema-versioned.

Every file's facts are replaced in one transaction, so two processes indexing the same workspace
(two editors, an editor and `daima index`) leave it consistent: WAL lets readers go on while one
writer holds the lock, and writers wait for each other (busy timeout) instead of failing.
A database that is corrupt or from another schema version is deleted and rebuilt with a warning.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import platformdirs

from .extract import FileFacts
from .transaction import MEMORY, Transaction, Writer

log = logging.getLogger(__name__)

SCHEMA_VERSION = 5  # bump on any change below; older databases are rebuilt
_BUSY_TIMEOUT_MS = 30_000
_TABLES = frozenset({"meta", "files", "symbols", "imports", "chunks_fts"})
CHUNK_ID_BITS = 20  # up to a million chunks per file

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,          -- POSIX path relative to the workspace root
    language TEXT NOT NULL,
    mtime_ns INTEGER NOT NULL,          -- -1 for text that came from the editor, not the disk
    size INTEGER NOT NULL,
    hash TEXT NOT NULL,
    refs TEXT NOT NULL DEFAULT ''      -- distinct referenced names, space-separated (one row, not thousands)
);
CREATE TABLE IF NOT EXISTS symbols (
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    name TEXT NOT NULL, kind TEXT NOT NULL, line INTEGER NOT NULL, col INTEGER NOT NULL,
    start_byte INTEGER NOT NULL, end_byte INTEGER NOT NULL,
    signature TEXT NOT NULL, doc TEXT NOT NULL, scope TEXT NOT NULL,
    col8 INTEGER NOT NULL, col32 INTEGER NOT NULL  -- `col` counts UTF-16 units, these UTF-8 and UTF-32
);
CREATE INDEX IF NOT EXISTS symbols_name ON symbols(name);
CREATE INDEX IF NOT EXISTS symbols_file ON symbols(file_id);
CREATE TABLE IF NOT EXISTS imports (
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    module TEXT NOT NULL, name TEXT NOT NULL, line INTEGER NOT NULL, col INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS imports_module ON imports(module);
CREATE INDEX IF NOT EXISTS imports_file ON imports(file_id);
-- BM25 over identifier tokens: '_' is part of a token, every Unicode letter (Chinese too) is a token char.
-- rowid = file id << 20 | chunk number, so one file's chunks are a rowid range (cheap to delete).
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    tokens, start_line UNINDEXED, end_line UNINDEXED, tokenize = "unicode61 tokenchars '_'"
);
"""


_OPEN_ATTEMPTS = 3  # waits of the busy timeout each, for another process that holds the database


def _busy(error: sqlite3.Error) -> bool:
    message = str(error).lower()
    return isinstance(error, sqlite3.OperationalError) and ("locked" in message or "busy" in message)


def default_db_path(root: Path) -> Path:
    """Where the workspace's database lives: the user cache dir, keyed by the resolved root."""
    resolved = str(root.resolve())
    key = hashlib.sha1(resolved.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return Path(platformdirs.user_cache_dir("daima")) / "index" / f"{root.resolve().name}-{key}.sqlite3"


class Store:
    """A connection to one workspace database, safe to share between threads (one lock)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.RLock()
        self.rebuilt_reason = ""
        # Why the database lives in memory for this session ("" when it is the file at `path`).
        self.in_memory_reason = ""
        # Called (from the querying thread) after a query found the database damaged and it was rebuilt
        # empty: the owner fills it again.
        self.on_rebuilt: Callable[[], None] | None = None
        # Called once, with `in_memory_reason`, when a write found the disk full or read-only and the
        # database moved to memory: the owner tells the user.
        self.on_moved_to_memory: Callable[[str], None] | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._open()
        except (OSError, sqlite3.OperationalError) as error:
            if isinstance(error, sqlite3.OperationalError) and _busy(error):
                raise
            # A read-only, full or missing cache folder costs the index its persistence, not its use.
            self.in_memory_reason = f"the index database {path} cannot be written ({error})"
            log.warning("%s; the index is kept in memory for this session", self.in_memory_reason)
            self.path = Path(MEMORY)
            self.db = self._connect_checked()

    def _open(self) -> None:
        for attempt in range(_OPEN_ATTEMPTS):
            try:
                self.db = self._connect_checked()
                break
            except sqlite3.OperationalError as error:
                # Another process holding the database past the busy timeout (creating it, or writing
                # its first index) is no damage: deleting the files would pull them from under it.
                if not _busy(error):
                    self._rebuild(f"unreadable index database ({error})")
                    break
                if attempt == _OPEN_ATTEMPTS - 1:
                    raise
                log.info("index database %s is busy; waiting for it again", self.path)
            except sqlite3.DatabaseError as error:
                self._rebuild(f"unreadable index database ({error})")
                break

    # -- opening ------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(
            self.path, timeout=_BUSY_TIMEOUT_MS / 1000, check_same_thread=False, isolation_level=None
        )
        db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable enough for a cache, much faster
        db.execute("PRAGMA foreign_keys = ON")
        return db

    def _connect_checked(self) -> sqlite3.Connection:
        db = self._connect()
        # One transaction for both reads: read apart, another process creating the schema could commit
        # in between, and its new tables under the old version number looked like an old schema to
        # rebuild (deleting the files that process was using).
        with _immediate(db):
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        damaged = bool(tables) and not _TABLES.issubset(tables)
        if (version != SCHEMA_VERSION and tables) or damaged:
            problem = (
                f"schema {version} replaced by {SCHEMA_VERSION}"
                if version != SCHEMA_VERSION
                else "tables missing"
            )
            log.warning("index database %s: %s; rebuilding it", self.path, problem)
            self.rebuilt_reason = problem
            db.close()
            self._delete_files()
            db = self._connect()
        with _immediate(db):
            for statement in _SCHEMA.split(";"):  # idempotent: IF NOT EXISTS everywhere
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        # Every page of every table and index, not only those of `files`: damage confined to the symbols
        # left workspace/symbol answering [] across restarts. One sequential read of the file.
        problems = [row[0] for row in db.execute("PRAGMA quick_check").fetchall()]
        if problems != ["ok"]:
            db.close()
            raise sqlite3.DatabaseError(f"damaged: {problems[0]}")
        return db

    def _rebuild(self, reason: str) -> None:
        self.rebuilt_reason = reason
        log.warning("index database %s: %s; rebuilding it", self.path, reason)
        self._delete_files()
        self.db = self._connect_checked()

    def _check_after_failure(self, error: sqlite3.Error) -> bool:
        """After a failed query: True when the database is damaged and was rebuilt (empty).

        A busy or locked database, or a bad query, is not damage; `quick_check` tells them apart
        (one sequential read, paid only when a query has already failed)."""
        if not isinstance(error, sqlite3.DatabaseError) or isinstance(error, sqlite3.OperationalError):
            return False
        try:
            problems = [row[0] for row in self.db.execute("PRAGMA quick_check").fetchall()]
        except sqlite3.DatabaseError as check_error:
            problems = [str(check_error)]
        if problems == ["ok"]:
            return False
        with suppress(sqlite3.Error):
            self.db.close()
        self._rebuild(f"damaged, found by a failed query: {problems[0]}")
        return True

    def _delete_files(self) -> None:
        if str(self.path) == MEMORY:
            return
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        with self.lock:
            self.db.close()

    # -- writing ------------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Writer]:
        """One write transaction (BEGIN IMMEDIATE: waits for another process's writer, then locks).

        When the disk refuses it (the cache folder filled up or became read-only while the session ran),
        the transaction goes on in an in-memory copy of the database (`_Transaction`)."""
        with self.lock:
            transaction = Transaction(self)
            try:
                yield transaction
            except BaseException:
                transaction.rollback()
                raise
            transaction.commit()

    def move_to_memory(self, error: sqlite3.Error) -> None:
        """Go on with an in-memory copy of what the file holds (its last commit); the file stays as it was."""
        with suppress(sqlite3.Error):
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
        memory = sqlite3.connect(MEMORY, check_same_thread=False, isolation_level=None)
        self.db.backup(memory)
        memory.execute("PRAGMA foreign_keys = ON")
        with suppress(sqlite3.Error):
            self.db.close()
        self.db = memory
        self.in_memory_reason = f"the index database {self.path} cannot be written ({error})"
        log.warning("%s; the index is kept in memory for this session", self.in_memory_reason)
        self.path = Path(MEMORY)
        if self.on_moved_to_memory is not None:
            self.on_moved_to_memory(self.in_memory_reason)

    def file_states(self, recheck_skipped: bool = False) -> dict[str, tuple[int, int, str]]:
        """path -> (mtime_ns, size, hash) of every stored file; skipped ones get mtime -2 to re-check them."""
        with self.lock:
            rows = self.db.execute("SELECT path, mtime_ns, size, hash, language FROM files").fetchall()
        return {
            path: (-2 if recheck_skipped and not language else mtime, size, digest)
            for path, mtime, size, digest, language in rows
        }

    def get_meta(self, key: str) -> str | None:
        rows = self.query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @staticmethod
    def put_file(
        db: Writer,
        path: str,
        language: str,
        mtime_ns: int,
        size: int,
        digest: str,
        facts: FileFacts,
        chunks: bool = True,
    ) -> None:
        """Replace one file's facts (call inside `transaction()`); `chunks=False` keeps its stored chunks."""
        row = db.execute("SELECT id FROM files WHERE path = ?", (path,)).fetchone()
        refs = " ".join(facts.references)
        if row is not None and not chunks:
            file_id = row[0]
            db.execute(
                "UPDATE files SET language = ?, mtime_ns = ?, size = ?, hash = ?, refs = ? WHERE id = ?",
                (language, mtime_ns, size, digest, refs, file_id),
            )
            db.execute("DELETE FROM symbols WHERE file_id = ?", row)
            db.execute("DELETE FROM imports WHERE file_id = ?", row)
        else:
            Store.delete_file(db, path)
            new_id = db.execute(
                "INSERT INTO files (path, language, mtime_ns, size, hash, refs) VALUES (?, ?, ?, ?, ?, ?)",
                (path, language, mtime_ns, size, digest, refs),
            ).lastrowid
            assert new_id is not None
            file_id = new_id
            Store.put_chunks(db, file_id, facts)
        db.executemany(
            "INSERT INTO symbols VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(file_id, *row) for row in facts.symbols],
        )
        db.executemany(
            "INSERT INTO imports VALUES (?, ?, ?, ?, ?)", [(file_id, *row[:4]) for row in facts.imports]
        )

    @staticmethod
    def put_chunks(db: Writer, file_id: int, facts: FileFacts) -> None:
        """Replace one file's similarity chunks."""
        first = file_id << CHUNK_ID_BITS
        db.execute(
            "DELETE FROM chunks_fts WHERE rowid >= ? AND rowid < ?", (first, first + (1 << CHUNK_ID_BITS))
        )
        db.executemany(
            "INSERT INTO chunks_fts (rowid, tokens, start_line, end_line) VALUES (?, ?, ?, ?)",
            [(first + i, tokens, start, end) for i, (start, end, tokens) in enumerate(facts.chunks)],
        )

    @staticmethod
    def touch_file(db: Writer, path: str, mtime_ns: int, size: int) -> None:
        """Record a new mtime for a file whose content hash did not change."""
        db.execute("UPDATE files SET mtime_ns = ?, size = ? WHERE path = ?", (mtime_ns, size, path))

    @staticmethod
    def delete_file(db: Writer, path: str) -> bool:
        row = db.execute("SELECT id FROM files WHERE path = ?", (path,)).fetchone()
        if row is None:
            return False
        first = row[0] << CHUNK_ID_BITS
        db.execute(
            "DELETE FROM chunks_fts WHERE rowid >= ? AND rowid < ?", (first, first + (1 << CHUNK_ID_BITS))
        )
        db.execute("DELETE FROM files WHERE id = ?", row)  # cascades to symbols and imports
        return True

    # -- reading ------------------------------------------------------------------------------
    def query(self, sql: str, params: Iterable[object] = ()) -> list[tuple]:
        """Rows of a read query; a broken database answers nothing (logged) rather than raising, and
        a damaged one is rebuilt (then `on_rebuilt` is called to fill it again)."""
        with self.lock:
            try:
                return self.db.execute(sql, tuple(params)).fetchall()
            except sqlite3.Error as error:
                log.warning("index query failed (%s); answering without the index", error)
                rebuilt = self._check_after_failure(error)
        if rebuilt and self.on_rebuilt is not None:
            self.on_rebuilt()
        return []


@contextmanager
def _immediate(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
