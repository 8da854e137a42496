"""`daima complete` takes a file however the user spells it, and the index lookups never throw on it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from daima.cli import main
from daima.config import IndexOptions
from daima.indexer import WorkspaceIndex

SOURCE = "def 计算总价(商品列表):\n    总价 = 0\n    return 总价\n\n计算总\n"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "项目"
    (root / ".git").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "src" / "购物车.py").write_text(SOURCE, encoding="utf-8")
    os.symlink(root / "src", tmp_path / "linked")
    monkeypatch.chdir(root)
    return root


@pytest.mark.parametrize(
    "spelling",
    [
        "src/购物车.py",
        "./src/../src/购物车.py",
        "{root}/src/购物车.py",
        "../linked/购物车.py",
        "{tmp}/linked/购物车.py",
    ],
)
def test_complete_accepts_every_spelling(
    workspace: Path, spelling: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    path = spelling.format(root=workspace, tmp=workspace.parent)
    assert main(["complete", "--model", "none", f"{path}:5:4"]) == 0
    assert capsys.readouterr().out == "价\n"
    assert not [record for record in caplog.records if record.levelname in ("WARNING", "ERROR")]


def test_a_missing_file_is_one_sentence(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["complete", "--model", "none", "src/没有.py:1:1"]) == 2
    assert capsys.readouterr().err.startswith("daima: cannot read src/没有.py")


@pytest.mark.parametrize("spelling", ["src/购物车.py", "src/../src/购物车.py", "../linked/购物车.py"])
def test_visible_names_through_a_relative_path(workspace: Path, spelling: str) -> None:
    index = WorkspaceIndex.open(workspace, IndexOptions(watch=False), db_path=workspace.parent / "db.sqlite")
    try:
        index.index_all()
        names = {symbol.name for symbol in index.visible_names(Path(spelling), SOURCE, 40)}
    finally:
        index.close()
    assert "计算总价" in names


def test_the_cheap_index_counts_what_the_index_would_index(tmp_path: Path) -> None:
    """Build output beside the sources (ignored by .gitignore) must not turn the index off, so
    `daima complete` gives the same answer before and after a build; too many sources do."""
    from daima.completion.cli import _CHEAP_INDEX_FILES, _cheap_index

    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("out/\n")
    (tmp_path / "a.py").write_text("def 计算总价():\n    return 1\n", encoding="utf-8")
    (tmp_path / "out").mkdir()
    for i in range(_CHEAP_INDEX_FILES + 50):
        (tmp_path / "out" / f"f{i}.js").write_text("x = 1\n")
    index = _cheap_index(tmp_path / "a.py")
    assert index is not None
    index.close()
    for i in range(_CHEAP_INDEX_FILES + 1):
        (tmp_path / f"m{i}.py").write_text("y = 1\n")
    assert _cheap_index(tmp_path / "a.py") is None


def test_the_workspace_is_the_nearest_project_folder(tmp_path: Path) -> None:
    """A project inside a repository (the README's `examples/`) is indexed on its own: its answer
    does not depend on the rest of the repository."""
    from daima.completion.cli import _workspace_root

    (tmp_path / ".git").mkdir()
    inner = tmp_path / "examples"
    (inner / "pkg").mkdir(parents=True)
    (inner / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    assert _workspace_root(inner / "pkg" / "a.py") == inner
    assert _workspace_root(tmp_path / "b.py") == tmp_path
    assert _workspace_root(Path(__file__).resolve().parents[2] / "examples" / "购物车.py").name == "examples"
