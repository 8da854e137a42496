"""Splice checks: a completion never turns a parseable file into one with syntax errors (data-driven)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daima.completion.syntax import SpliceChecker, language_for, longest_valid_prefix
from daima.indexer.languages import line_comment

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
    assert (line_comment("python"), line_comment("go")) == ("#", "//")


def _whole_file_parses(text: str) -> bool:
    import ast

    checker = SpliceChecker(text, 0, 0, "python")
    if checker.tree is None or checker.tree.root_node.has_error:
        return False
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def test_python_parse_of_the_statements_around_the_hole_agrees_with_the_whole_file() -> None:
    # Python's parser sees only the top-level statements around the hole; over every 9th line of a
    # real module, with completions that keep or break it, the answer must be the whole file's.
    source = (Path(__file__).parent.parent.parent / "completion" / "pipeline.py").read_text("utf-8")
    source += "\n\nclass 购物车:\n    def 总价(self):\n        return 0  # 🎉\n"
    starts = [0] + [i + 1 for i, char in enumerate(source) if char == "\n"]
    completions = ["", "值 = 1\n", "    值 = 1\n", "if 值:\n", "def 函数():\n", "@装饰\n", ")\n"]
    for line_start in starts[::9]:
        checker = SpliceChecker(source, line_start, line_start, "python")
        for completion in completions:
            spliced = source[:line_start] + completion + source[line_start:]
            assert checker.parses(completion) == _whole_file_parses(spliced), (line_start, completion)


NESTED = '''import os


@dataclass
class 购物车:
    """购物车。
文档的第二行没有缩进。
    """

    def 总价(self, 商品列表):
        总价 = 0
        for 商品 in 商品列表:
            if 商品.数量 > 0:
                总价 += 商品.单价 * (
            商品.数量)
            else:
                continue
        try:
            return 总价  # 🎉
        except ValueError:
            raise

    @property
    def 空(self):
        return not self.商品
'''


def test_python_parse_agrees_with_the_whole_file_in_nested_blocks() -> None:
    starts = [0] + [i + 1 for i, char in enumerate(NESTED) if char == "\n"]
    starts += [NESTED.index("总价 += ") + 4, NESTED.index("(\n") + 1]  # mid-line holes
    completions = [
        "", "x = 1\n", "    x = 1\n", "        x = 1\n", "            x = 1\n", "else:\n", "        else:\n",
        "    except OSError:\n", "if x:\n", "        pass\n    def 新(self):\n        pass\n", "1)\n", "(",
    ]  # fmt: skip
    for line_start in starts:
        checker = SpliceChecker(NESTED, line_start, line_start, "python")
        for completion in completions:
            spliced = NESTED[:line_start] + completion + NESTED[line_start:]
            assert checker.parses(completion) == _whole_file_parses(spliced), (line_start, completion)
