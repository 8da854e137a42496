"""Documents open in the editor: their text, tree and incremental re-parse on each edit."""

from __future__ import annotations

from dataclasses import dataclass

import tree_sitter as ts

from daima.text import TextDocument

from .languages import Language


@dataclass
class OpenDocument:
    """An editor buffer the index tracks, with the tree of its current text."""

    language: Language
    document: TextDocument
    tree: ts.Tree

    @classmethod
    def parse(cls, language: Language, uri: str, text: str) -> OpenDocument:
        document = TextDocument(uri, text)
        return cls(language, document, language.parser.parse(document.source_bytes))

    def update(self, text: str) -> bool:
        """Move to `text` with tree.edit + an incremental re-parse; False when nothing changed."""
        old = self.document.text
        if old == text:
            return False
        start, old_end, new_end = diff_span(old, text)
        edit = self.document.replace(start, old_end, text[start:new_end])
        self.tree.edit(
            start_byte=edit.start_byte,
            old_end_byte=edit.old_end_byte,
            new_end_byte=edit.new_end_byte,
            start_point=edit.start_point,
            old_end_point=edit.old_end_point,
            new_end_point=edit.new_end_point,
        )
        self.tree = self.language.parser.parse(self.document.source_bytes, self.tree)
        return True


def diff_span(old: str, new: str) -> tuple[int, int, int]:
    """(start, old_end, new_end): the one region where `old` and `new` differ (common prefix/suffix)."""
    limit = min(len(old), len(new))
    low, high = 0, limit  # binary search on slice equality: C-speed compares, O(log n) of them
    while low < high:
        middle = (low + high + 1) // 2
        if old[:middle] == new[:middle]:
            low = middle
        else:
            high = middle - 1
    start = low
    low, high = 0, limit - start
    while low < high:
        middle = (low + high + 1) // 2
        if old[len(old) - middle :] == new[len(new) - middle :]:
            low = middle
        else:
            high = middle - 1
    return start, len(old) - low, len(new) - low
