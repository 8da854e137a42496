"""The SQLite store: change detection by (mtime, size, hash), rebuilds of corrupt or old databases,
and two processes indexing the same workspace into the same database."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from indexer_helpers import write_tree

from daima.indexer import WorkspaceIndex
from daima.indexer.store import SCHEMA_VERSION, default_db_path


def test_warm_restart_reads_nothing_and_edits_reparse_one_file(make_index) -> None:
    index = make_index({f"pkg/m{i}.py": f"def f{i}():\n    return {i}\n" for i in range(20)})
    assert index.index_all().files_parsed == 20
    warm = index.index_all()
    assert (warm.files_parsed, warm.files_unchanged) == (0, 20)
    # Same content, new mtime: the hash matches, so the file is only touched, not parsed.
    path = index.root / "pkg/m3.py"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000_000))
    touched = index.index_all()
    assert (touched.files_parsed, touched.files_unchanged) == (0, 20)
    assert index.index_all().files_unchanged == 20  # the new mtime was recorded
    path.write_text("def renamed():\n    return 3\n", encoding="utf-8")
    changed = index.index_all()
    assert changed.files_parsed == 1
    assert index.definitions("renamed") and not index.definitions("f3")
    path.unlink()
    assert index.index_all().files_removed == 1
    assert not index.definitions("renamed")


def test_corrupt_database_is_rebuilt(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "ws", {"a.py": "def a():\n    pass\n"})
    db = tmp_path / "index.sqlite3"
    db.write_bytes(b"this is not a database" * 200)
    index = WorkspaceIndex.open(root, db_path=db)
    assert "unreadable" in index.store.rebuilt_reason
    index.index_all()
    assert index.definitions("a")
    index.close()


def test_old_schema_is_rebuilt(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "ws", {"a.py": "def a():\n    pass\n"})
    db = tmp_path / "index.sqlite3"
    old = sqlite3.connect(db)
    old.execute("CREATE TABLE files (path TEXT)")
    old.execute("INSERT INTO files VALUES ('stale.py')")
    old.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    old.commit()
    old.close()
    index = WorkspaceIndex.open(root, db_path=db)
    assert "schema" in index.store.rebuilt_reason
    assert index.index_all().files_parsed == 1
    assert index.store.query("PRAGMA user_version")[0][0] == SCHEMA_VERSION
    assert index.store.query("PRAGMA journal_mode")[0][0] == "wal"
    index.close()


def test_default_database_lives_in_the_user_cache_keyed_by_workspace(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first, second = tmp_path / "a" / "proj", tmp_path / "b" / "proj"
    first.mkdir(parents=True)
    second.mkdir(parents=True)
    assert default_db_path(first) != default_db_path(second)
    assert default_db_path(first).is_relative_to(tmp_path / "cache" / "daima")


def _index_in_process(root: str, db: str, rounds: int) -> None:
    index = WorkspaceIndex.open(Path(root), db_path=Path(db))
    for i in range(rounds):
        index.index_all()
        index.update_document(Path(root) / "shared.py", f"def shared_{i}():\n    pass\n")
        index.close_document(Path(root) / "shared.py")
    index.close()


def test_two_processes_on_one_database_stay_consistent(tmp_path: Path) -> None:
    files = {f"pkg/m{i}.py": f"class C{i}:\n    def m{i}(self):\n        return {i}\n" for i in range(120)}
    files["shared.py"] = "def shared():\n    pass\n"
    root = write_tree(tmp_path / "ws", files)
    db = tmp_path / "index.sqlite3"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_index_in_process, args=(str(root), str(db), 3)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    index = WorkspaceIndex.open(root, db_path=db)
    index.index_all()
    assert index.store.query("PRAGMA integrity_check") == [("ok",)]
    assert index.store.query("SELECT count(*), count(DISTINCT path) FROM files") == [(121, 121)]
    # Every file's symbols appear exactly once, as a fresh single-process index has them.
    fresh = WorkspaceIndex.open(root, db_path=tmp_path / "fresh.sqlite3")
    fresh.index_all()
    query = "SELECT f.path, s.name, s.line FROM symbols s JOIN files f ON f.id = s.file_id ORDER BY 1, 2, 3"
    assert index.store.query(query) == fresh.store.query(query)
    orphans = "SELECT count(*) FROM symbols WHERE file_id NOT IN (SELECT id FROM files)"
    assert index.store.query(orphans) == [(0,)]
    index.close()
    fresh.close()


def test_a_broken_database_answers_nothing_instead_of_raising(make_index) -> None:
    index = make_index({"a.py": "def a():\n    pass\n"})
    index.index_all()
    other = sqlite3.connect(index.store.path)
    other.execute("DROP TABLE symbols")
    other.commit()
    other.close()
    assert index.definitions("a") == []
    assert index.search_symbols("a") == []
    assert index.similar_chunks("def a") == []
    # Reopening notices the damage and rebuilds.
    index.close()
    again = type(index).open(index.root, db_path=index.store.path)
    again.index_all()
    assert again.definitions("a")
    again.close()


_MANY_DEFINITIONS = {
    f"pkg/m{i}.py": "".join(f"def f{i}_{j}():\n    return {j}\n" for j in range(40)) for i in range(30)
}


def _garbage_over_root_page(db: Path, name: str) -> None:
    """Random bytes over the root page of table or index `name` (checkpointed into the main file first,
    so the damage is where every reader looks)."""
    raw = sqlite3.connect(db)
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = raw.execute("PRAGMA page_size").fetchone()[0]
    (root_page,) = raw.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    raw.close()
    with open(db, "r+b") as handle:
        handle.seek((root_page - 1) * page_size)
        handle.write(os.urandom(page_size))


def test_damage_in_any_table_is_found_at_open_and_rebuilt(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "ws", _MANY_DEFINITIONS)
    db = tmp_path / "index.sqlite3"
    index = WorkspaceIndex.open(root, db_path=db)
    index.index_all()
    assert index.definitions("f7_3")
    index.close()
    _garbage_over_root_page(db, "symbols")  # the symbols table's root page only
    reopened = WorkspaceIndex.open(root, db_path=db)
    assert "damaged" in reopened.store.rebuilt_reason or "malformed" in reopened.store.rebuilt_reason
    reopened.index_all()
    assert reopened.definitions("f7_3") and reopened.search_symbols("f7_3", 5)
    reopened.close()


def test_damage_found_by_a_failing_query_is_rebuilt_and_filled_again(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "ws", _MANY_DEFINITIONS)
    db = tmp_path / "index.sqlite3"
    index = WorkspaceIndex.open(root, db_path=db)
    index.index_all()
    index.update_document(root / "draft.py", "def 草稿():\n    pass\n")  # an open buffer, never saved
    assert index.definitions("f7_3")
    _garbage_over_root_page(db, "symbols_name")  # the disk goes bad under a running server
    assert index.definitions("f7_3") == []  # this query fails: answered empty, then the check and rebuild
    assert "found by a failed query" in index.store.rebuilt_reason
    deadline = time.monotonic() + 60
    draft_row = "SELECT count(*) FROM files WHERE path = 'draft.py'"  # the open buffer's row is put back
    while not (index.definitions("f7_3") and index.store.query(draft_row) == [(1,)]):
        assert time.monotonic() < deadline, "the rebuilt index was never filled again"
        time.sleep(0.05)
    assert index.definitions_with_prefix("f29_39") and index.definitions("草稿")
    index.close()


def _hold_exclusive_lock(db: Path, seconds: float, held: threading.Event) -> None:
    """Another process's writer: an exclusive lock on the database for `seconds`."""
    connection = sqlite3.connect(db, isolation_level=None)
    connection.execute("BEGIN EXCLUSIVE")
    held.set()
    time.sleep(seconds)
    connection.execute("COMMIT")
    connection.close()


