"""No name the English reading made up ever reaches the user: not in a suggestion, not in a partial.

The reading shows the model `total_price` for 总价; a model that then writes `total`, or `商品.price` for
the field 单价, wrote a name that maps back to nothing the user has. The property test plays a model that
writes any mix of the reading's names, words of them, the document's own names and code, cut off at any
point (as a deadline cuts it), and checks every text the pipeline hands out.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scripted import ScriptedModel

from daima.completion.names import PYTHON_BUILTINS
from daima.completion.pipeline import complete
from daima.completion.readings import english_reading
from daima.config import CompletionOptions
from daima.text import TextDocument

REPO = Path(__file__).resolve().parents[2]
NAMES = ["总价", "单价", "数量", "商品列表", "最大值", "结果", "名称", "用户", "订单", "折扣"]
WORD = re.compile(r"(?<!\w)[A-Za-z_][A-Za-z0-9_]*")
BUILTIN_ATTRIBUTES = PYTHON_BUILTINS | {
    name for kind in (str, bytes, list, dict, set, tuple, int, float, object) for name in dir(kind)
}


def document(names: list[str]) -> tuple[str, int]:
    a, b, c, d = names
    text = (
        f"class 商品:\n    {a}: str\n    {b}: float\n\n\n"
        f"def 计算({c}, discount=0.0):\n    \n    return {d} * (1 - discount)\n"
    )
    return text, text.index("    \n") + 4


def made_up(text: str, alias_words: set[str], own: set[str]) -> list[str]:
    """The test's own oracle: ASCII names built only from the reading's words that the user never wrote."""
    found = []
    for word in WORD.findall(text):
        parts = [part for part in word.lower().split("_") if part]
        if word in own or word in BUILTIN_ATTRIBUTES or not parts:
            continue
        if all(part in alias_words for part in parts):
            found.append(word)
    return found


@st.composite
def case(draw: st.DrawFn) -> tuple[str, int, list[str], int | None]:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=4, max_size=4, unique=True))
    text, cursor = document(names)
    reading = english_reading(TextDocument("file:///t.py", text), cursor, "python")
    assert reading is not None
    aliases = sorted(reading.aliases.values())
    words = sorted({word for alias in aliases for word in alias.split("_") if word})
    piece = st.one_of(
        st.sampled_from(aliases),
        st.sampled_from(words),  # one word of a name: `total` for `total_price`
        st.builds(lambda x, y: f"{x}_{y}", st.sampled_from(words), st.sampled_from(words)),
        st.builds(lambda x, y: f"{x}.{y}", st.sampled_from(aliases), st.sampled_from(words)),  # attributes
        st.sampled_from(["discount", "sum", "len", "range", "x", "i", "0", "1.5", "item"]),
        st.sampled_from([" = ", " + ", " * ", "(", ")", ", ", ".", "\n    ", " for ", " in ", "return "]),
    )
    answers = [
        "".join(draw(st.lists(piece, min_size=1, max_size=12))) + draw(st.sampled_from(["\n", "", "\n\n"]))
        for _ in range(3)
    ]
    cut = draw(st.none() | st.integers(min_value=0, max_value=40))
    return text, cursor, answers, cut


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case())
def test_no_made_up_name_reaches_the_user(example: tuple[str, int, list[str], int | None]) -> None:
    text, cursor, answers, cut = example
    document_ = TextDocument("file:///t.py", text, language_id="python")
    reading = english_reading(document_, cursor, "python")
    assert reading is not None
    alias_words = {word for alias in reading.aliases.values() for word in alias.lower().split("_") if word}
    own = set(WORD.findall(text))
    partials: list[str] = []
    suggestion = complete(
        document_, cursor, engine=ScriptedModel(answers, cut), on_partial=partials.append,
        options=CompletionOptions(max_time_ms=0, extra_candidates=2), language_id="python",
    )  # fmt: skip
    shown = [*partials, *([suggestion.text] if suggestion is not None else [])]
    for text_shown in shown:
        assert not made_up(text_shown, alias_words, own), (text_shown, answers, cut)
        assert not any(alias in WORD.findall(text_shown) for alias in reading.aliases.values()), text_shown


def test_made_up_names_are_found_in_code_only() -> None:
    text, cursor = document(["名称", "单价", "商品列表", "总价"])
    reading = english_reading(TextDocument("file:///t.py", text), cursor, "python")
    assert reading is not None
    total, price = reading.aliases["总价"], reading.aliases["单价"]
    first = total.split("_")[0]
    last = price.split("_")[-1]
    answer = f"{first} = x.{last} + {total}  # {first} in a comment\nlabel = '{first}'\n"
    assert reading.made_up_names(answer) == [first, last]
    assert reading.made_up_names(f"{total}.items() + len({price})") == []
    assert reading.made_up_names(first, known=frozenset({first})) == []  # the index knows it


@pytest.mark.slow
@pytest.mark.parametrize("deadline_ms", [100, 150, 250, 500, 1000, 2000, 0])
def test_the_real_model_at_the_readme_position(real_engine: Any, deadline_ms: int) -> None:
    """The README demo's hole, where the 0.5B once wrote `total` for 总价 and `商品.price` for 单价."""
    path = REPO / "examples" / "购物车.py"
    text = path.read_text(encoding="utf-8")
    document_ = TextDocument(path.as_uri(), text, language_id="python")
    cursor = document_.offset_from_line_col(14, 5)
    reading = english_reading(document_, cursor, "python")
    assert reading is not None
    alias_words = {word for alias in reading.aliases.values() for word in alias.lower().split("_") if word}
    partials: list[str] = []
    suggestion = complete(
        document_, cursor, engine=real_engine, path=path, on_partial=partials.append, language_id="python",
        options=CompletionOptions(max_time_ms=deadline_ms),
    )  # fmt: skip
    shown = [*partials, *([suggestion.text] if suggestion is not None else [])]
    own = set(WORD.findall(text))
    for text_shown in shown:
        assert not made_up(text_shown, alias_words, own), (deadline_ms, text_shown)
    if suggestion is not None:  # whole lines only, whatever the deadline
        assert suggestion.text.strip() and not suggestion.text.rstrip().endswith(("=", "(", ".", ","))
