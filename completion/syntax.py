"""Splice checks with tree-sitter: does inserting a completion keep a parseable file parseable?

The baseline tree is parsed once per request; each candidate is checked with `tree.edit` and an
incremental re-parse, so trying several candidates or several cut points stays cheap.
"""

from __future__ import annotations

import ast
import importlib
import logging
from functools import cache
from pathlib import Path

import tree_sitter as ts

from daima.text import TextDocument

log = logging.getLogger(__name__)

# language id (LSP) → (grammar module, function returning the language pointer). File extensions map to
# language ids below. Kept small: the languages daima's indexer covers.
_GRAMMARS = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "javascriptreact": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "typescriptreact": ("tree_sitter_typescript", "language_tsx"),
    "java": ("tree_sitter_java", "language"),
    "go": ("tree_sitter_go", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "c": ("tree_sitter_c", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
}
_EXTENSIONS = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascriptreact",
    ".ts": "typescript",
    ".tsx": "typescriptreact",
    ".java": "java",
    ".go": "go",
    ".rs": "rust",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
}
_HASH_COMMENT = {"python", "ruby", "shellscript", "perl", "r", "yaml", "toml"}


def language_for(language_id: str, path: Path | str | None = None) -> str:
    """The language id to use: the client's, else one guessed from the file extension ("" if unknown)."""
    if language_id:
        return language_id
    if path is not None:
        return _EXTENSIONS.get(Path(path).suffix.lower(), "")
    return ""


def comment_marker(language_id: str) -> str:
    """The line comment marker, for bracket balancing ("#" or "//")."""
    return "#" if language_id in _HASH_COMMENT or not language_id else "//"


@cache
def _language(language_id: str) -> ts.Language | None:
    spec = _GRAMMARS.get(language_id)
    if spec is None:
        return None
    try:
        module = importlib.import_module(spec[0])
        return ts.Language(getattr(module, spec[1])())
    except Exception:  # a missing grammar only disables the check
        log.warning("no tree-sitter grammar for %s", language_id)
        return None


def language_for_tree(language_id: str) -> ts.Language | None:
    """The tree-sitter language for queries over trees from `parser_for` (None without a grammar)."""
    return _language(language_id)


def parser_for(language_id: str) -> ts.Parser | None:
    """A fresh parser for the language, or None when daima has no grammar for it."""
    language = _language(language_id)
    return ts.Parser(language) if language is not None else None


