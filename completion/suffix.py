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
    """(excess closers, unclosed openers, string left open) of the line head + text + rest."""
    stack: list[str] = []
    excess, quote = _scan(head + text + rest, stack, "", comment)
    return excess, len(stack), bool(quote)


def balance_line(head: str, text: str, rest: str, *, comment: str = "#", close_open: bool = True) -> str:
    """Fit `text` between `head` (cursor line before the cursor) and `rest` (the line after it).

    Drops the tail of `text` that `rest` already has (`print("hi▮")` + `hi")` → `hi`; `if ▮:` + `x:` →
    `x`) unless keeping it balances the line better (`print(▮)` + `f(x)` stays), and, when the line
    ends at the completion, closes the brackets left open (`总和 = sum(▮` + `数字` → `数字)`).
    """
    last_line = text.rsplit("\n", 1)[-1]
    line_head = head if "\n" not in text else ""
    best, best_state = text, _badness(_state(line_head, last_line, rest, comment))
    trimmed = text.rstrip()
    for cut in range(1, len(trimmed) + 1):
        tail = trimmed[-cut:]
        if not set(tail) <= _TAIL_CHARS or "\n" in tail:
            break
        if not tail.strip() or not rest.lstrip().startswith(tail.strip()):
            continue
        candidate = trimmed[:-cut]
        state = _badness(_state(line_head, candidate.rsplit("\n", 1)[-1], rest, comment))
        if state <= best_state:
            best, best_state = candidate, state
    text = best
    if close_open and not rest.strip() and text.strip() and not text.rstrip().endswith((",", "\\")):
        stack: list[str] = []
        excess, quote = _scan(line_head + text.rsplit("\n", 1)[-1], stack, "", comment)
        if not excess and not quote and stack:
            text += "".join(_CLOSER_OF[ch] for ch in reversed(stack))
    return text


def _badness(state: tuple[int, int, bool]) -> int:
    excess, unclosed, quote = state
    return excess + unclosed + 2 * quote
