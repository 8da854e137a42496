"""Where a block-mode completion ends: by indentation, and by a closing bracket that ends its block."""

from __future__ import annotations

import re

BRACKETS = {")": "(", "]": "[", "}": "{"}
_OPENERS = "([{"
_CONTINUATION = re.compile(r"^\s*(?:elif\b|else\b|except\b|finally\b|case\b|catch\b|[)\]}])")
_STRING = re.compile(r"'(?:\\.|[^'\\\n])*'?|\"(?:\\.|[^\"\\\n])*\"?")


def line_indent(line: str) -> int:
    """Width of a line's leading whitespace (tabs as 4 columns)."""
    expanded = line.expandtabs(4)
    return len(expanded) - len(expanded.lstrip(" "))


def opens_block(line: str) -> bool:
    """A line that ends with a block opener (`:` in Python, `{` or an open bracket elsewhere)."""
    stripped = _STRING.sub("''", line).split("#", 1)[0].rstrip()
    return stripped.endswith((":", "{", "(", "[", "=>"))


def bracket_depth(text: str, comment: str = "#") -> int:
    """Open minus close brackets in `text`, outside string literals and comments (line-oriented)."""
    depth = 0
    for line in text.split("\n"):
        for ch in _STRING.sub("''", line).split(comment, 1)[0]:
            if ch in _OPENERS:
                depth += 1
            elif ch in BRACKETS:
                depth -= 1
    return depth


def leaves_block(
    cursor_line: str, first_line: str, completion_so_far: str, line: str, comment: str = "#"
) -> bool:
    """True when `line` (a later line of the completion) is outside the block the completion started in.

    The block is the one the cursor is in: a line indented less than the cursor line leaves it. When the
    cursor line opens a block (`def f():▮`), the completion writes its body, so a line back at the
    opener's indentation leaves it too, unless it continues the statement (`else:`, `except`, a closer).
    """
    if not line.strip() or bracket_depth(cursor_line + completion_so_far, comment) > 0:
        return False  # blank lines, and lines inside an open bracket, may be indented anyhow
    indent = line_indent(line)
    if not cursor_line.strip():
        return indent < line_indent(cursor_line)
    base = line_indent(cursor_line)
    if opens_block(cursor_line + first_line):
        return indent < base or (indent == base and not _CONTINUATION.match(line))
    return indent < base


def closes_block(cursor_line: str, completion_so_far: str, comment: str = "#") -> bool:
    """True when the completion closed the bracket block it started in (more closers than openers).

    Only when the completion starts a line or follows an opening bracket: after `x = f(a▮` a `)` ends an
    expression, not a block.
    """
    if cursor_line.strip() and not cursor_line.rstrip().endswith(tuple(_OPENERS)):
        return False
    return bracket_depth(completion_so_far, comment) < 0
