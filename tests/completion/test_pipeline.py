"""The composed pipeline: the identifier completer without a model, and the real pipeline's contract."""

from __future__ import annotations

import pytest

from daima.completion.pipeline import Suggestion, complete
from daima.config import CompletionOptions
from daima.text import TextDocument

OPTIONS = CompletionOptions()


def _complete_words(text_with_cursor: str) -> Suggestion | None:
    offset = text_with_cursor.index("▮")
    text = text_with_cursor.replace("▮", "")
    return complete(TextDocument("file:///t.py", text), offset, engine=None, options=OPTIONS)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def 计算总价(商品列表):\n    return sum(商品列表)\n\n计算总▮", "价"),
        ("商品列表 = []\n商品数量 = 0\n商品列表.append(1)\nprint(商品▮)", "列表"),  # the more frequent one
        ("value = 1\nvalid = 2\nva▮", "lid"),  # tie on frequency: the nearer one wins
        ("emoji_😀 = 1\nemo▮", "ji_"),  # 😀 is not an identifier character: the word stops before it
        ("x = 1\n▮", None),  # nothing typed
        ("总价 = 1\n总▮价", None),  # mid-identifier
        ("price = 1\nprice▮", None),  # already complete
        ("# 注释里的词 计算总价\n计算▮", "总价"),  # lexical: words in comments count too
        ("数量2 = 1\n数▮", "量2"),
    ],
)
def test_identifier_completer(source: str, expected: str | None) -> None:
    suggestion = _complete_words(source)
    if expected is None:
        assert suggestion is None
    else:
        assert suggestion is not None
        assert (suggestion.text, suggestion.source) == (expected, "words")
        assert suggestion.start == suggestion.end == source.index("▮")


def test_identifier_completer_prefers_nearest_on_ties() -> None:
    suggestion = _complete_words("alpha_far = 1\n" + "\n" * 50 + "alpha_near = 2\nalpha▮")
    assert suggestion is not None and suggestion.text == "_near"


def test_alternatives_from_the_identifier_completer_best_first() -> None:
    text = "计算总价 = 1\n计算总价 += 2\n计算总数 = 3\n计算平均值 = 4\nx = 计算"
    document = TextDocument("file:///t.py", text)
    one = complete(document, len(text), engine=None, options=OPTIONS)
    assert one is not None and one.text == "总价" and one.alternatives == ()
    three = complete(document, len(text), engine=None, options=OPTIONS, alternatives=2)
    assert three is not None
    assert [three.text, *(a.text for a in three.alternatives)] == ["总价", "平均值", "总数"]
