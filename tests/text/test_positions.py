"""Position round trips across encodings, and incremental edits against a plain string."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daima.text import Position, PositionEncoding, PositionError, Range, TextDocument

# Pieces that break naive offset code: CJK (BMP and extension B), emoji with modifiers and ZWJ,
# combining marks, and all three line endings.
PIECES = [
    "a",
    "Z",
    "_",
    " ",
    "\t",
    "(",
    ")",
    "def ",
    "x = 1",
    "计算",
    "总价",
    "商品列表",
    "𠀀",
    "𪚥",
    "😀",
    "👍🏽",
    "👨\u200d👩\u200d👧",
    "🇨🇳",
    "e\u0301",
    "\u0308",
    "\n",
    "\r\n",
    "\r",
]
texts = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)
encodings = st.sampled_from(list(PositionEncoding))


def units(text: str, encoding: PositionEncoding) -> int:
    """Reference count of code units, written independently of daima.text."""
    if encoding is PositionEncoding.UTF8:
        return len(text.encode("utf-8"))
    if encoding is PositionEncoding.UTF16:
        return len(text.encode("utf-16-le")) // 2
    return len(text)


def reference_position(text: str, offset: int, encoding: PositionEncoding) -> Position:
    head = text[:offset]
    # Split on the three LSP line endings, CRLF first.
    lines = head.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return Position(len(lines) - 1, units(lines[-1], encoding))


def char_boundaries(text: str) -> list[int]:
    """Offsets that are not between the CR and LF of a CRLF."""
    return [
        i for i in range(len(text) + 1) if not (0 < i < len(text) and text[i - 1] == "\r" and text[i] == "\n")
    ]


@settings(max_examples=300, deadline=None)
@given(texts, encodings, st.data())
def test_position_round_trip(text: str, encoding: PositionEncoding, data: st.DataObject) -> None:
    document = TextDocument("file:///t", text)
    offset = data.draw(st.sampled_from(char_boundaries(text)))
    position = document.position_at(offset, encoding)
    assert position == reference_position(text, offset, encoding)
    assert document.offset_at(position, encoding) == offset


@settings(max_examples=300, deadline=None)
@given(texts, st.data())
def test_bytes_and_points_round_trip(text: str, data: st.DataObject) -> None:
    document = TextDocument("file:///t", text)
    offset = data.draw(st.integers(0, len(text)))
    assert document.byte_offset(offset) == len(text[:offset].encode("utf-8"))
    assert document.offset_from_byte(document.byte_offset(offset)) == offset
    row, column = document.point_at(offset)
    if offset in char_boundaries(text):
        assert document.offset_from_point((row, column)) == offset
    assert document.source_bytes == text.encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(texts, st.data())
def test_many_bytes_map_as_one_byte_each(text: str, data: st.DataObject) -> None:
    document = TextDocument("file:///t", text)
    size = len(document.source_bytes)
    byte_offsets = sorted(data.draw(st.lists(st.integers(0, size), max_size=12)))  # may split characters
    assert document.offsets_from_bytes(byte_offsets) == [document.offset_from_byte(b) for b in byte_offsets]


def test_many_bytes_must_come_in_order() -> None:
    with pytest.raises(PositionError):
        TextDocument("file:///t", "字符串").offsets_from_bytes([6, 3])


edits = st.tuples(st.integers(0, 60), st.integers(0, 60), texts)


@settings(max_examples=200, deadline=None)
@given(texts, st.lists(edits, max_size=8), encodings)
def test_incremental_edits_equal_string_edits(
    text: str, changes: list[tuple[int, int, str]], encoding: PositionEncoding
) -> None:
    document = TextDocument("file:///t", text)
    expected = text
    for a, b, new_text in changes:
        bounds = char_boundaries(expected)
        start, end = sorted((bounds[a % len(bounds)], bounds[b % len(bounds)]))
        range_ = Range(
            reference_position(expected, start, encoding), reference_position(expected, end, encoding)
        )
        edit = document.apply_change(new_text, range_, encoding)
        expected = expected[:start] + new_text + expected[end:]
        assert document.text == expected
        assert edit.new_end_byte == len(expected[: start + len(new_text)].encode("utf-8"))
    assert document.line_count == len(expected.replace("\r\n", "\n").replace("\r", "\n").split("\n"))


def test_surrogate_pair_columns() -> None:
    document = TextDocument("file:///t", "x = '😀𠀀' # 计算\r\n总价")
    emoji = document.text.index("😀")
    after = emoji + 2
    assert document.position_at(after, PositionEncoding.UTF16) == Position(0, 9)
    assert document.position_at(after, PositionEncoding.UTF8) == Position(0, 13)
    assert document.position_at(after, PositionEncoding.UTF32) == Position(0, 7)
    # A UTF-16 column inside a surrogate pair snaps to the start of the character.
    assert document.offset_at(Position(0, 6), PositionEncoding.UTF16) == emoji
    assert document.line_text(1) == "总价"


def test_character_past_line_end_means_line_end_and_line_past_end_is_an_error() -> None:
    document = TextDocument("file:///t", "ab\r\ncd")
    assert document.offset_at(Position(0, 99)) == 2
    with pytest.raises(PositionError):
        document.offset_at(Position(5, 0))
    assert document.offset_at(Position(5, 0), strict=False) == len(document.text)


def test_line_col_for_humans_counts_characters() -> None:
    document = TextDocument("file:///t", "def 计算总价(商品):\n    return 1\n")
    assert document.offset_from_line_col(1, 5) == document.text.index("计")
    with pytest.raises(PositionError):
        document.offset_from_line_col(2, 50)


@st.composite
def edits(draw: st.DrawFn) -> tuple[str, list[tuple[float, float, str]]]:
    alphabet = st.sampled_from(["a", "计", "😀", "\r", "\n", "\r\n", " ", "é"])
    text = "".join(draw(st.lists(alphabet, max_size=40)))
    changes = draw(
        st.lists(
            st.tuples(st.floats(0, 1), st.floats(0, 1), st.lists(alphabet, max_size=6).map("".join)),
            min_size=1,
            max_size=12,
        )
    )
    return text, changes


@settings(max_examples=400, deadline=None)
@given(edits())
def test_edited_line_tables_equal_a_fresh_scan(case: tuple[str, list[tuple[float, float, str]]]) -> None:
    """Edits update the line tables of the lines they touch only; the result must equal a full scan,
    CR and LF pairing up or splitting at the edit's edges included."""
    text, changes = case
    document = TextDocument("file:///t.py", text)
    document.source_bytes  # noqa: B018 -- computed, so edits update them incrementally too
    document.byte_offset(len(text))
    snapshot = document.copy()
    for a, b, new_text in changes:
        start, end = sorted((int(a * len(document.text)), int(b * len(document.text))))
        document.replace(start, end, new_text)
        fresh = TextDocument("file:///t.py", document.text)
        assert document._line_starts == fresh._line_starts
        assert document._line_ends == fresh._line_ends
        assert document._byte_starts() == fresh._byte_starts()
        assert document.source_bytes == fresh.source_bytes
    assert snapshot.text == text and snapshot._line_starts == TextDocument("", text)._line_starts


def test_a_whole_text_change_is_applied_as_the_smallest_edit() -> None:
    """What reads the edits (the incremental index, recent edits, next edits) sees what changed."""
    document = TextDocument("file:///t", "def 计算(商品列表):\r\n    return 商品列表 😀\n")
    edit = document.apply_change("def 计算(货物列表):\r\n    return 商品列表 😀\n")
    assert (edit.start, edit.old_end, edit.new_end, edit.old_text) == (7, 9, 9, "商品")
    assert edit.start_byte == len("def 计算(".encode()) and edit.start_point == (0, edit.start_byte)
    assert document.text == "def 计算(货物列表):\r\n    return 商品列表 😀\n"
    for before, after in [("aaa", "aaaa"), ("x", ""), ("", "新"), ("同", "同")]:
        document = TextDocument("file:///t", before)
        edit = document.apply_change(after)
        assert document.text == after
        assert before[: edit.start] + after[edit.start : edit.new_end] + before[edit.old_end :] == after
