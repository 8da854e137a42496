"""Do the names a completion reads exist, and are they bound where it reads them? Rules over the scope
model (indexer/bindings.py), the one owner of scopes and bindings.

Both tables cover a window of the file: the outermost function around the hole (or, outside any
function, the top-level statements at the hole) and the candidate's own lines. Everything a read there
can name lies in the window, or is bound at module level: those names are kept apart, once for the
rest of the file (cached while only the window changes, as when typing in one function), since a
whole 4,500-line module's table costs ~80 ms on a 2-core machine and a function's a few.

Once per keystroke (`name_scope`): the document's scope table with the hole empty, and what a read may
name besides the bindings of the code around it: the language's builtins or its environments' globals
(script_globals.json), the names the workspace index sees at the cursor, and the names the document
binds at module level (functions and classes defined below the cursor included).

Per candidate (`candidate_reads`): the scope table of the spliced tree. A read the candidate makes is

- *unresolved* when nothing binds its name where it is read: an English name where the parameter is
  Chinese, another function's local, a comprehension's variable after the comprehension;
- *read before bound* when its function binds the name but no binding holds yet where it is read:
  a local first assigned below the cursor, `答案 = 答案 + 列表` on a new name, `for m in range(2, m)`,
  `count += 1` on a module's counter (UnboundLocalError when the line runs). It is unresolved too when
  nothing outside the function binds the name either.

Attribute names and keyword argument names are no reads (the locals queries ignore them), nor are type
names (TypeScript's lib types are declared where no index looks) or identifiers inside a part the
grammar recovered from (a cut-off JavaScript fragment). Languages without a locals query report nothing.
"""

from __future__ import annotations

import builtins
import hashlib
import keyword
import logging
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import tree_sitter as ts

from daima.indexer.api import CodeIndex
from daima.indexer.bindings import Binding, Occurrence, ScopeTable, scope_table, scopes_around
from daima.indexer.languages import Language, language_for_id
from daima.text import TextDocument, utf8_length

from .script_names import script_globals
from .syntax import SpliceChecker

log = logging.getLogger(__name__)

# A module's own globals that no statement binds (`__file__`) count as builtins.
_MODULE_GLOBALS = frozenset({"__file__", "__builtins__", "__path__", "__cached__", "__annotations__"})
PYTHON_BUILTINS = (
    frozenset(dir(builtins)) | frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | _MODULE_GLOBALS
)
IDENTIFIER_TYPES = {"identifier", "type_identifier", "field_identifier", "property_identifier"}
_WORD = re.compile(r"\s*([^\W\d]\w*)")
# Scopes whose names hold for any read in them, whatever the order: a module's and a class's names are
# looked up when the code runs (a function defined below is there by then), a comprehension's variable
# is bound before its element expression runs.
_ORDER_FREE = frozenset({"module", "class", "comprehension"})


@dataclass(frozen=True)
class NameScope:
    """What the name rules know at the cursor, built once per keystroke."""

    language: Language | None
    table: ScopeTable | None  # the document's, with the hole empty
    known: frozenset[str]  # builtins or globals, the index's names, the document's module-level names
    unlisted: bool = False  # the document binds names it does not list (`from m import *`)


@dataclass(frozen=True)
class NameReads:
    """What one candidate reads and binds, from its cursor line's start to its end."""

    unresolved: tuple[str, ...] = ()
    read_before_bound: tuple[str, ...] = ()
    reads: frozenset[str] = frozenset()
    binds: frozenset[str] = frozenset()


def name_scope(
    checker: SpliceChecker, language_id: str, indexed: set[str] | frozenset[str] = frozenset()
) -> NameScope:
    """The scope table of the document around the hole and the names known besides its bindings."""
    language = language_for_id(language_id)
    tree = checker.tree
    if language is None or tree is None:
        return NameScope(None, None, frozenset())
    hole = checker.hole_byte
    window = _window(tree, language, hole, hole)
    table = scope_table(tree, language, window)
    known = set(indexed) | environment_names(language_id)
    unlisted = False
    if table is not None:
        outside, unlisted = _MODULE_NAMES.outside(tree, language, window)
        known |= outside
        known.update(binding.name for binding in table.bindings if binding.scope_kind == "module")
        unlisted = unlisted or table.binds_unlisted
    return NameScope(language, table, frozenset(known), unlisted)


def environment_names(language_id: str) -> frozenset[str]:
    """Names a language's code may read without binding them: Python's builtins, the globals of
    JavaScript environments."""
    if language_id == "python":
        return PYTHON_BUILTINS
    language = language_for_id(language_id)
    if language is not None and language.script:
        return script_globals()
    return frozenset()


def candidate_table(
    scope: NameScope, checker: SpliceChecker, completion: str, line_before: str = ""
) -> ScopeTable | None:
    """The scope table of the document with `completion` in the hole, over the window around it and
    its cursor line (None without a tree or a locals query)."""
    if scope.language is None or scope.table is None or not completion.strip():
        return None
    tree = checker.spliced_tree(completion)
    if tree is None:
        return None
    start = checker.hole_byte - utf8_length(line_before)
    end = checker.hole_byte + utf8_length(completion)
    return scope_table(tree, scope.language, _window(tree, scope.language, start, end))


