"""Open documents as the editor sees them, kept in sync through didOpen/didChange/didClose.

A change that cannot be applied (a version that goes backwards, a range outside the text) is never
half-applied: the document keeps its last good text and is marked out of sync, completions for it stop,
and the server asks the client for the full text. A full-text change or a re-open brings it back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from daima.text import AppliedEdit, PositionEncoding, PositionError, Range, TextDocument

log = logging.getLogger(__name__)

# Documents larger than this are kept (so edits stay in sync) but never completed or indexed.
MAX_COMPLETION_CHARS = 4_000_000


@dataclass(frozen=True, slots=True)
class ContentChange:
    """One LSP content change: `range_` None means the whole text."""

    text: str
    range_: Range | None = None


class DocumentError(Exception):
    """A change or request that does not fit the document; the message says why."""


class DocumentStore:
    """The open documents, by URI."""

    def __init__(self) -> None:
        self._documents: dict[str, TextDocument] = {}
        self._out_of_sync: set[str] = set()

    def open(self, uri: str, text: str, version: int, language_id: str) -> TextDocument:
        document = TextDocument(uri, text, version, language_id)
        self._documents[uri] = document
        self._out_of_sync.discard(uri)
        return document

    def close(self, uri: str) -> None:
        self._documents.pop(uri, None)
        self._out_of_sync.discard(uri)

    def get(self, uri: str) -> TextDocument | None:
        return self._documents.get(uri)

    def mark_out_of_sync(self, uri: str) -> bool:
        """A change for `uri` was lost (its params did not decode); True when the document is open."""
        if uri not in self._documents:
            return False
        self._out_of_sync.add(uri)
        return True

    def is_in_sync(self, uri: str) -> bool:
        return uri in self._documents and uri not in self._out_of_sync

    def __contains__(self, uri: str) -> bool:
        return uri in self._documents

    def __len__(self) -> int:
        return len(self._documents)

    def change(
        self,
        uri: str,
        version: int,
        changes: Sequence[ContentChange],
        encoding: PositionEncoding,
    ) -> list[AppliedEdit]:
        """Apply `changes` in order, all or nothing; on failure raise `DocumentError`, mark it out of sync."""
        document = self._documents.get(uri)
        if document is None:
            raise DocumentError(f"didChange for {uri}, which is not open")
        full_text_at = max((i for i, c in enumerate(changes) if c.range_ is None), default=-1)
        if uri in self._out_of_sync:
            if full_text_at < 0:
                raise DocumentError(f"{uri} is out of sync; waiting for its full text")
            # The full text the server asked for: whatever its version, it is what the editor shows.
        elif document.version is not None and version <= document.version:
            # The client's text and ours have parted (a lost or repeated change): completing on ours
            # would write into text the editor no longer has.
            self._out_of_sync.add(uri)
            raise DocumentError(
                f"didChange for {uri} has version {version}, not newer than {document.version}; "
                "out of sync until its full text arrives"
            )
        working = document.copy()
        edits = []
        try:
            for change in changes:
                edits.append(working.apply_change(change.text, change.range_, encoding))
        except PositionError as error:
            self._out_of_sync.add(uri)
            raise DocumentError(f"{uri} is out of sync: {error}") from error
        working.version = version
        self._documents[uri] = working
        self._out_of_sync.discard(uri)
        return edits

    def snapshot(self, uri: str) -> TextDocument | None:
        """A copy that later edits do not touch, for work that runs off the event loop."""
        document = self._documents.get(uri)
        if document is None or uri in self._out_of_sync:
            return None
        return document.copy()
