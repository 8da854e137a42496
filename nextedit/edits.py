"""Proposed edits and the helpers every kind of proposal shares."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

from daima.indexer.bindings import ScopeTable, scope_table
from daima.indexer.languages import Language
from daima.text import TextDocument


@dataclass(frozen=True)
class ProposedEdit:
    """Replace text[start:end] (str offsets of the current document) with `new_text`."""

    start: int
    end: int
    new_text: str
    reason: str


@dataclass(frozen=True)
class Proposal:
    kind: str  # "rename" or "signature"
    edits: list[ProposedEdit]
    # For a rename of a name bound at the top of the module: (old, new), which other files that
    # import the name need too (elsewhere.py).
    module_rename: tuple[str, str] | None = None


def apply_edits(text: str, edits: list[ProposedEdit]) -> str:
    """`text` with `edits` (which do not overlap) applied."""
    for edit in sorted(edits, key=lambda edit: edit.start, reverse=True):
        text = text[: edit.start] + edit.new_text + text[edit.end :]
    return text


class Analysis:
    """One text parsed, its scope model (built when first asked for) and its offset conversions."""

    def __init__(self, language: Language, text: str) -> None:
        self.language = language
        self.text = text
        self.tree = language.parser.parse(text.encode("utf-8", "surrogatepass"))
        self._document = TextDocument("", text)

    @cached_property
    def table(self) -> ScopeTable | None:
        return scope_table(self.tree, self.language)

    def char(self, byte: int) -> int:
        """str offset of a UTF-8 byte offset."""
        return self._document.offset_from_byte(byte)

    def byte(self, offset: int) -> int:
        """UTF-8 byte offset of a str offset."""
        return self._document.byte_offset(offset)


@lru_cache(maxsize=8)
def analyse(language: Language, text: str) -> Analysis:
    """The analysis of `text`; the texts of one request (before the burst, now, with the edits) are
    each parsed once, whichever kind of proposal asks."""
    return Analysis(language, text)


def still_parses(before: Analysis, after: Analysis) -> bool:
    """False when `after` has syntax errors that `before` did not have."""
    return not after.tree.root_node.has_error or before.tree.root_node.has_error
