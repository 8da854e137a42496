"""A cache folder that fills up (or turns read-only) while the session runs: the index goes on in memory
with everything it held and everything written since, the user is told once, and the file on disk keeps
its last commit. SQLite's own page limit gives the very error a full disk gives (SQLITE_FULL)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from daima.indexer.store import Store


def _module(i: int) -> str:
    return (
        f"def 函数{i}(参数):\n    return 参数 + {i}\n\n"
        f"class 类{i}:\n    def 方法(self):\n        return 函数{i}(1)\n"
    )


def _fill_the_disk(store: Store) -> None:
    """Let the database file grow by no page from now on."""
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.db.execute(f"PRAGMA max_page_count = {pages}")


def test_a_disk_that_fills_up_mid_index_keeps_the_index_in_memory(make_index, tmp_path: Path) -> None:
    index = make_index({f"m{i}.py": _module(i) for i in range(20)})
    index.index_all()
    told: list[str] = []
    index.store.on_moved_to_memory = told.append
    _fill_the_disk(index.store)
    for i in range(20, 400):
        (index.root / f"m{i}.py").write_text(_module(i), "utf-8")

    report = index.index_all()  # raised "database or disk is full" and lost the index

    assert report.files_parsed == 380
    assert all(index.definitions(f"函数{i}") for i in (0, 19, 20, 399))
    assert len(told) == 1 and "cannot be written" in told[0] and "full" in told[0]
    assert index.store.in_memory_reason == told[0]
    # The file keeps what was committed before the disk filled, and is a sound database.
    on_disk = sqlite3.connect(tmp_path / "index.sqlite3")
    assert on_disk.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    assert on_disk.execute("SELECT count(*) FROM files").fetchone()[0] == 20
    on_disk.close()
    # Writing goes on in memory: a later change is indexed too.
    (index.root / "m0.py").write_text("def 新函数():\n    pass\n", "utf-8")
    index.refresh_paths([index.root / "m0.py"])
    assert index.definitions("新函数") and not index.definitions("函数0")


def test_a_statement_refused_mid_transaction_is_run_again_with_those_before_it(tmp_path: Path) -> None:
    store = Store(tmp_path / "index.sqlite3")
    store.set_meta("kept", "1")
    _fill_the_disk(store)
    with store.transaction() as db:
        db.execute("INSERT INTO meta VALUES ('a', 'x')")
        db.executemany("INSERT INTO meta VALUES (?, ?)", [(f"k{i}", "y" * 2000) for i in range(200)])
        # What the body reads after the move is what it wrote before it.
        assert db.execute("SELECT value FROM meta WHERE key = 'a'").fetchone() == ("x",)
    assert store.get_meta("kept") == "1" and store.get_meta("k199") == "y" * 2000
    assert store.in_memory_reason


def test_a_failed_body_still_rolls_back(tmp_path: Path) -> None:
    store = Store(tmp_path / "index.sqlite3")
    try:
        with store.transaction() as db:
            db.execute("INSERT INTO meta VALUES ('a', 'x')")
            raise ValueError("the caller's own error")
    except ValueError:
        pass
    assert store.get_meta("a") is None and not store.in_memory_reason
