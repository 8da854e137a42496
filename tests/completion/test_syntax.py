"""Splice checks: a completion never turns a parseable file into one with syntax errors (data-driven)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daima.completion.syntax import SpliceChecker, comment_marker, language_for, longest_valid_prefix

CASES = json.loads((Path(__file__).parent.parent / "data" / "syntax" / "cases.json").read_text("utf-8"))[
    "cases"
]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_longest_valid_prefix(case: dict[str, str]) -> None:
    document = case["document"]
    cursor = document.index("▮")
    checker = SpliceChecker(document.replace("▮", ""), cursor, cursor, case["language"])
    assert longest_valid_prefix(checker, case["completion"]) == case["expected"]


def test_incremental_checks_agree_with_fresh_parses() -> None:
    text = "def 函数(参数):\n    \n    return 参数  # 注释 🎉\n"
    cursor = text.index("    \n") + 4
    checker = SpliceChecker(text, cursor, cursor, "python")
    for completion, valid in [
        ("值 = 1", True),
        ("值 = (1", False),
        ("if 参数:\n        pass", True),
        ("😀", False),
    ]:
        assert checker.parses(completion) is valid, completion


def test_language_and_comment_guess() -> None:
    assert language_for("", Path("购物车.py")) == "python"
    assert language_for("typescriptreact", Path("a.py")) == "typescriptreact"
    assert (comment_marker("python"), comment_marker("go")) == ("#", "//")
