"""The token budget: the split by shares, and cuts at line/syntax boundaries, with the real tokenizer."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from daima.completion.budget import (
    MIN_SUFFIX_TOKENS,
    SAFE,
    Boundaries,
    TokenCounter,
    cut_prefix,
    cut_suffix,
    split_budget,
    suffix_cap,
)
from daima.completion.prompt import parse_tree
from daima.completion.tokens import _BEFORE_COLUMN_ZERO
from daima.text import TextDocument

DATA = json.loads((Path(__file__).parents[1] / "data" / "budget" / "cases.json").read_text("utf-8"))
SOURCES = DATA["sources"]


def _document(name: str) -> tuple[TextDocument, int, Boundaries]:
    source = SOURCES[name]
    language = name.removesuffix("_suffix")
    offset = source.index("▮")
    document = TextDocument("file:///t", source.replace("▮", ""), language_id=language)
    return document, offset, Boundaries(document, parse_tree(document, language))


@pytest.mark.parametrize("case", DATA["split"], ids=[str(i) for i in range(len(DATA["split"]))])
def test_split(case: dict) -> None:
    prefix, suffix, context = case["needs"]
    split = split_budget(
        case["total"],
        suffix_share=case["suffix_share"],
        context_share=case["context_share"],
        need_prefix=prefix,
        need_suffix=suffix,
        need_context=context,
    )
    assert [split.prefix, split.suffix, split.context] == case["expected"]
    assert split.prefix + split.suffix + split.context <= max(case["total"], 0)


def check_prefix_cut(engine, source: str, budget: int, first_line: int) -> None:
    document, offset, bounds = _document(source)
    counter = TokenCounter(engine.tokenize)
    start = cut_prefix(document, offset, budget, counter, bounds)
    assert document.line_of(start) == first_line and start == document.line_start(first_line)
    assert len(engine.tokenize(document.text[start:offset])) <= budget


@pytest.mark.parametrize("case", DATA["prefix"], ids=[case["name"] for case in DATA["prefix"]])
def test_prefix_cut(qwen_engine, case: dict) -> None:
    check_prefix_cut(qwen_engine, case["source"], case["budget"], case["first_line"])


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_budget_fits_and_cuts_at_a_safe_line_start(qwen_engine, name: str) -> None:
    document, offset, bounds = _document(name)
    counter = TokenCounter(qwen_engine.tokenize)
    whole_prefix = len(qwen_engine.tokenize(document.text[:offset]))
    whole_suffix = len(qwen_engine.tokenize(document.text[offset:]))
    head = document.text[document.line_start(document.line_of(offset)) : offset]
    for budget in range(len(qwen_engine.tokenize(head)), whole_prefix + 2):
        start = cut_prefix(document, offset, budget, counter, bounds)
        assert len(qwen_engine.tokenize(document.text[start:offset])) <= budget
        assert start == document.line_start(document.line_of(start))
        assert bounds.rate(document.line_of(start)) >= SAFE, (budget, start)
    for budget in range(1, whole_suffix + 2):
        end = cut_suffix(document, offset, budget, counter, bounds)
        assert len(qwen_engine.tokenize(document.text[offset:end])) <= budget
        if end not in (offset, len(document.text)) and end > document.line_start(
            document.line_of(offset) + 1
        ):
            assert end == document.line_start(document.line_of(end))
            assert bounds.rate(document.line_of(end)) >= SAFE, (budget, end)


def test_suffix_never_ends_inside_a_string(qwen_engine) -> None:
    document, offset, bounds = _document("python_suffix")
    counter = TokenCounter(qwen_engine.tokenize)
    string_lines = {4, 5, 6}  # the lines inside 文本 = """..."""
    ends = {document.line_of(cut_suffix(document, offset, b, counter, bounds)) for b in range(1, 60)}
    assert not ends & string_lines
    assert {3, 8} & ends  # it does stop before the string and before the function


@pytest.mark.parametrize(
    ("line", "budget", "between_words"),
    [
        ("值 = [" + ", ".join(f"项目{i}" for i in range(3000)), 50, True),
        ("x = " + " + ".join("变量_😀_" + str(i) for i in range(2000)), 37, True),
        # One 10,000-character word (a Chinese string): cutting inside it beats keeping nothing.
        ("s = '" + "中文字符串" * 2000, 20, False),
    ],
)
def test_one_huge_line_is_cut_between_words(qwen_engine, line: str, budget: int, between_words: bool) -> None:
    document = TextDocument("file:///t", line + "\n")
    counter = TokenCounter(qwen_engine.tokenize)
    start = cut_prefix(document, len(line), budget, counter, Boundaries(document))
    kept = line[start:]
    assert 0 < len(qwen_engine.tokenize(kept)) <= budget
    before, first = line[start - 1], line[start]
    if between_words:
        assert not (before.isalnum() or before == "_") or not (first.isalnum() or first == "_"), (
            before,
            first,
        )
    end = cut_suffix(document, 0, budget, counter, Boundaries(document))
    assert 0 < len(qwen_engine.tokenize(line[:end])) <= budget


def test_ten_thousand_lines_cost_only_the_kept_lines(qwen_engine) -> None:
    lines = [f"def 函数_{i}(参数):\n    return 参数 + {i}  # 注释 🎉\n" for i in range(5000)]
    document = TextDocument("file:///big.py", "".join(lines))
    assert document.line_count > 10_000
    offset = document.line_start(7000)
    counter = TokenCounter(qwen_engine.tokenize)
    bounds = Boundaries(document, parse_tree(document, "python"))
    began = time.perf_counter()
    start = cut_prefix(document, offset, 1500, counter, bounds)
    end = cut_suffix(document, offset, 500, counter, bounds)
    first = time.perf_counter() - began
    kept_lines = (
        document.line_of(offset) - document.line_of(start) + document.line_of(end) - document.line_of(offset)
    )
    assert counter.calls <= kept_lines + 4  # one tokenizer call per kept line, not per file line
    calls = counter.calls
    began = time.perf_counter()
    assert cut_prefix(document, offset, 1500, counter, bounds) == start  # the next keystroke: all cached
    assert counter.calls == calls
    again = time.perf_counter() - began
    assert first < 1.0 and again < 0.1, (first, again)


@pytest.mark.parametrize(
    "text",
    [
        SOURCES["python"],
        SOURCES["javascript"],
        "<|fim_prefix|>def 加法(a, b):\r\n    return a + b\r\n\r\n<|fim_suffix|>\n  \n\t# 😀\n<|fim_middle|>",
        "<|repo_name|>仓库\n<|file_sep|>商店/价格.py\nclass 商品:\n    ...\n"
        "<|file_sep|>主.py\n<|fim_prefix|>x = 1",
        "   \n\n\n  x\n\n   y = '多行\n字符串'\n):\n\n\n",
    ],
)
def test_prompt_ids_from_cached_pieces_equal_the_whole_tokenization(qwen_engine, text: str) -> None:
    counter = TokenCounter(qwen_engine.tokenize)
    specials = qwen_engine.info.special_tokens
    assert counter.exact(text, specials) == qwen_engine.tokenize(text)  # first time: checked whole
    assert counter.exact(text, specials) == qwen_engine.tokenize(text)  # then: from the pieces
    calls = counter.calls
    assert counter.exact(text + "z", specials) == qwen_engine.tokenize(text + "z")
    assert counter.calls - calls <= 1  # only the changed last piece is tokenized again


def test_pieces_are_not_used_when_the_tokenizer_merges_across_lines() -> None:
    # A tokenizer that glues a line break to the indentation after it (as GPT-2's pre-tokenizer does):
    # splitting before indented lines would change its ids, so only column-0 lines are split.
    def glue(text: str) -> list[int]:
        return [ord(c) for c in re.sub("\n[ \t]+", "\x00", text)]

    counter = TokenCounter(glue)
    text = "def f():\n    return 1\n\nx = 2\n    y\n"
    assert counter.exact(text) == glue(text)
    assert counter.exact(text) == glue(text)
    assert counter._splitter() is _BEFORE_COLUMN_ZERO


def test_a_large_file_parsed_only_around_the_window_rates_lines_like_a_full_parse() -> None:
    from daima.completion.mode import decide_mode
    from daima.completion.prompt import WINDOW_PARSE_LINES

    block = (
        'class 类_{0}:\n    """文档 🎉\n\n    第二行\n    """\n\n'
        "    def 方法(self, 参数):\n        return 参数 + {0}\n\n\n"
    )
    source = "".join(block.format(i) for i in range(WINDOW_PARSE_LINES // 5))
    document = TextDocument("file:///big.py", source, language_id="python")
    assert document.line_count > WINDOW_PARSE_LINES
    start, end = document.line_start(1200), document.line_start(1400)
    full = Boundaries(document, parse_tree(document, "python"))
    window = Boundaries(document, parse_tree(document, "python", window=(start, end)))
    for line in range(1200, 1400):
        assert window.rate(line) == full.rate(line), (line, document.line_text(line))
    for offset in (document.line_start(1306), document.line_end(1306), document.line_end(1300)):
        assert decide_mode(document, offset, language_id="python", tree=parse_tree(document, "python")) == (
            decide_mode(
                document,
                offset,
                language_id="python",
                tree=parse_tree(document, "python", window=(start, end)),
            )
        )


@pytest.mark.parametrize(
    ("rate", "deadline_ms", "share", "expected"),
    [
        (200.0, 2000, 0.1, 40),  # a 2-core CPU: 40 tokens of suffix is 0.2 s a keystroke
        (20000.0, 2000, 0.1, 4000),  # a GPU: larger than any suffix share, so no change
        (50.0, 2000, 0.1, MIN_SUFFIX_TOKENS),  # never under the floor
        (None, 2000, 0.1, None),  # nothing measured yet
        (200.0, 0, 0.1, None),  # no deadline (daima complete, evals without limits)
        (200.0, 2000, 0.0, None),  # the cap turned off
    ],
)
def test_suffix_cap_follows_the_measured_prefill_speed(
    rate: float | None, deadline_ms: int, share: float, expected: int | None
) -> None:
    assert suffix_cap(rate, deadline_ms, share) == expected
