"""Open buffers answer for their paths from memory: a keystroke changes no stored row, yet every query
sees the buffer's names at once, and closing the buffer hands the path back to the disk."""

from __future__ import annotations

from collections.abc import Callable

from daima.indexer import WorkspaceIndex
from daima.text import PositionEncoding, TextDocument

FILES = {
    "shop/cart.py": "import os\n\n\ndef 旧的总价(商品):\n    return 1\n",
    "shop/util.py": "def helper():\n    return 2\n",
}


def _stored_rows(index: WorkspaceIndex, rel: str) -> list[tuple]:
    return index.store.query(
        "SELECT s.name, s.line, s.start_byte FROM symbols s JOIN files f ON f.id = s.file_id "
        "WHERE f.path = ? ORDER BY s.start_byte",
        (rel,),
    )


def test_keystrokes_change_no_stored_row_and_queries_see_the_buffer(make_index: Callable) -> None:
    index = make_index(FILES)
    index.index_all()
    path = index.root / "shop/cart.py"
    index.update_document(path, FILES["shop/cart.py"])  # didOpen: the buffer as on disk
    at_open = _stored_rows(index, "shop/cart.py")
    edited = "import json\n\n\ndef 新的总价(商品):\n    return 1\n\n\nclass 购物车:\n    pass\n"
    for end in range(1, len(edited) + 1):  # typed a character at a time
        index.update_document(path, edited[:end])
    assert _stored_rows(index, "shop/cart.py") == at_open  # no keystroke rewrote the file's rows

    assert [s.name for s in index.definitions("新的总价")] == ["新的总价"]
    assert index.definitions("旧的总价") == []  # gone from the buffer, so gone from the answers
    assert [s.name for s in index.definitions_with_prefix("新的")] == ["新的总价"]
    assert "购物车" in [s.name for s in index.search_symbols("购物")]
    assert "新的总价" in [s.name for s in index.search_symbols("")]
    assert index.importers("json") == [path]
    assert index.importers("os") == []
    assert [s.name for s in index.definitions("helper")] == ["helper"]  # other files still from the store

    index.close_document(path)  # the disk's text answers again
    assert [s.name for s in index.definitions("旧的总价")] == ["旧的总价"]
    assert index.definitions("新的总价") == []
    assert index.importers("os") == [path]


def test_buffer_never_saved_is_found_and_forgotten_on_close(make_index: Callable) -> None:
    index = make_index(FILES)
    index.index_all()
    path = index.root / "shop/draft.py"
    index.update_document(path, "def 草稿():\n    pass\n")
    index.update_document(path, "def 草稿二():\n    pass\n")
    assert [s.name for s in index.definitions("草稿二")] == ["草稿二"]
    index.close_document(path)
    assert index.definitions("草稿二") == [] and index.definitions("草稿") == []


def test_symbols_hold_their_column_in_every_encoding(make_index: Callable) -> None:
    text = 'class 外层:\n    def 方法(self): pass\n\n甲 = "😀"; 乙 = 2\ndef 𠀋函数(): pass\n'
    index = make_index({"m.py": text})
    index.index_all()

    def columns(name: str) -> tuple[int, int, int]:
        (symbol,) = index.definitions(name)
        return symbol.column, symbol.column_utf8, symbol.column_utf32

    def expected(document_text: str, name: str) -> tuple[int, int, int]:
        document = TextDocument("file:///m.py", document_text)
        offset = document_text.index(name)
        return tuple(  # type: ignore[return-value]
            document.position_at(offset, e).character
            for e in (PositionEncoding.UTF16, PositionEncoding.UTF8, PositionEncoding.UTF32)
        )

    for name in ("外层", "方法", "乙", "𠀋函数"):
        assert columns(name) == expected(text, name)
    assert columns("乙") == (10, 14, 9)
    # An open buffer's symbols: a name after the edit on the edit's own row has moved.
    path = index.root / "m.py"
    index.update_document(path, text)
    edited = text.replace('"😀"', '"😀😀"')
    index.update_document(path, edited)
    assert columns("乙") == expected(edited, "乙") == (12, 18, 10)