def candidate_reads(
    scope: NameScope,
    checker: SpliceChecker,
    completion: str,
    line_before: str = "",
    table: ScopeTable | None = None,
) -> NameReads:
    """The names `completion` (in the hole; `line_before`: the cursor line before it) reads and binds,
    and which of its reads name nothing, or a local not bound yet. `table`: `candidate_table`'s, when
    the caller has it."""
    table = table or candidate_table(scope, checker, completion, line_before)
    if table is None:
        return NameReads()
    start = checker.hole_byte
    end = start + utf8_length(completion)
    line_start = start - utf8_length(line_before)
    unresolved: list[str] = []
    early: list[str] = []
    reads: set[str] = set()
    binds: set[str] = set()
    for name, binding, occurrence in table.in_span(line_start, end):
        if occurrence.kind == "definition":
            binds.add(name)
        if not is_read(occurrence):
            continue
        reads.add(name)
        if occurrence.end_byte <= start or occurrence.unsure:
            continue  # before the cursor: the user's own text
        if binding is None:
            if name not in scope.known:
                unresolved.append(name)
        elif not _holds(table, binding, occurrence):
            # Bound later in its function: an UnboundLocalError when the name exists outside it too.
            exists = table.outside(binding) is not None or name in scope.known
            (early if exists else unresolved).append(name)
    return NameReads(
        tuple(dict.fromkeys(unresolved)),
        tuple(dict.fromkeys(early)),
        frozenset(reads),
        frozenset(binds),
    )


def is_read(occurrence: Occurrence) -> bool:
    """A read of the name's value: a reference, `{x}`, or a definition that reads it first (`n += 1`)."""
    if occurrence.namespace:
        return False
    return occurrence.kind in ("reference", "shorthand") or occurrence.reads_too


def _holds(table: ScopeTable, binding: Binding, read: Occurrence) -> bool:
    """True when `binding` is bound where `read` reads it: in a scope whose names hold in any order,
    from a function that runs later, or after a definition that holds before the read."""
    if binding.scope_kind in _ORDER_FREE or table.runs_later(read, binding):
        return True
    return any(d.holds_from <= read.start_byte and d is not read for d in binding.definitions)


def _window(tree: ts.Tree, language: Language, start: int, end: int) -> tuple[int, int]:
    """The bytes the tables cover for code at start:end: the outermost function around `start` and
    start:end itself; outside any function, the top-level statements that overlap start:end."""
    functions = [span for span, kind in scopes_around(tree, language, start) if kind == "function"]
    if functions:
        return min(functions[0][0], start), max(functions[0][1], end)
    low, high = start, end
    for child in tree.root_node.children:
        if child.end_byte >= start and child.start_byte <= end:
            low, high = min(low, child.start_byte), max(high, child.end_byte)
    return low, high


class _ModuleNamesOutside:
    """The names a document binds at module level outside a window (and whether it also binds names it
    does not list, with a star import), kept for the last few documents:
    while the user types inside one function, the rest of the file is the same text, and its names are
    not looked up again."""

    SIZE = 8

    def __init__(self) -> None:
        self._names: OrderedDict[tuple[str, bytes], tuple[frozenset[str], bool]] = OrderedDict()
        self._lock = threading.Lock()

    def outside(
        self, tree: ts.Tree, language: Language, window: tuple[int, int]
    ) -> tuple[frozenset[str], bool]:
        source = tree.root_node.text or b""
        rest = hashlib.blake2b(source[: window[0]], digest_size=16)
        rest.update(b"\0" + source[window[1] :])
        key = (language.name, rest.digest())
        with self._lock:
            if key in self._names:
                self._names.move_to_end(key)
                return self._names[key]
        table = scope_table(tree, language, references=False)
        unlisted = table is not None and table.binds_unlisted
        if unlisted:  # `from tkinter import *`: the names the rest of the file reads unbound come from it
            table = scope_table(tree, language)
        names = {
            binding.name
            for binding in (table.bindings if table is not None else ())
            if binding.scope_kind == "module"
            and any(not window[0] <= o.start_byte < window[1] for o in binding.definitions)
        }
        if unlisted and table is not None:
            names.update(
                name
                for name, occurrences in table.free.items()
                if any(not window[0] <= o.start_byte < window[1] for o in occurrences)
            )
        found = frozenset(names), unlisted
        with self._lock:
            self._names[key] = found
            while len(self._names) > self.SIZE:
                self._names.popitem(last=False)
        return found


_MODULE_NAMES = _ModuleNamesOutside()


def first_word(code: str) -> str:
    """The first identifier or keyword of a fragment ("" when it starts with something else)."""
    match = _WORD.match(code)
    return match.group(1) if match else ""


def index_names(index: CodeIndex | None, path: Path | None, text: str, offset: int) -> set[str]:
    """Names the index says are visible at the cursor (enclosing scopes, imports); never raises."""
    if index is None or path is None:
        return set()
    try:
        symbols = index.visible_names(path, text, TextDocument("", text).byte_offset(offset))
        return {symbol.name for symbol in symbols}
    except Exception as error:  # the document's own names still reach the checks
        log.warning(
            "the index could not list the names visible in %s (%s); checking against the file alone",
            path,
            error,
        )
        log.debug("index lookup of visible names failed", exc_info=True)
        return set()
