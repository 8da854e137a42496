"""Changes made outside the editor reach the index through the watchdog observer, debounced and batched."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from daima.indexer.watcher import Watcher


def _wait_for(condition: Callable[[], object], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_disk_changes_reach_the_index(make_index) -> None:
    index = make_index({"a.py": "def first():\n    pass\n", "node_modules/x.js": "function vendored() {}\n"})
    index.index_all()
    index.start_watching()
    try:
        (index.root / "新文件.py").write_text("def 新函数():\n    pass\n", encoding="utf-8")
        assert _wait_for(lambda: index.definitions("新函数"))
        (index.root / "a.py").write_text("def second():\n    pass\n", encoding="utf-8")
        assert _wait_for(lambda: index.definitions("second") and not index.definitions("first"))
        (index.root / "a.py").rename(index.root / "b.py")  # a move: old path gone, new path indexed
        assert _wait_for(lambda: [s.path.name for s in index.definitions("second")] == ["b.py"])
        (index.root / "新文件.py").unlink()
        assert _wait_for(lambda: not index.definitions("新函数"))
        (index.root / "node_modules" / "y.js").write_text("function alsoVendored() {}\n", encoding="utf-8")
        (index.root / ".gitignore").write_text("ignored.py\n", encoding="utf-8")
        (index.root / "ignored.py").write_text("def hidden():\n    pass\n", encoding="utf-8")
        (index.root / "c.py").write_text("def third():\n    pass\n", encoding="utf-8")
        assert _wait_for(lambda: index.definitions("third"))
        time.sleep(0.5)
        assert not index.definitions("alsoVendored") and not index.definitions("hidden")
    finally:
        index.stop_watching()


def test_a_burst_of_changes_arrives_in_few_batches(tmp_path: Path) -> None:
    batches: list[list[Path]] = []
    done = threading.Event()

    def on_batch(paths: list[Path]) -> None:
        batches.append(paths)
        if sum(len(b) for b in batches) >= 50:
            done.set()

    watcher = Watcher(tmp_path, on_batch, quiet_s=0.3, max_wait_s=3.0)
    watcher.start()
    try:
        for i in range(50):  # like a `git checkout` rewriting 50 files
            (tmp_path / f"f{i}.py").write_text(f"x = {i}\n", encoding="utf-8")
        assert done.wait(10)
    finally:
        watcher.stop()
    assert len(batches) <= 3
    assert {p.name for batch in batches for p in batch} >= {f"f{i}.py" for i in range(50)}
