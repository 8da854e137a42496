"""Single line or block: what kind of completion fits the cursor, decided from the syntax tree.

- Text after the cursor on its line, or a cursor inside an expression (call arguments, a list, a
  string), asks for the rest of one line.
- A cursor at the end of a block opener (`def f():`, `{`), or on a blank line right under one, asks
  for a block, capped at `max_lines`; so does a blank line at the end of a block. Under an opener whose
  body already has code (`return 总价` below) the block is what goes before that code: the
  post-processor stops where the completion repeats it or would leave the block early.
- Any other blank line (between two statements of a body) asks for one line.
Per-language data (block opener patterns, expression node types) is in `modes.json`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from daima.text import TextDocument

LINE, BLOCK = "line", "block"
_CLOSERS = (")", "]", "}", "end", "fi", "done", "esac")


@dataclass(frozen=True)
class Mode:
    """The completion shape: `kind` is "line" or "block"; `reason` says which rule decided it."""

    kind: str
    max_lines: int
    reason: str


@dataclass(frozen=True)
class _LanguageRules:
    opener: re.Pattern[str]
    expression_nodes: frozenset[str]


@cache
def _rules(language_id: str) -> _LanguageRules:
    raw = json.loads(resources.files("daima.completion").joinpath("modes.json").read_text("utf-8"))
    entry = raw.get(language_id) or raw["default"]
    return _LanguageRules(re.compile(entry["openers"]), frozenset(entry["expression_nodes"]))


def decide_mode(
    document: TextDocument, offset: int, *, language_id: str = "", tree: Any = None, max_lines: int = 8
) -> Mode:
    """Decide single-line or block completion at `offset`."""
    rules = _rules(language_id)
    line = document.line_of(offset)
    line_start, line_end = document.line_start(line), document.line_end(line)
    before = document.text[line_start:offset]
    after = document.text[offset:line_end]
    if after.strip():
        return Mode(LINE, 1, "text after the cursor")
    expression = _enclosing_expression(document, offset, tree, rules)
    if expression:
        return Mode(LINE, 1, f"inside {expression}")
    if before.strip():
        code = _without_comment(document, line, offset, tree, before)
        if _opens_block(rules, code):
            return Mode(BLOCK, max(1, max_lines), "end of a block opener")
        return Mode(LINE, 1, "end of a line")
    above = _nearest_code_line(document, line, -1)
    below = _nearest_code_line(document, line, +1)
    cursor_indent = _indent(before)
    if above is not None:
        text = document.line_text(above)
        code = _without_comment(document, above, document.line_end(above), tree, text)
        if _opens_block(rules, code):
            if below is None or _indent(document.line_text(below)) <= _indent(text):
                return Mode(BLOCK, max(1, max_lines), "empty body of a block opener")
            return Mode(BLOCK, max(1, max_lines), "first line of a body")
    if below is None:
        return Mode(BLOCK, max(1, max_lines), "end of the file")
    below_text = document.line_text(below)
    if _indent(below_text) < cursor_indent or below_text.strip().startswith(_CLOSERS):
        return Mode(BLOCK, max(1, max_lines), "end of a block")
    return Mode(LINE, 1, "blank line inside a body")


def _opens_block(rules: _LanguageRules, code: str) -> bool:
    """The line ends in a block opener that is not inside an open bracket (`a[1:` is a slice)."""
    match = rules.opener.search(code)
    return match is not None and _bracket_depth(code[: match.start()]) <= 0


def _bracket_depth(code: str) -> int:
    """Open brackets minus closed ones, outside string literals (a rough scan of one line)."""
    depth, quote, escaped = 0, "", False
    for char in code:
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'`":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
    return depth


def _indent(text: str) -> int:
    expanded = text.expandtabs(4)
    return len(expanded) - len(expanded.lstrip())


def _nearest_code_line(document: TextDocument, line: int, step: int) -> int | None:
    probe = line + step
    while 0 <= probe < document.line_count:
        if document.line_text(probe).strip():
            return probe
        probe += step
    return None


def _enclosing_expression(document: TextDocument, offset: int, tree: Any, rules: _LanguageRules) -> str:
    """Type of the expression node strictly around the cursor ('' when none or no tree)."""
    if tree is None:
        return ""
    byte = document.byte_offset(offset)
    node = tree.root_node.descendant_for_byte_range(byte, byte)
    while node is not None:
        # Strictly inside: the cursor right after `)` is not inside the call any more.
        if node.type in rules.expression_nodes and node.start_byte < byte < node.end_byte:
            return str(node.type)
        node = node.parent
    return ""


def _without_comment(document: TextDocument, line: int, end: int, tree: Any, text: str) -> str:
    """The line's code before `end`, without a trailing comment (found with the tree when there is one)."""
    stripped = text.rstrip()
    if tree is None or not stripped:
        return stripped
    last = document.line_start(line) + len(stripped) - 1
    byte = document.byte_offset(last)
    node = tree.root_node.descendant_for_byte_range(byte, byte)
    while node is not None and "comment" not in node.type and node.parent is not None:
        if node.start_byte < document.byte_offset(document.line_start(line)):
            break
        node = node.parent
    if node is not None and "comment" in node.type:
        start = document.offset_from_byte(node.start_byte)
        return document.text[document.line_start(line) : max(start, document.line_start(line))].rstrip()
    return stripped
