"""Keep a completion from repeating what already follows the cursor, and balance it against that."""

from __future__ import annotations

from .blocks import BRACKETS

_CLOSERS = set(BRACKETS)
_OPENER_OF = BRACKETS
_CLOSER_OF = {v: k for k, v in BRACKETS.items()}
_TAIL_CHARS = set(")]}\"'`:;, ")
_TRIVIAL = {"", "}", ")", "]", "pass", "else:", "return", "break", "continue", "end", "});", "};"}


def next_suffix_lines(suffix_lines: list[str], count: int) -> list[str]:
    """The first `count` non-blank lines after the cursor line, stripped."""
    found = []
    for line in suffix_lines:
        if line.strip():
            found.append(line.strip())
            if len(found) == count:
                break
    return found


def repeats_suffix(line: str, suffix_lines: list[str]) -> bool:
    """True when `line` is already there after the cursor (the next non-blank line, or one of the next
    three when the line is long enough not to match by chance)."""
    stripped = line.strip()
    if not stripped:
        return False
    upcoming = next_suffix_lines(suffix_lines, 3)
    if upcoming and stripped == upcoming[0]:
        return True
    return len(stripped) >= 12 and stripped in upcoming[1:]


def repeat_start(lines: list[str], line: str) -> int | None:
    """Where to cut `lines` when `line` repeats the line or block just before it (None: no repetition)."""
    stripped = line.strip()
    if not stripped:
        return None
    body = [item.strip() for item in lines]
    if body and stripped == body[-1] and stripped not in _TRIVIAL:
        return len(lines)
    candidate = [*body, stripped]
    for size in (2, 3, 4):
        repeated = len(candidate) >= 2 * size and candidate[-size:] == candidate[-2 * size : -size]
        if repeated and any(item not in _TRIVIAL for item in candidate[-size:]):
            return len(candidate) - size
    return None


def is_duplicate_of_suffix(text: str, suffix: str) -> bool:
    """True when inserting `text` would only repeat what follows the cursor."""
    stripped = text.strip()
    return bool(stripped) and suffix.lstrip().startswith(stripped)


def _scan(text: str, stack: list[str], quote: str, comment: str) -> tuple[int, str]:
    """Advance a bracket stack and string state over `text`; returns (excess closers, open quote)."""
    excess = 0
    index = 0
    while index < len(text):
        ch = text[index]
        if quote:
            if ch == "\\":
                index += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif comment and text.startswith(comment, index):
            break
        elif ch in _CLOSER_OF:
            stack.append(ch)
        elif ch in _CLOSERS:
            if stack and stack[-1] == _OPENER_OF[ch]:
                stack.pop()
            else:
                excess += 1
        index += 1
    return excess, quote


def _state(head: str, text: str, rest: str, comment: str) -> tuple[int, int, bool]:
    """(excess closers, unclosed openers after `head`, string left open) for head + text + rest."""
    stack: list[str] = []
    _, quote = _scan(head, stack, "", comment)
    base = len(stack)
    excess, quote = _scan(text + rest, stack, quote, comment)
    return excess, max(0, len(stack) - base), bool(quote)


def balance_line(head: str, text: str, rest: str, *, comment: str = "#", close_open: bool = True) -> str:
    """Fit `text` between `head` (cursor line before the cursor) and `rest` (the line after it).

    Drops the tail of `text` that `rest` already has when keeping it would leave a closer or quote too
    many (`print("hi▮")` + `hi")` → `hi`), and closes brackets the completion opened and left open when
    the line was balanced without it (`x = f(a, b` → `x = f(a, b)`).
    """
    before = _state(head, "", rest, comment)
    current = _state(head, text, rest, comment)
    if current[0] > before[0] or (current[2] and not before[2]):
        trimmed = text.rstrip()
        for cut in range(1, len(trimmed) + 1):
            tail = trimmed[-cut:]
            if not set(tail) <= _TAIL_CHARS:
                break
            if not rest.lstrip().startswith(tail.strip()):
                continue
            candidate = trimmed[:-cut]
            state = _state(head, candidate, rest, comment)
            if state[0] <= before[0] and (not state[2] or before[2]):
                text, current = candidate, state
                break
    if close_open and current[0] <= before[0] and not current[2] and current[1] > before[1]:
        stack: list[str] = []
        _scan(head, stack, "", comment)
        base = len(stack)
        _scan(text + rest, stack, "", comment)
        if not rest.strip():
            text += "".join(_CLOSER_OF[ch] for ch in reversed(stack[base:]))
    return text