class SpliceChecker:
    """Checks candidates for the hole text[start:end] against the baseline parse of the document."""

    def __init__(self, text: str, start: int, end: int, language_id: str) -> None:
        self._head, self._tail = text[:start], text[end:]
        self._parser = parser_for(language_id)
        baseline = TextDocument("", self._head + self._tail)
        self._tree = self._parser.parse(baseline.source_bytes) if self._parser else None
        self._start_byte = baseline.byte_offset(start)
        self._point = baseline.point_at(start)
        self._python = language_id == "python"
        self._baseline_valid: bool | None = None
        # Splice results by completion text: the validity cut and the candidate checks ask about the
        # same text, and each answer costs an incremental parse plus Python's parse of the whole file.
        self._parsed: dict[str, bool] = {}
        self._head_tree: tuple[bytes, ts.Tree] | None = None
        self._last_splice: tuple[str, ts.Tree] | None = None

    @property
    def available(self) -> bool:
        return self._tree is not None

    @property
    def tree(self) -> ts.Tree | None:
        """The baseline tree: the document with nothing in the hole."""
        return self._tree

    @property
    def hole_byte(self) -> int:
        """The hole's UTF-8 byte offset in the baseline tree."""
        return self._start_byte

    @property
    def baseline_valid(self) -> bool:
        """True when the document with nothing inserted parses without errors."""
        if self._baseline_valid is None:
            self._baseline_valid = (
                self._tree is not None
                and not self._tree.root_node.has_error
                and self._python_ok(self._head + self._tail)
            )
        return self._baseline_valid

    def head_tree(self) -> tuple[bytes, ts.Tree] | None:
        """The text before the hole, as bytes, and its tree (None without a grammar).

        Derived from the baseline tree by deleting the text after the hole and re-parsing
        incrementally, which reuses every node before the hole: about a third of the time of a fresh
        parse of the head (4.3 against 14.7 ms on a 4,500-line file). Block mode's end check needs it."""
        if self._tree is None or self._parser is None:
            return None
        if self._head_tree is None:
            head, tail = self._head.encode("utf-8"), self._tail.encode("utf-8")
            row, column = self._point
            newlines = tail.count(b"\n")
            end_column = len(tail) - tail.rfind(b"\n") - 1 if newlines else column + len(tail)
            end_point = (row + newlines, end_column)
            tree = self._tree.copy()
            tree.edit(
                start_byte=len(head),
                old_end_byte=len(head) + len(tail),
                new_end_byte=len(head),
                start_point=self._point,
                old_end_point=end_point,
                new_end_point=self._point,
            )
            self._head_tree = head, self._parser.parse(head, tree)
        return self._head_tree

    def parses(self, completion: str) -> bool:
        """True when the document with `completion` in the hole parses without errors."""
        if self._tree is None or self._parser is None:
            return True
        if completion not in self._parsed:
            self._parsed[completion] = self._splice_parses(completion)
        return self._parsed[completion]

    def spliced_tree(self, completion: str) -> ts.Tree | None:
        """The tree of the document with `completion` in the hole (the last one is kept)."""
        if self._tree is None or self._parser is None:
            return None
        if self._last_splice is None or self._last_splice[0] != completion:
            self._splice_parses(completion)
        assert self._last_splice is not None
        return self._last_splice[1]

    def _splice_parses(self, completion: str) -> bool:
        assert self._tree is not None and self._parser is not None
        spliced = TextDocument("", self._head + completion + self._tail)
        end = len(self._head) + len(completion)
        tree = self._tree.copy()
        tree.edit(
            start_byte=self._start_byte,
            old_end_byte=self._start_byte,
            new_end_byte=spliced.byte_offset(end),
            start_point=self._point,
            old_end_point=self._point,
            new_end_point=spliced.point_at(end),
        )
        new_tree = self._parser.parse(spliced.source_bytes, tree)
        self._last_splice = completion, new_tree
        return not new_tree.root_node.has_error and self._python_ok(spliced.text)

    def _python_ok(self, source: str) -> bool:
        """Python's own parser too: tree-sitter-python accepts indentation errors (unexpected indent,
        a block opener without a body), which are most of the ways a one-line completion breaks a file."""
        if not self._python:
            return True
        try:
            ast.parse(source)
        except (SyntaxError, ValueError):
            return False
        return True

    def keeps_validity(self, completion: str) -> bool:
        """False only when the document parsed before and `completion` breaks it."""
        return not self.baseline_valid or self.parses(completion)


def longest_valid_prefix(checker: SpliceChecker, completion: str) -> str:
    """The completion, or what of it fits the file: without closing brackets at its end that the code
    after the cursor already closes (`dic = {}` above the dict's items, `f(x))` before `)`), or a
    one-line item with the comma the next item needs (`'three': 3` above `'four': 4,`), else its
    longest line-prefix that keeps a valid file valid ("" when none does)."""
    if checker.parses(completion):
        return completion
    closed = _without_extra_closers(checker, completion)
    if closed is not None:
        return closed
    separated = completion.rstrip() + ","
    if "\n" not in completion.strip() and checker.parses(separated):
        return separated  # an item of a list, dict or call with the next item below it
    if checker.keeps_validity(completion):
        return completion
    lines = completion.split("\n")
    for count in range(len(lines) - 1, 0, -1):
        candidate = "\n".join(lines[:count]).rstrip()
        if candidate.strip() and checker.parses(candidate):
            return candidate
    return ""


_CLOSERS = ")]};"  # with the statement end that follows them in C-like languages (`{};`)


def _without_extra_closers(checker: SpliceChecker, completion: str) -> str | None:
    """The completion less the fewest closing brackets at its end with which the file parses, or None."""
    text = completion.rstrip()
    while text and text[-1] in _CLOSERS:
        text = text[:-1].rstrip()
        if text.strip() and checker.parses(text):
            return text
    return None
