"""A write transaction of the index's store that outlives a disk refusing it (full or read-only)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .store import Store

MEMORY = ":memory:"

# Primary result codes of a database whose file can no longer be written: SQLITE_READONLY, SQLITE_IOERR,
# SQLITE_FULL, SQLITE_CANTOPEN. A full or read-only cache folder costs the index its persistence, never
# the index itself.
_UNWRITABLE_CODES = frozenset({8, 10, 13, 14})


def unwritable(error: sqlite3.Error) -> bool:
    return (getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF in _UNWRITABLE_CODES


class Writer(Protocol):
    """What a write transaction's body uses of its connection."""

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> sqlite3.Cursor: ...

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> sqlite3.Cursor: ...


class Transaction:
    """One write transaction that outlives a disk refusing it: each statement is remembered, and when the
    disk refuses one (or the commit), the store moves to an in-memory copy of what the file holds, the
    statements so far are run again there and the body goes on, not knowing (it is never run twice).
    Replaying from the same committed state gives the same row ids, so what the body read stays true."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.statements: list[tuple[str, str, Any]] = []
        store.db.execute("BEGIN IMMEDIATE")

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> sqlite3.Cursor:
        return self._run("execute", sql, tuple(parameters))

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> sqlite3.Cursor:
        return self._run("executemany", sql, [tuple(row) for row in parameters])

    def _run(self, method: str, sql: str, parameters: Any) -> sqlite3.Cursor:
        self.statements.append((method, sql, parameters))
        try:
            return getattr(self.store.db, method)(sql, parameters)
        except sqlite3.Error as error:
            return self._again_in_memory(error)

    def commit(self) -> None:
        try:
            self.store.db.execute("COMMIT")
        except sqlite3.Error as error:
            self._again_in_memory(error)
            self.store.db.execute("COMMIT")

    def rollback(self) -> None:
        if self.store.db.in_transaction:
            self.store.db.execute("ROLLBACK")

    def _again_in_memory(self, error: sqlite3.Error) -> sqlite3.Cursor:
        if str(self.store.path) == MEMORY or not unwritable(error):
            raise error
        self.store.move_to_memory(error)
        db = self.store.db
        db.execute("BEGIN IMMEDIATE")
        cursor = db.cursor()
        for method, sql, parameters in self.statements:
            cursor = getattr(db, method)(sql, parameters)
        return cursor
