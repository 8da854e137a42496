"""A repository with Chinese file names and identifiers (Python, Java, JavaScript): every definition's
name, kind, scope, signature and position (0-based line, UTF-16 column) is checked exactly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from indexer_helpers import DATA

from daima.cli import main
from daima.indexer import WorkspaceIndex
from daima.text import Position, PositionEncoding, TextDocument

EXPECTED = json.loads((DATA / "chinese_repo.expected.json").read_text(encoding="utf-8"))


@pytest.fixture
def index(tmp_path: Path):
    root = tmp_path / "仓库"
    shutil.copytree(DATA / "chinese_repo", root)
    index = WorkspaceIndex.open(root, db_path=tmp_path / "index.sqlite3")
    report = index.index_all()
    assert report.files_parsed == 6 and report.files_skipped == 0
    yield index
    index.close()


def test_every_definition_exactly(index: WorkspaceIndex) -> None:
    rows = index.store.query("SELECT DISTINCT name FROM symbols")
    actual = []
    for (name,) in rows:
        for symbol in index.definitions(name):
            actual.append(
                {
                    "path": symbol.path.relative_to(index.root).as_posix(),
                    "name": symbol.name,
                    "kind": symbol.kind,
                    "line": symbol.line,
                    "column": symbol.column,
                    "scope": symbol.scope,
                    "signature": symbol.signature,
                }
            )
    key = lambda row: (row["path"], row["line"], row["column"])  # noqa: E731
    assert sorted(actual, key=key) == sorted(EXPECTED, key=key)


def test_positions_point_at_the_names(index: WorkspaceIndex) -> None:
    # Independent of the expected file: the UTF-16 column, read back through TextDocument, lands on the name.
    for row in EXPECTED:
        path = index.root / row["path"]
        document = TextDocument(path.as_uri(), path.read_text(encoding="utf-8"))
        offset = document.offset_at(Position(row["line"], row["column"]), PositionEncoding.UTF16)
        assert document.text[offset : offset + len(row["name"])] == row["name"]


def test_astral_plane_column_is_counted_in_utf16(index: WorkspaceIndex) -> None:
    [symbol] = index.definitions("野家")
    assert (symbol.line, symbol.column) == (6, 8)  # "𠮷 = 1; " is 7 code points but 8 UTF-16 units


def test_queries_with_chinese_names(index: WorkspaceIndex) -> None:
    assert [s.name for s in index.search_symbols("计算")] == ["计算总价"]
    assert {s.name for s in index.search_symbols("购物车")} >= {"购物车", "购物车视图"}
    assert [s.scope for s in index.definitions_with_prefix("添加")] == ["购物车"]
    assert [p.name for p in index.importers("商店.工具")] == ["购物车.py"]
    assert [p.name for p in index.importers("前端/工具函数")] == ["购物车视图.js"]
    [chunk] = index.similar_chunks("小计 = sum(单价 for _, 单价 in self.商品列表)", k=1)
    assert chunk.path.name == "购物车.py" and "商品列表" in chunk.text


def test_cli_find_json(index: WorkspaceIndex, capsys: pytest.CaptureFixture[str]) -> None:
    index.close()
    code = main(["index", str(index.root), "--db", str(index.store.path), "--find", "计算总价", "--json"])
    assert code == 0
    [found] = json.loads(capsys.readouterr().out)
    assert found == {
        "path": str(index.root / "商店" / "购物车.py"),
        "line": 20,
        "column": 8,
        "kind": "method",
        "name": "计算总价",
        "signature": "def 计算总价(self, 税率: float = 默认税率) -> float",
        "scope": "购物车",
    }


def test_cli_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "仓库"
    shutil.copytree(DATA / "chinese_repo", root)
    assert main(["index", str(root), "--db", str(tmp_path / "db.sqlite3")]) == 0
    out = capsys.readouterr().out
    assert "6 files (6 parsed" in out and "timings:" in out
    assert main(["index", str(root), "--db", str(tmp_path / "db.sqlite3"), "--find", "不存在"]) == 1
