"""Type-through: the rest of the shown suggestion while the user types its start, and nothing else."""

from __future__ import annotations

import pytest

from daima.completion.pipeline import Suggestion
from daima.completion.type_through import Shown, continue_shown

TEXT = "def 总价(商品):\n    \nprint(1)\n"
CURSOR = TEXT.index("\n    \n") + 5  # the blank body line, after its indentation
SHOWN = Suggestion(text="return sum(商品.values())", start=CURSOR, end=CURSOR, prompt_tokens=90)


def typed(text: str, at: int, chars: str) -> str:
    return text[:at] + chars + text[at:]


def shown() -> Shown:
    found = Shown.of(TEXT, CURSOR, SHOWN)
    assert found is not None
    return found


@pytest.mark.parametrize("chars", ["r", "ret", "return sum(商"])
def test_typing_the_start_of_the_suggestion_gives_its_rest(chars: str) -> None:
    rest = continue_shown(shown(), typed(TEXT, CURSOR, chars), CURSOR + len(chars))
    assert rest is not None
    assert rest.text == SHOWN.text[len(chars) :]
    assert (rest.start, rest.end) == (CURSOR + len(chars), CURSOR + len(chars))
    assert rest.source == "type-through" and rest.prompt_tokens == 0


@pytest.mark.parametrize(
    ("text", "cursor"),
    [
        (typed(TEXT, CURSOR, "x"), CURSOR + 1),  # a character the suggestion does not have
        (typed(TEXT, CURSOR, "return sum(商品.values())"), CURSOR + len(SHOWN.text)),  # all of it typed
        (TEXT, CURSOR),  # nothing typed: the same request again goes to the model
        (typed(TEXT, CURSOR, "re")[:-1] + "zz", CURSOR + 2),  # the text after the cursor changed too
        ("# x\n" + typed(TEXT, CURSOR, "re"), CURSOR + 6),  # an edit above the cursor
        (typed(TEXT, CURSOR, "re"), CURSOR + 1),  # the cursor is not after what was typed
    ],
)
def test_anything_else_asks_the_model(text: str, cursor: int) -> None:
    assert continue_shown(shown(), text, cursor) is None


def test_a_suggestion_that_replaces_a_closing_bracket_keeps_replacing_it() -> None:
    text = "print(\n"
    cursor = 6
    suggestion = Suggestion(text="len(items))", start=cursor, end=cursor + 1)  # rewrites the ")" after it
    text = "print()\n"
    found = Shown.of(text, cursor, suggestion)
    assert found is not None
    rest = continue_shown(found, typed(text, cursor, "len"), cursor + 3)
    assert rest is not None and rest.text == "(items))" and (rest.start, rest.end) == (cursor + 3, cursor + 4)


def test_a_suggestion_that_rewrites_the_word_before_the_cursor_keeps_what_was_typed() -> None:
    text = "x = comp\n"
    cursor = 8
    suggestion = Suggestion(text="compute(a)", start=4, end=cursor)  # starts at the word, as healing does
    found = Shown.of(text, cursor, suggestion)
    assert found is not None and found.ghost == "ute(a)"
    rest = continue_shown(found, typed(text, cursor, "ut"), cursor + 2)
    assert rest is not None and rest.text == "e(a)"
    assert Shown.of(text, cursor, Suggestion(text="other(a)", start=4, end=cursor)) is None


def test_only_whitespace_left_is_not_shown() -> None:
    found = Shown.of(TEXT, CURSOR, Suggestion(text="pass\n", start=CURSOR, end=CURSOR))
    assert found is not None
    assert continue_shown(found, typed(TEXT, CURSOR, "pass"), CURSOR + 4) is None
