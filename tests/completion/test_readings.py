"""The English reading of Chinese identifiers (data-driven, tests/data/readings/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daima.completion.readings import MAX_BYTES, Reading, english_reading
from daima.text import TextDocument

DATA = Path(__file__).parent.parent / "data" / "readings" / "python.json"
CASES = json.loads(DATA.read_text("utf-8"))["cases"]


def _reading(document: str) -> tuple[str, int, Reading | None]:
    cursor = document.index("▮")
    text = document.replace("▮", "")
    return text, cursor, english_reading(TextDocument("file:///t.py", text), cursor, "python")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_english_reading(case: dict[str, object]) -> None:
    _text, cursor, reading = _reading(str(case["document"]))
    if case["reading"] is None:
        assert reading is None
        return
    assert reading is not None
    shown = reading.reading_offset(cursor)
    assert reading.text[:shown] + "▮" + reading.text[shown:] == case["reading"]
    assert reading.aliases == case["aliases"]
    assert reading.native_offset(shown) == cursor


@pytest.mark.parametrize("case", [c for c in CASES if c["reading"] is not None], ids=lambda c: c["name"])
def test_every_offset_maps_back_and_shared_text_agrees(case: dict[str, object]) -> None:
    text, _cursor, reading = _reading(str(case["document"]))
    assert reading is not None
    for native in range(len(text) + 1):
        shown = reading.reading_offset(native)
        back = reading.native_offset(shown)
        assert back <= native  # inside a renamed name: its start
        if back == native and native < len(text) and text[native] != reading.text[shown]:
            assert any(reading.text.startswith(alias, shown) for alias in reading.aliases.values())


def test_inside_a_renamed_name_offsets_map_to_its_start() -> None:
    _text, _, reading = _reading("字符串 = 1\n▮")
    assert reading is not None and reading.text.startswith("string = 1")
    assert [reading.native_offset(i) for i in range(7)] == [0, 0, 0, 0, 0, 0, 3]
    assert reading.reading_offset(1) == reading.reading_offset(2) == 0


def test_answers_map_back_to_the_documents_names() -> None:
    _, _, reading = _reading('字符串 = ""\n字典 = {}\n列表 = []\n▮')
    assert reading is not None
    answer = "for ch in string:\n    dictionary[ch] = list_"
    assert reading.to_native(answer) == "for ch in 字符串:\n    字典[ch] = 列表"
    assert reading.to_native("stringify(string_value)") == "stringify(string_value)"  # whole words only
    assert reading.to_reading("字典.get(字符串)") == "dictionary.get(string)"


@pytest.mark.parametrize(
    ("answer", "native"),
    [
        ('print(string, "string")  # the string', 'print(字符串, "string")  # the string'),
        ('f"{string}: {dictionary[string]}"', 'f"{字符串}: {字典[字符串]}"'),  # interpolations are code
        ("'it\\'s a string' + string", "'it\\'s a string' + 字符串"),  # an escaped quote does not end it
        ('"""a string\nstring""" + string', '"""a string\nstring""" + 字符串'),
        ("x = 'string\ny = string", "x = 'string\ny = 字符串"),  # an unclosed quote ends with its line
    ],
)
def test_only_code_gets_the_names_back(answer: str, native: str) -> None:
    _, _, reading = _reading('字符串 = ""\n字典 = {}\n▮')
    assert reading is not None
    assert reading.to_native(answer) == native


def test_a_streamed_partial_holds_back_a_word_that_may_still_be_a_name() -> None:
    _, _, reading = _reading('字符串 = ""\n字典 = {}\n▮')
    assert reading is not None
    assert reading.stable_partial("for ch in str") == "for ch in "
    assert reading.stable_partial("for ch in string") == "for ch in "  # may still become string_x
    assert reading.stable_partial("for ch in string:") == "for ch in 字符串:"
    assert reading.stable_partial("x = 1") == "x = 1"


def test_no_grammar_no_reading() -> None:
    assert english_reading(TextDocument("file:///t.txt", "字符串 = 1\n"), 0, "plaintext") is None


def test_a_file_past_the_size_cap_is_completed_in_its_own_names() -> None:
    line = "字符串 = 1\n"
    under = line * (MAX_BYTES // len(line.encode("utf-8")))
    assert english_reading(TextDocument("file:///t.py", under), len(under), "python") is not None
    over = under + line * 2
    assert english_reading(TextDocument("file:///t.py", over), len(over), "python") is None
