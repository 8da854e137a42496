"""The read side: fuzzy symbol search, prefixes, importers, removal and progress."""

from __future__ import annotations

from daima.config import IndexOptions

FILES = {
    "app/users.py": "def get_user(u):\n    pass\n\ndef get_users():\n    pass\n\n"
    "class UserStore:\n    n = 1\n",
    "app/api.py": "from app.users import get_user\nfrom . import users\n\ndef GetUserHandler():\n    pass\n",
    "web/main.ts": "import { render } from './view';\nexport function getUserName(): string { return ''; }\n",
    "web/view.ts": "export function render(): void {}\n",
    "docs/notes.py": "def noted():\n    pass\n",
}


def test_fuzzy_search_ranks_exact_then_prefix_then_substring_then_subsequence(make_index) -> None:
    index = make_index(FILES)
    index.index_all()
    names = [s.name for s in index.search_symbols("get_user")]
    assert names[:2] == ["get_user", "get_users"]
    # Both start with "getuser" ignoring case; the shorter name comes first.
    assert [s.name for s in index.search_symbols("getuser")][:2] == ["getUserName", "GetUserHandler"]
    assert "UserStore" in [s.name for s in index.search_symbols("usrst")]
    assert index.search_symbols("zzz") == []
    assert len(index.search_symbols("", limit=3)) == 3


def test_prefix_and_importers(make_index) -> None:
    index = make_index(FILES)
    index.index_all()
    assert [s.name for s in index.definitions_with_prefix("get_")] == ["get_user", "get_users"]
    assert index.definitions_with_prefix("") == []
    assert [p.name for p in index.importers("app.users")] == ["api.py"]
    assert [p.name for p in index.importers("app")] == ["api.py"]  # `from . import users` in app/
    assert [p.name for p in index.importers("web/view")] == ["main.ts"]


def test_exclude_option_and_remove_path(make_index) -> None:
    index = make_index(FILES, IndexOptions(exclude=["docs/"]))
    report = index.index_all()
    assert report.files_seen == 4 and not index.definitions("noted")
    index.remove_path(index.root / "app")
    assert not index.definitions("get_user") and index.definitions("render")
    index.remove_path(index.root / "web" / "view.ts")
    assert not index.definitions("render")


def test_progress_reaches_the_total(make_index) -> None:
    index = make_index({f"m{i}.py": f"x{i} = {i}\n" for i in range(70)})
    seen: list[tuple[int, int]] = []
    index.index_all(lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 70) and seen[-1] == (70, 70)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_first_index_from_a_threaded_process_uses_a_forkserver(make_index, monkeypatch) -> None:
    # Inside the server other threads run; the worker processes must then come from a forkserver.
    import threading

    from daima.indexer import worker

    methods: list[str] = []
    real_get_context = worker.get_context
    monkeypatch.setattr(
        worker, "get_context", lambda method: methods.append(method) or real_get_context(method)
    )
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        index = make_index({f"pkg/m{i}.py": f"def threaded_{i}():\n    pass\n" for i in range(80)})
        report = index.index_all()
    finally:
        stop.set()
        thread.join()
    if worker._usable_cores() < 2:
        assert methods == []
    else:
        assert methods == ["forkserver"]
    assert report.files_parsed == 80 and index.definitions("threaded_79")
