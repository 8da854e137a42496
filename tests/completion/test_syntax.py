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


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("def 函数(参数):\n    ▮\n    return 参数  # 注释 🎉\n", "python"),
        ("def 函数(参数):\n    if 参数:▮ return '😀'", "python"),  # no line break after the hole
        ("function 总价(商品) {\n  ▮\n  return 商品.单价; // 🎉\n}\n", "javascript"),
        ("▮x = 1\n", "python"),
    ],
)
def test_head_tree_is_the_tree_of_a_fresh_parse_of_the_head(text: str, language: str) -> None:
    cursor = text.index("▮")
    checker = SpliceChecker(text.replace("▮", ""), cursor, cursor, language)
    fresh = SpliceChecker(text[:cursor], cursor, cursor, language).tree
    derived = checker.head_tree()
    assert derived is not None and fresh is not None
    head, tree = derived
    assert head == text[:cursor].encode("utf-8")
    assert str(tree.root_node) == str(fresh.root_node)
    assert tree.root_node.end_byte == fresh.root_node.end_byte
    assert tree.root_node.end_point == fresh.root_node.end_point
    assert checker.head_tree() is derived  # derived once per hole


def test_head_tree_without_a_grammar_is_none() -> None:
    assert SpliceChecker("任务 {\n}\n", 5, 5, "plaintext").head_tree() is None


def test_language_and_comment_guess() -> None:
    assert language_for("", Path("购物车.py")) == "python"
    assert language_for("typescriptreact", Path("a.py")) == "typescriptreact"
    assert (comment_marker("python"), comment_marker("go")) == ("#", "//")
