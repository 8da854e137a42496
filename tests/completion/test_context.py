"""Cross-file context from a real workspace index (Chinese file names and identifiers), recent edits,
and graceful degradation with no index or a failing one."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from daima.completion.context import RecentEdits, gather_context, names_near, stable_order
from daima.completion.templates import Snippet
from daima.indexer import CodeIndex, WorkspaceIndex
from daima.text import TextDocument

WORKSPACE = Path(__file__).parents[1] / "data" / "prompt" / "workspace"
MAIN = (WORKSPACE / "主程序.py").read_text("utf-8")
TOOLS = (WORKSPACE / "商店" / "工具.py").read_text("utf-8")


def _main_document(index: WorkspaceIndex) -> tuple[TextDocument, Path]:
    path = index.root / "主程序.py"
    return TextDocument(path.as_uri(), MAIN, language_id="python"), path


def test_definitions_of_imported_and_nearby_names(workspace: WorkspaceIndex) -> None:
    document, path = _main_document(workspace)
    snippets = gather_context(document, len(MAIN), index=workspace, path=path, root=workspace.root)
    by_kind = {(s.kind, s.path): s.text for s in snippets}
    # Imported names first, labelled with their workspace-relative path, as valid Python headers.
    assert snippets[0].kind == "import" and snippets[0].path == "商店/价格.py"
    assert by_kind[("import", "商店/价格.py")] == (
        'def 计算总价(商品列表: list) -> float:\n    """返回所有商品的总价。"""\n'
        'class 商品:\n    """一个商品 🎉"""'
    )
    # A name used near the cursor but not imported still gets its definition.
    assert by_kind[("definition", "商店/工具.py")] == "def 打折(总价, 折扣):\n    ..."
    # Similar chunks come from other files only.
    similar = [s for s in snippets if s.kind == "similar"]
    assert similar and all(s.path != "主程序.py" for s in similar)


def test_no_index_and_failing_index_degrade(
    workspace: WorkspaceIndex, caplog: pytest.LogCaptureFixture
) -> None:
    document, path = _main_document(workspace)
    assert gather_context(document, 10, index=None, path=path) == []

    class FailingIndex:
        root = workspace.root

        def relative(self, path: Path) -> str | None:
            return workspace.relative(path)

        def definitions(self, name: str) -> list:
            raise RuntimeError("database is locked")

        def definitions_with_prefix(self, prefix: str, limit: int = 50) -> list:
            raise RuntimeError("database is locked")

        def visible_names(self, path: Path, text: str, byte_offset: int) -> list:
            raise RuntimeError("database is locked")

        def similar_chunks(self, text: str, k: int = 4, exclude: Path | None = None) -> list:
            return workspace.similar_chunks(text, k, exclude)

    assert isinstance(FailingIndex(), CodeIndex) and isinstance(workspace, CodeIndex)

    with caplog.at_level(logging.ERROR):
        snippets = gather_context(document, len(MAIN), index=FailingIndex(), path=path, root=workspace.root)
    assert "definitions for the completion context failed" in caplog.text
    assert snippets and all(s.kind == "similar" for s in snippets)  # the part that works is still used


def test_recent_edits_are_merged_bounded_and_exclude_the_current_file() -> None:
    edits = RecentEdits(max_entries=2, context_lines=1)
    other = TextDocument("file:///w/其他.py", "a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n")
    edit = other.replace(other.line_start(2), other.line_start(2), "x")  # type at line 2
    edits.record("/w/其他.py", other, edit)
    edit = other.replace(other.line_start(2) + 1, other.line_start(2) + 1, "y")  # keep typing there
    edits.record("/w/其他.py", other, edit)
    recent = edits.recent()
    assert len(recent) == 1  # one range, not one per keystroke
    assert (recent[0].start_line, recent[0].end_line, recent[0].text) == (1, 4, "b = 2\nxyc = 3\nd = 4")
    current = TextDocument("file:///w/主.py", "总价 = 1\n")
    edits.record("/w/主.py", current, current.replace(0, 0, "#"))
    assert [e.path for e in edits.recent()] == ["/w/主.py", "/w/其他.py"]
    assert [e.path for e in edits.recent(exclude_path="/w/主.py")] == ["/w/其他.py"]
    third = TextDocument("file:///w/三.py", "😀 = 1\n")
    edits.record("/w/三.py", third, third.replace(0, 0, " "))
    assert len(edits.recent(limit=10)) == 2  # bounded: the oldest went


def test_recent_edits_become_snippets(workspace: WorkspaceIndex) -> None:
    document, path = _main_document(workspace)
    edits = RecentEdits()
    tools = TextDocument((workspace.root / "商店" / "工具.py").as_uri(), TOOLS)
    edits.record(workspace.root / "商店" / "工具.py", tools, tools.replace(0, 0, ""))
    snippets = gather_context(document, 5, index=None, path=path, recent_edits=edits, root=workspace.root)
    assert snippets == [Snippet(path="商店/工具.py", text=TOOLS, kind="recent")]


def test_names_near_are_nearest_first_without_keywords() -> None:
    source = "def 远():\n    pass\n\n总价 = 单价 * 数量 + 😀\n"
    names = names_near(TextDocument("file:///t", source), len(source))
    assert names[:3] == ["数量", "单价", "总价"] and "def" not in names and "pass" not in names


def test_stable_order_is_independent_of_priority() -> None:
    a = Snippet(path="b.py", text="x", kind="definition")
    b = Snippet(path="a.py", text="y", kind="recent")
    c = Snippet(path="a.py", text="z", kind="import")
    d = Snippet(path="a.py", text="w", kind="similar")
    assert stable_order([a, b, c, d]) == stable_order([d, c, b, a]) == [c, a, d, b]


def test_an_imported_name_uses_the_definition_in_its_module(workspace: WorkspaceIndex) -> None:
    # 旧版/价格.py also defines 计算总价; the import says 商店.价格, so only that one is shown.
    assert len(workspace.definitions("计算总价")) == 2
    document, path = _main_document(workspace)
    snippets = gather_context(document, len(MAIN), index=workspace, path=path, root=workspace.root)
    definitions = [s for s in snippets if s.kind in ("import", "definition")]
    assert all(s.path != "旧版/价格.py" for s in definitions)
    # Without the import, both are candidates (a couple per name, by path).
    loose = TextDocument(path.as_uri(), "总价 = 计算总价([])\n", language_id="python")
    paths = {s.path for s in gather_context(loose, 10, index=workspace, path=path, root=workspace.root)}
    assert {"商店/价格.py", "旧版/价格.py"} <= paths


@pytest.mark.parametrize(
    ("relative_path", "source"),
    [
        ("商店/结算.py", "from .价格 import 计算总价\n\n总额 = 计算总价([])\n"),
        ("商店/子包/结算.py", "from ..价格 import 计算总价\n\n总额 = 计算总价([])\n"),
        ("结算.py", "from 商店.价格 import 计算总价 as 算\n\n总额 = 算([])\n"),
    ],
)
def test_relative_and_aliased_imports_find_their_module(
    workspace: WorkspaceIndex, relative_path: str, source: str
) -> None:
    path = workspace.root / relative_path
    document = TextDocument(path.as_uri(), source, language_id="python")
    snippets = gather_context(document, len(source), index=workspace, path=path, root=workspace.root)
    imported = [s.path for s in snippets if s.kind in ("import", "definition")]
    assert imported[0] == "商店/价格.py" and "旧版/价格.py" not in imported


def test_an_aliased_import_shows_its_definition_once(workspace: WorkspaceIndex) -> None:
    path = workspace.root / "结算.py"
    source = "from 商店.价格 import 计算总价 as 算\n\n总额 = 算([])\n"
    document = TextDocument(path.as_uri(), source, language_id="python")
    snippets = gather_context(document, len(source), index=workspace, path=path, root=workspace.root)
    [shown] = [s for s in snippets if s.kind in ("import", "definition")]
    assert shown.path == "商店/价格.py" and shown.text.count("def 计算总价(") == 1
    # The alias is a name the code here can use, bound to the module's function.
    visible = {s.name: s for s in workspace.visible_names(path, source, len(source.encode()))}
    assert visible["算"].kind == "function" and visible["算"].signature.startswith("def 计算总价(")
