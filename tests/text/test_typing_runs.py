"""Typing runs: a document edited many times without anyone reading its whole text keeps the typed
stretch apart from the rest (`TextDocument._splice_text`) and its line tables' pending shifts apart too
(`LineTable`). Each must read exactly as a document built fresh from the same text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from daima.line_table import LineTable
from daima.text import PositionEncoding, TextDocument

ALPHABET = st.sampled_from(["a", "计", "😀", "\r", "\n", "\r\n", " ", "é"])


@st.composite
def typing(draw: st.DrawFn) -> tuple[str, list[tuple[str, float, int, str]]]:
    """A text and keystrokes: ("type", _, deleted, inserted) near the cursor, or ("jump", where, _, _)."""
    text = "".join(draw(st.lists(ALPHABET, max_size=60)))
    strokes = draw(
        st.lists(
            st.one_of(
                st.tuples(
                    st.just("type"),
                    st.just(0.0),
                    st.integers(-3, 3),
                    st.lists(ALPHABET, max_size=3).map("".join),
                ),
                st.tuples(st.just("jump"), st.floats(0, 1), st.just(0), st.just("")),
            ),
            min_size=1,
            max_size=40,
        )
    )
    return text, strokes


@settings(max_examples=300, deadline=None)
@given(typing())
def test_a_document_typed_in_reads_as_a_fresh_one(
    case: tuple[str, list[tuple[str, float, int, str]]],
) -> None:
    text, strokes = case
    document = TextDocument("file:///t.py", text)
    document.byte_offset(len(text))  # byte line starts are kept up to date too
    model, cursor = text, len(text) // 2
    for kind, where, deleted, inserted in strokes:
        if kind == "jump":
            cursor = int(where * len(model))
            continue
        start, end = (cursor + deleted, cursor) if deleted < 0 else (cursor, cursor + deleted)
        start, end = max(0, start), min(len(model), end)
        document.replace(start, end, inserted)  # nobody reads `text` in between
        model = model[:start] + inserted + model[end:]
        cursor = start + len(inserted)
        fresh = TextDocument("file:///t.py", model)
        assert document.line_count == fresh.line_count
        for line in {0, fresh.line_of(cursor), fresh.line_count - 1}:
            assert document.line_text(line) == fresh.line_text(line)
        for offset in {0, start, cursor, len(model)}:
            for encoding in PositionEncoding:
                assert document.position_at(offset, encoding) == fresh.position_at(offset, encoding)
            assert document.byte_offset(offset) == fresh.byte_offset(offset)
        assert (
            document.text_range(max(0, start - 3), min(len(model), cursor + 3))
            == model[max(0, start - 3) : min(len(model), cursor + 3)]
        )
    assert document._line_starts == TextDocument("", model)._line_starts
    assert document.text == model
    assert document.source_bytes == model.encode("utf-8", "surrogatepass")


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.integers(0, 5), max_size=30).map(lambda gaps: [sum(gaps[: i + 1]) for i in range(len(gaps))]),
    st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 3), st.integers(0, 3), st.integers(-4, 4)), max_size=25
    ),
)
def test_line_table_reads_as_the_list_it_stands_for(values: list[int], edits: list) -> None:
    table, model = LineTable(list(values)), list(values)
    for where, removed, added, delta in edits:
        keep = int(where * len(model))
        resume = min(len(model), keep + removed)
        base = model[keep - 1] if keep else 0
        middle = [base + i for i in range(added)]  # any values; ascending order is not needed here
        table = table.replaced(keep, resume, middle, delta)
        model = model[:keep] + middle + [value + delta for value in model[resume:]]
        assert table.tolist() == model and len(table) == len(model)
        assert [table[i] for i in range(-len(model), len(model))] == model + model if model else True
    assert list(table) == model
