"""Every language: its tags query compiles and its fixture yields exactly the definitions written down."""

from __future__ import annotations

from pathlib import Path

import pytest
from indexer_helpers import DATA

from daima.indexer.extract import extract
from daima.indexer.languages import LANGUAGES, language_for_id, language_for_path
from daima.text import TextDocument

FIXTURES = sorted(p for p in (DATA / "languages").glob("sample.*") if p.suffix != ".expected")


def _actual(path: Path) -> list[str]:
    language = language_for_path(path)
    assert language is not None
    facts = extract(language, TextDocument(path.as_uri(), path.read_text(encoding="utf-8")))
    lines = [f"def {s[2]}:{s[3]} {s[1]} {s[0]}" + (f" [{s[8]}]" if s[8] else "") for s in facts.symbols]
    return lines + [f"import {module} -> {name}" for module, name, *_ in facts.imports]


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_fixture_definitions(path: Path) -> None:
    expected_file = path.with_name(path.name + ".expected")
    expected = [
        line for line in expected_file.read_text(encoding="utf-8").splitlines() if not line.startswith("#")
    ]
    assert _actual(path) == expected


def test_every_language_has_a_query_and_a_fixture() -> None:
    chinese = {p.suffix for p in (DATA / "chinese_repo").rglob("*.*")}
    covered = {p.suffix for p in FIXTURES} | chinese
    for language in LANGUAGES:
        assert language.query.pattern_count > 0, language.name
        assert language.references_query.pattern_count > 0, language.name
        assert covered & set(language.extensions), f"{language.name} has no fixture"


def test_registry_lookups() -> None:
    assert language_for_path("a/b/购物车.py").name == "python"  # type: ignore[union-attr]
    assert language_for_path("x.TSX").name == "tsx"  # type: ignore[union-attr]
    assert language_for_path("README.md") is None
    assert language_for_id("typescriptreact").name == "tsx"  # type: ignore[union-attr]
    assert language_for_id("javascriptreact").name == "javascript"  # type: ignore[union-attr]
    assert language_for_id("cobol") is None
    python = language_for_id("python")
    assert python is not None and python.parser is python.parser  # cached per thread


def test_signature_doc_and_scope() -> None:
    text = (
        "class Cart:\n"
        '    """A cart.\n\n    Longer text."""\n'
        "    def add(\n        self,\n        item: str,\n    ) -> None:\n"
        "        # comment between head and body\n"
        "        pass\n"
    )
    language = language_for_path("a.py")
    assert language is not None
    symbols = {s[0]: s for s in extract(language, TextDocument("a", text)).symbols}
    assert symbols["Cart"][6:9] == ("class Cart", "A cart.", "")
    assert symbols["add"][1] == "method"
    assert symbols["add"][6] == "def add(\n        self,\n        item: str,\n    ) -> None"
    assert symbols["add"][8] == "Cart"


def test_syntax_errors_still_yield_the_valid_parts() -> None:
    text = (
        "def before(a):\n    return a\n\n"
        "def broken(x):\n    y = = 1\n\n"  # a syntax error inside a function
        "class After:\n    def ok(self):\n        pass\n"
    )
    language = language_for_path("a.py")
    assert language is not None
    tree = language.parser.parse(text.encode())
    assert tree.root_node.has_error
    names = [s[0] for s in extract(language, TextDocument("a", text), tree).symbols]
    assert names == ["before", "broken", "After", "ok"]


def test_one_row_says_which_languages_are_scripts_and_whose_tables_tsx_reads() -> None:
    from daima.completion.block_tree import _kinds
    from daima.indexer.languages import LANGUAGES, language_for_id

    assert {lang.name for lang in LANGUAGES if lang.script} == {"javascript", "typescript", "tsx"}
    assert all(lang.shares in {other.name for other in LANGUAGES} for lang in LANGUAGES if lang.shares)
    tsx = language_for_id("typescriptreact")
    assert tsx is not None and tsx.table_key == "typescript"
    assert _kinds("typescriptreact") == _kinds("typescript") is not None
    assert _kinds("javascriptreact") == _kinds("javascript") is not None
