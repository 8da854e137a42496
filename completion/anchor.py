"""Where a document's prompt starts, kept from one keystroke to the next so the KV cache keeps hitting.

The prompt's prefix is the longest run of whole lines before the cursor that fits its budget. Cut
afresh at every keystroke, its first line moves whenever the user adds a line (the window slides down
by one line), so every token after the cross-file context changes and the whole prompt is prefilled
again: seconds on a CPU. With an anchor the prefix keeps starting at the same line while it still fits,
and only the text from the edit on is new. When it no longer fits, the new cut leaves `HEADROOM` of the
budget free, so the lines typed next fit under the new anchor too.

The cross-file context, which comes before the prefix, is part of the anchor for the same reason: it is
gathered from the names near the cursor, so typing a new name would change it and, with it, every token
after it. It is kept as it was while the anchor holds and gathered afresh when the prefix is cut afresh
(the user went on for a fifth of the budget, or went elsewhere). So is the suffix's cap, which comes
from the engine's measured speed: that moves a little with every prefill, and the suffix's end with it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from .templates import Snippet

HEADROOM = 0.2  # of the prefix budget, left free by a fresh cut while anchors are kept
_PROBE = 80  # characters of the anchor's line kept to check that it still stands where it stood


@dataclass(frozen=True)
class PrefixAnchor:
    offset: int  # the prefix's first character (a line start) in the document
    probe: str  # the text from there, as it was
    snippets: tuple[Snippet, ...] = ()  # the cross-file context the prompt had, in prompt order
    suffix_cap: int | None = None  # the suffix cap the prompt had (prompt.SectionTokens.suffix_cap)

    def holds_in(self, text: str, cursor: int) -> bool:
        """The anchored line is still at `offset` (nothing before it changed) and before the cursor."""
        return (
            0 <= self.offset <= cursor
            and (self.offset == 0 or text[self.offset - 1 : self.offset] == "\n")
            and text.startswith(self.probe, self.offset)
        )


class PrefixAnchors:
    """The anchor of each open document (the server keeps one of these; thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._anchors: dict[str, PrefixAnchor] = {}

    def hint(self, uri: str, text: str, cursor: int) -> PrefixAnchor | None:
        """The document's anchor for a prompt at `cursor`, if it still holds."""
        with self._lock:
            anchor = self._anchors.get(uri)
        return anchor if anchor is not None and anchor.holds_in(text, cursor) else None

    def remember(
        self, uri: str, text: str, start: int, snippets: Sequence[Snippet], suffix_cap: int | None = None
    ) -> None:
        with self._lock:
            self._anchors[uri] = PrefixAnchor(
                start, text[start : start + _PROBE], tuple(snippets), suffix_cap
            )

    def forget(self, uri: str) -> None:
        with self._lock:
            self._anchors.pop(uri, None)
