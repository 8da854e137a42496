"""The identifier completer: completes the identifier at the cursor without a model.

Used when no engine is loaded (model "none", still loading, or failed to load), and by the server's
end-to-end tests because it is deterministic. Candidates are the identifiers of the document (Chinese
ones included: `str.isidentifier` rules, so `计算总价` is one identifier) plus names the workspace index
knows; the most frequent wins, then the one nearest the cursor, then the shortest.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from daima.indexer.api import CodeIndex
from daima.text import TextDocument

log = logging.getLogger(__name__)

# An identifier in the Unicode sense Python uses: a letter or underscore, then letters, digits, underscores.
IDENTIFIER = re.compile(r"[^\W\d]\w*")
_WORD_CHAR = re.compile(r"\w")


@dataclass(frozen=True)
class WordCompletion:
    """The rest of an identifier to insert at the cursor."""

    text: str
    candidate: str  # the whole identifier it completes to


def identifier_before(text: str, offset: int) -> str:
    """The part of an identifier that ends at `offset` ("" when the cursor is not after one)."""
    start = offset
    while start > 0 and _WORD_CHAR.match(text[start - 1]):
        start -= 1
    word = text[start:offset]
    # Digits cannot start an identifier: `x1` is fine, `12` is a number, not a word to complete.
    match = IDENTIFIER.search(word)
    return word[match.start() :] if match and match.end() == len(word) else ""


def complete_words(
    document: TextDocument,
    offset: int,
    *,
    index: CodeIndex | None = None,
    path: Path | None = None,
    extra_names: Iterable[str] = (),
    limit: int = 1,
) -> list[WordCompletion]:
    """Up to `limit` completions of the identifier that ends at `offset`, best first."""
    text = document.text
    prefix = identifier_before(text, offset)
    if not prefix:
        return []
    if offset < len(text) and _WORD_CHAR.match(text[offset]):
        return []  # mid-identifier: whatever we add would glue onto the word after the cursor
    counts: dict[str, int] = {}
    nearest: dict[str, int] = {}
    for match in IDENTIFIER.finditer(text):
        name = match.group()
        if match.end() == offset or not name.startswith(prefix) or len(name) == len(prefix):
            continue  # the partial word under the cursor is not a candidate for itself
        counts[name] = counts.get(name, 0) + 1
        distance = min(abs(match.start() - offset), abs(match.end() - offset))
        nearest[name] = min(nearest.get(name, distance), distance)
    far = len(text) + 1
    for name in [*extra_names, *_index_names(index, prefix, path)]:
        if name.startswith(prefix) and len(name) > len(prefix) and name.isidentifier():
            counts.setdefault(name, 0)
            nearest.setdefault(name, far)
    ranked = sorted(counts, key=lambda name: (-counts[name], nearest[name], len(name), name))
    return [WordCompletion(text=name[len(prefix) :], candidate=name) for name in ranked[:limit]]


def _index_names(index: CodeIndex | None, prefix: str, path: Path | None) -> list[str]:
    """Names the workspace index knows that start with `prefix`; never raises (the index is optional)."""
    if index is None:
        return []
    try:
        return [symbol.name for symbol in index.definitions_with_prefix(prefix)]
    except Exception:
        log.exception("index lookup for identifier completion failed")
        return []
