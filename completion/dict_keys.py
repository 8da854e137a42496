"""Does a completion write a dict entry whose key the same dict literal already has? (Python.)

The later entry silently replaces the earlier one, so the completion adds nothing and the entry the
line was for is missing: in a table of number words the 0.5B model writes `'zero': 0,` again where
`'three': 3,` is missing. Keys are compared as
written (`'零'` and `"零"` differ, which only makes the check miss, never misfire).
"""

from __future__ import annotations

from functools import cache

import tree_sitter as ts

from .syntax import language_for_tree


def duplicate_keys(tree: ts.Tree | None, start_byte: int, end_byte: int) -> list[str]:
    """Keys of the entries the completion in [start_byte, end_byte) writes that their dict literal
    already has elsewhere, as written; [] when none."""
    query = _pairs_query()
    if tree is None or query is None:
        return []
    cursor = ts.QueryCursor(query)
    cursor.set_byte_range(start_byte, max(end_byte, start_byte + 1))
    duplicates = []
    for pair in cursor.captures(tree.root_node).get("pair", ()):
        key, dictionary = pair.child_by_field_name("key"), pair.parent
        if key is None or dictionary is None or not start_byte <= pair.start_byte < end_byte:
            continue
        written = _text(key)
        others = (
            _text(other.child_by_field_name("key"))
            for other in dictionary.named_children
            if other.type == "pair" and other.id != pair.id and other.child_by_field_name("key") is not None
        )
        if written in others and written not in duplicates:
            duplicates.append(written)
    return duplicates


def _text(node: ts.Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""


@cache
def _pairs_query() -> ts.Query | None:
    language = language_for_tree("python")
    return ts.Query(language, "(dictionary (pair) @pair)") if language else None
