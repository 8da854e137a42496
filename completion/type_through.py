"""Type-through: while the user types what the shown suggestion says, show the rest of it at once.

A person who reads a suggestion often types its first characters instead of accepting it. Asking the
model again for every such key costs a prefill of the changed line and a decode, and the suggestion
flickers or goes while it runs; the rest of the shown one is already known. So the server keeps, per
document, the suggestion it last showed, and a request whose document is the shown one's with some of
the suggestion typed at the cursor (the text before and after untouched) is answered with the rest,
without a model call. Anything else (a different character, a deletion, an edit elsewhere) ends it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .pipeline import Suggestion


@dataclass(frozen=True)
class Shown:
    """A suggestion as the editor showed it: `ghost` is what accepting it puts at `cursor` in `text`,
    replacing the `replaced` characters after the cursor (a closing bracket the suggestion rewrites)."""

    text: str
    cursor: int
    ghost: str
    replaced: int
    suggestion: Suggestion

    @classmethod
    def of(cls, text: str, cursor: int, suggestion: Suggestion) -> Shown | None:
        """None when the suggestion does not keep what is typed before the cursor (it rewrites it)."""
        typed_part = text[suggestion.start : cursor]
        if suggestion.start > cursor or not suggestion.text.startswith(typed_part):
            return None
        ghost = suggestion.text[len(typed_part) :]
        return cls(text, cursor, ghost, max(0, suggestion.end - cursor), suggestion)


def continue_shown(shown: Shown, text: str, cursor: int) -> Suggestion | None:
    """The rest of `shown` for a request at `cursor` in `text`, when the user has typed its start there;
    None when the document is anything else (the model must be asked)."""
    typed = cursor - shown.cursor
    if typed <= 0 or len(text) != len(shown.text) + typed:
        return None
    if not shown.ghost.startswith(text[shown.cursor : cursor]) or len(shown.ghost) <= typed:
        return None
    rest = shown.ghost[typed:]
    if not rest.strip():
        return None
    if text[cursor:] != shown.text[shown.cursor :] or text[: shown.cursor] != shown.text[: shown.cursor]:
        return None
    return replace(
        shown.suggestion,
        text=rest,
        start=cursor,
        end=cursor + shown.replaced,
        source="type-through",
        prompt_tokens=0,
        cached_tokens=0,
        generated_tokens=0,
        candidates=0,
        time_to_first_token_s=None,
        total_s=0.0,
        alternatives=(),
    )
