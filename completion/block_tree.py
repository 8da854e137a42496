"""Where a block-mode completion ends, by the syntax tree: the first line past the block it started in.

The block is found in the tree of the prefix plus the completion so far: the innermost body or bracket
node that opened before the cursor and is still open at it (block_nodes.json), widened to the construct
that owns it (the `if`, the function, the call), so `else:` and `} catch {` continue it. A line that
starts after that construct's end leaves the block; a line inside it does not, even when indented less
(the `}` that closes a function at the end of a file).

The tree answers only when it is sure: a blank or comment line, an ERROR node or a MISSING node before
the end of the text (a MISSING closer at the end is fine: the block is still open), or a language
without a grammar returns None and the caller falls back to indentation (blocks.py).
Parsing is incremental: the prefix is parsed once per hole and each new line re-parses only its edit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import tree_sitter as ts

from daima.indexer.languages import language_for_id, line_comment
from daima.text import utf8_length

from .syntax import parser_for

_DATA = Path(__file__).with_name("block_nodes.json")


@dataclass(frozen=True)
class _Kinds:
    bodies: frozenset[str]
    statements: frozenset[str]
    roots: frozenset[str]


@cache
def _kinds(language: str) -> _Kinds | None:
    table = json.loads(_DATA.read_text(encoding="utf-8"))
    known = language_for_id(language)
    entry = table.get(known.table_key if known is not None else language)
    if entry is None:
        return None
    return _Kinds(frozenset(entry["bodies"]), frozenset(entry["statements"]), frozenset(entry["roots"]))


@lru_cache(maxsize=4)
def _prefix_tree(prefix: str, language: str) -> tuple[bytes, ts.Tree] | None:
    """The prefix's bytes and tree, shared by every candidate for the same hole."""
    parser = parser_for(language)
    if parser is None:
        return None
    data = prefix.encode("utf-8")
    return data, parser.parse(data)


PrefixTree = Callable[[], tuple[bytes, ts.Tree] | None]


class BlockTree:
    """Answers "does this line leave the block the completion started in?" from the syntax tree.

    `prefix_tree`, when given, supplies the prefix's bytes and tree (the pipeline derives it from the
    tree its splice checker already has, `SpliceChecker.head_tree`); otherwise the prefix is parsed."""

    def __init__(self, prefix: str, language: str, prefix_tree: PrefixTree | None = None) -> None:
        self._kinds = _kinds(language)
        self._language = language
        self._prefix = prefix
        self._comment = line_comment(language)
        self._prefix_tree = prefix_tree or (lambda: _prefix_tree(prefix, language))

    @property
    def available(self) -> bool:
        return self._kinds is not None and self._prefix_tree() is not None

    def leaves(self, so_far: str, line: str) -> bool | None:
        """True when `line`, following the completion text `so_far`, starts past the block the
        completion started in; False when it is inside; None when the tree cannot tell."""
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "//", "/*", "*")) or self._kinds is None:
            return None
        base = self._prefix_tree()
        parser = parser_for(self._language)
        if base is None or parser is None:
            return None
        prefix_bytes, prefix_tree = base
        head = (so_far + "\n").encode("utf-8")
        added = head + line.encode("utf-8")
        tree = _extend(parser, prefix_tree, prefix_bytes, added)
        cursor = len(prefix_bytes)
        if _guessed(tree.root_node, len(prefix_bytes) + len(added)):
            return None  # error recovery decided where blocks end: do not trust it
        block = self._block_at(tree, cursor)
        if block is None:
            return None
        indent = len(line) - len(line.lstrip())
        line_start = cursor + len(head) + utf8_length(line[:indent])
        return line_start >= block.end_byte

    def _block_at(self, tree: ts.Tree, cursor: int) -> ts.Node | None:
        """The construct that owns the innermost body open at `cursor` (None at the top level)."""
        assert self._kinds is not None
        node: ts.Node | None = tree.root_node.descendant_for_byte_range(cursor, cursor)
        while node is not None:
            if node.type in self._kinds.roots:
                return None
            open_here = node.start_byte < cursor < node.end_byte
            if open_here and node.type in self._kinds.statements:
                return node
            if open_here and node.type in self._kinds.bodies:
                owner = node.parent
                if owner is None or owner.type in self._kinds.roots:
                    return node
                return owner
            node = node.parent
        return None


def _guessed(node: ts.Node, end: int) -> bool:
    """True when the tree has an ERROR node, or a MISSING node before the end of the text.

    A MISSING closer at the very end is a block that is still open, which is what a completion in
    progress looks like; anything else means error recovery chose the structure. Follows only
    children that contain errors, so a clean tree costs nothing."""
    if not node.has_error:
        return False
    if node.is_error or (node.is_missing and node.start_byte < end):
        return True
    return any(_guessed(child, end) for child in node.children if child.has_error)


def _extend(parser: ts.Parser, base: ts.Tree, base_bytes: bytes, added: bytes) -> ts.Tree:
    """The tree of base_bytes + added, re-parsed incrementally from a copy of the base tree."""
    tree = base.copy()
    end = len(base_bytes)
    point = _end_point(base_bytes)
    tree.edit(
        start_byte=end,
        old_end_byte=end,
        new_end_byte=end + len(added),
        start_point=point,
        old_end_point=point,
        new_end_point=_end_point(base_bytes + added),
    )
    return parser.parse(base_bytes + added, tree)


def _end_point(data: bytes) -> tuple[int, int]:
    row = data.count(b"\n")
    return row, len(data) - (data.rfind(b"\n") + 1)
