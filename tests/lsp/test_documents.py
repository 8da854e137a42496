"""The document store: changes apply in order, all or nothing; bad changes leave the last good text."""

from __future__ import annotations

import pytest

from daima.lsp.documents import ContentChange, DocumentError, DocumentStore
from daima.text import Position, PositionEncoding, Range

U16 = PositionEncoding.UTF16


def r(l1: int, c1: int, l2: int, c2: int) -> Range:
    return Range(Position(l1, c1), Position(l2, c2))


def test_ranged_changes_apply_in_order() -> None:
    store = DocumentStore()
    store.open("u", "def 计算(x):\r\n    pass\r\n", 1, "python")
    store.change(
        "u", 2, [ContentChange("总价", r(0, 6, 0, 6)), ContentChange("return x", r(1, 4, 1, 8))], U16
    )
    assert store.get("u").text == "def 计算总价(x):\r\n    return x\r\n"
    assert store.get("u").version == 2


def test_out_of_range_change_keeps_text_and_marks_out_of_sync_until_full_text() -> None:
    store = DocumentStore()
    store.open("u", "a😀b", 1, "python")
    with pytest.raises(DocumentError, match="out of sync"):
        store.change("u", 2, [ContentChange("x", r(0, 0, 0, 1)), ContentChange("y", r(7, 0, 7, 0))], U16)
    assert store.get("u").text == "a😀b"
    assert store.snapshot("u") is None
    with pytest.raises(DocumentError, match="waiting for its full text"):
        store.change("u", 3, [ContentChange("z", r(0, 0, 0, 0))], U16)
    store.change("u", 4, [ContentChange("fresh")], U16)
    assert store.snapshot("u").text == "fresh"


def test_an_old_version_marks_the_document_out_of_sync_until_its_full_text() -> None:
    store = DocumentStore()
    store.open("u", "abc", 5, "python")
    with pytest.raises(DocumentError, match="not newer"):
        store.change("u", 5, [ContentChange("x", r(0, 0, 0, 0))], U16)
    assert store.get("u").text == "abc"
    assert store.snapshot("u") is None  # no completion on text the editor may no longer have
    with pytest.raises(DocumentError, match="waiting for its full text"):
        store.change("u", 6, [ContentChange("y", r(0, 0, 0, 0))], U16)
    store.change("u", 5, [ContentChange("xabc")], U16)  # the resync's full text, at the client's version
    assert store.snapshot("u").text == "xabc"


def test_a_lost_change_marks_the_document_out_of_sync() -> None:
    store = DocumentStore()
    store.open("u", "abc", 1, "python")
    assert store.mark_out_of_sync("u") and not store.mark_out_of_sync("not-open")
    assert store.snapshot("u") is None


def test_change_to_unopened_document_is_an_error() -> None:
    with pytest.raises(DocumentError, match="not open"):
        DocumentStore().change("nope", 1, [ContentChange("x")], U16)


def test_snapshot_is_independent_of_later_edits() -> None:
    store = DocumentStore()
    store.open("u", "商品", 1, "python")
    snapshot = store.snapshot("u")
    store.change("u", 2, [ContentChange("列表", r(0, 2, 0, 2))], U16)
    assert snapshot.text == "商品" and store.get("u").text == "商品列表"
