"""Proposed edits and the helpers every kind of proposal shares."""

from __future__ import annotations

from dataclasses import dataclass

import tree_sitter as ts

from daima.indexer.languages import Language


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


def apply_edits(text: str, edits: list[ProposedEdit]) -> str:
    """`text` with `edits` (which do not overlap) applied."""
    for edit in sorted(edits, key=lambda edit: edit.start, reverse=True):
        text = text[: edit.start] + edit.new_text + text[edit.end :]
    return text


def parse(language: Language, text: str) -> ts.Tree:
    return language.parser.parse(text.encode("utf-8", "surrogatepass"))


def char_offset(data: bytes, byte: int) -> int:
    """str offset of a UTF-8 byte offset into `data`."""
    return len(data[:byte].decode("utf-8", "surrogatepass"))


def byte_offset(text: str, offset: int) -> int:
    return len(text[:offset].encode("utf-8", "surrogatepass"))


def still_parses(language: Language, before: str, after: str) -> bool:
    """False when `after` has syntax errors that `before` did not have."""
    return not parse(language, after).root_node.has_error or parse(language, before).root_node.has_error