def test_a_database_another_process_holds_is_waited_for_never_rebuilt(tmp_path: Path, monkeypatch) -> None:
    from daima.indexer import store

    db = tmp_path / "index.sqlite3"
    first = store.Store(db)
    with first.transaction() as connection:
        connection.execute(
            "INSERT INTO files(path, language, mtime_ns, size, hash) VALUES ('a.py', 'python', 1, 1, 'h')"
        )
    first.close()
    monkeypatch.setattr(store, "_BUSY_TIMEOUT_MS", 200)
    held = threading.Event()
    holder = threading.Thread(target=_hold_exclusive_lock, args=(db, 0.5, held))
    holder.start()
    held.wait(5)
    second = store.Store(db)  # busy for longer than one timeout: waited for again, not rebuilt
    holder.join()
    assert second.rebuilt_reason == ""
    assert second.file_states() and "a.py" in second.file_states()
    second.close()
    held = threading.Event()
    holder = threading.Thread(target=_hold_exclusive_lock, args=(db, 1.5, held))
    holder.start()
    held.wait(5)
    with pytest.raises(sqlite3.OperationalError):
        store.Store(db)  # still busy after every wait: an error, and the files stay
    holder.join()
    assert "a.py" in store.Store(db).file_states()


def test_a_cache_folder_that_cannot_be_written_keeps_the_index_in_memory(tmp_path: Path) -> None:
    # A read-only or full cache folder (here: its path is a file, which fails for any user, root too).
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder")
    root = tmp_path / "ws"
    root.mkdir()
    (root / "价格.py").write_text("def 计算总价(商品列表):\n    return 0\n", "utf-8")
    index = WorkspaceIndex.open(root, db_path=blocker / "index.sqlite3")
    try:
        assert "cannot be written" in index.store.in_memory_reason
        index.index_all()
        assert [s.name for s in index.definitions("计算总价")] == ["计算总价"]
        assert blocker.read_text() == "not a folder"  # nothing of the user's was touched
    finally:
        index.close()
