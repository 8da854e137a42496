"""Token healing: back the prompt off to a token boundary before the cursor, and force the removed text.

The tokenizer would spell the text before the cursor differently if it knew what comes next: `计算总`
is `计算` + `总`, but `计算总价` is `计算` + `总价`, and `def 计` ends in a token holding half a UTF-8
character. A prompt that ends mid-token makes the model continue unnaturally (`计算总 价`). So the
prompt ends at the last token boundary before the identifier (or whitespace run, or final token) at the
cursor, and the removed text becomes `GenerationRequest.forced_prefix`: the engine constrains decoding to
reproduce it, so the model picks the natural tokens (`总价`) itself; the pipeline strips it afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

_WORD_TAIL = re.compile(r"\w+$")
_SPACE_TAIL = re.compile(r"[ \t]+$")
_TAIL_CHARS = 200  # the tokenizer only needs the end of the line to find the last boundaries
MAX_HEAL_CHARS = 48  # never force more than this (a huge identifier would make a long forced run)


@dataclass(frozen=True)
class Healing:
    """Where the prompt's prefix ends and what the model must regenerate first."""

    cut: int  # offset in the text where the prompt's prefix now ends
    forced_prefix: str  # text[cut:cursor]


def heal(
    text: str,
    cursor: int,
    tokenize: Callable[[str], list[int]],
    detokenize: Callable[[Sequence[int]], str],
) -> Healing:
    """Back `text[:cursor]` off to the last token boundary at or before the token that could merge."""
    line_start = text.rfind("\n", 0, cursor) + 1
    line_start = max(line_start, text.rfind("\r", 0, cursor) + 1)
    if cursor == line_start:
        return Healing(cursor, "")  # a line start is a boundary the model knows
    window_start = max(line_start, cursor - _TAIL_CHARS)
    tail = text[window_start:cursor]
    target = _target(tail)
    ids = tokenize(tail)
    if len(ids) <= 1:
        # One token from the line start: the line start is the boundary.
        whole = window_start == line_start and cursor - window_start <= MAX_HEAL_CHARS
        return Healing(window_start, tail) if whole else Healing(cursor, "")
    healing = _back_off(text, tail, window_start, cursor, ids, target, detokenize)
    if healing is None:
        # The word is longer than we are willing to force: heal only its last token.
        healing = _back_off(text, tail, window_start, cursor, ids, len(tail), detokenize)
    return healing or Healing(cursor, "")


def _back_off(
    text: str,
    tail: str,
    window_start: int,
    cursor: int,
    ids: list[int],
    target: int,
    detokenize: Callable[[Sequence[int]], str],
) -> Healing | None:
    """Cut at the largest token boundary at or before `target`; None when that forces too much."""
    # The largest k whose tokens ids[:k] decode cleanly to a prefix of the tail, at or before `target`.
    # Decoding a prefix that ends inside a UTF-8 character yields U+FFFD: that is not a boundary.
    for k in range(len(ids) - 1, -1, -1):
        head = detokenize(ids[:k]) if k else ""
        if len(head) <= target and tail.startswith(head) and not head.endswith("\ufffd"):
            cut = window_start + len(head)
            return Healing(cut, text[cut:cursor]) if cursor - cut <= MAX_HEAL_CHARS else None
    return None


def _target(tail: str) -> int:
    """Index in `tail` where the part that may merge with the completion starts."""
    word = _WORD_TAIL.search(tail)
    if word:
        # Include one space before the identifier: byte-level vocabularies glue it to the word (' foo').
        start = word.start()
        return start - 1 if start > 0 and tail[start - 1] == " " else start
    space = _SPACE_TAIL.search(tail)
    if space:
        return space.start()
    return len(tail)  # punctuation: the last token alone is backed off by the boundary search
