"""Name rules over the scope model: which names a completion reads that do not exist at the cursor,
and which locals it reads before any binding of them holds (data-driven)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daima.completion.names import NameReads, candidate_reads, name_scope
from daima.completion.syntax import SpliceChecker

DATA = Path(__file__).parent.parent / "data"
CASES = [
    {"language": file.stem, **case}
    for file in sorted((DATA / "names").glob("*.json"))
    for case in json.loads(file.read_text("utf-8"))["cases"]
]
READ_FIRST = json.loads((DATA / "scopes" / "python.json").read_text("utf-8"))["cases"]


def _reads(text: str, cursor: int, completion: str, language: str) -> NameReads:
    checker = SpliceChecker(text, cursor, cursor, language)
    line_before = text[text.rfind("\n", 0, cursor) + 1 : cursor]
    return candidate_reads(name_scope(checker, language), checker, completion, line_before)


@pytest.mark.parametrize("case", CASES, ids=[f"{c['language']}: {c['name']}" for c in CASES])
def test_unresolved(case: dict[str, object]) -> None:
    document = str(case["document"])
    cursor = document.index("▮")
    text = document.replace("▮", "")
    reads = _reads(text, cursor, str(case["completion"]), str(case["language"]))
    assert list(reads.unresolved) == case["unresolved"]


@pytest.mark.parametrize("case", READ_FIRST, ids=[str(c["name"]) for c in READ_FIRST])
def test_read_before_bound(case: dict[str, object]) -> None:
    document = str(case["document"])
    start, end = document.index("⟦"), document.index("⟧")
    completion = document[start + 1 : end]
    text = document[:start] + document[end + 1 :]
    assert list(_reads(text, start, completion, "python").read_before_bound) == case["read_first"]


def test_there_are_cases_for_python_and_the_script_languages() -> None:
    assert {c["language"] for c in CASES} >= {"python", "javascript", "typescript", "javascriptreact"}


def test_languages_without_a_locals_query_report_nothing() -> None:
    assert _reads("func f() {\n\t\n}\n", 12, "return nothingHere", "go") == NameReads()


def test_a_window_sees_the_module_names_outside_it() -> None:
    """The candidate's table covers only its own top-level statement; the functions, classes and
    imports of the rest of the module still resolve, another function's locals still do not."""
    text = "import 工具\n\ndef 主(甲):\n    \n\n\ndef 辅助(乙):\n    丙 = 乙\n    return 丙\n"
    cursor = text.index("    \n") + 4
    reads = _reads(text, cursor, "return 辅助(工具.值(甲)) + 丙", "python")
    assert reads.unresolved == ("丙",) and reads.read_before_bound == ()
