"""Do the names a completion reads exist? Resolution against what is visible at the cursor.

Visible names are the identifiers of the document around the hole (parameters, locals, enclosing
scopes, imports: tree-sitter identifier nodes, so words inside strings and comments do not count;
in Python without the insides of scopes that closed before the cursor: another function's locals, a
comprehension's or a lambda's variables), the language's builtins, and names the workspace index
knows. The completion's own bindings (assignment targets, loop variables, `as` names, lambda and
comprehension variables) count as visible too.
Attributes (`x.name`) and keyword arguments (`f(name=1)`) are not reads of a variable and are skipped.
Python (its tokens, here) and JavaScript/TypeScript (their trees, script_names.py) are checked; other
languages report nothing unresolved.
"""

from __future__ import annotations

import builtins
import io
import keyword
import logging
import re
import tokenize
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import tree_sitter as ts

from daima.text import TextDocument

from .script_names import SCRIPT_LANGUAGES, script_globals, script_reads
from .syntax import parser_for

log = logging.getLogger(__name__)

PYTHON_BUILTINS = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)
IDENTIFIER_TYPES = {"identifier", "type_identifier", "field_identifier", "property_identifier"}
PYTHON_SCOPES = frozenset(
    {
        "function_definition",
        "class_definition",
        "lambda",
        "list_comprehension",
        "set_comprehension",
        "dictionary_comprehension",
        "generator_expression",
    }
)
_WORD = re.compile(r"\s*([^\W\d]\w*)")


def in_nested_scope(node: ts.Node, outer: ts.Node, scopes: frozenset[str] = PYTHON_SCOPES) -> bool:
    """True when one of `scopes` lies between `node` and its ancestor `outer`: the node then belongs to
    that inner scope, not to `outer`."""
    parent = node.parent
    while parent is not None and parent.id != outer.id:
        if parent.type in scopes:
            return True
        parent = parent.parent
    return False


def document_names(text: str, language_id: str) -> set[str]:
    """Identifiers that occur as code (not strings or comments) in `text`."""
    parser = parser_for(language_id)
    if parser is None:
        return set()
    tree = parser.parse(text.encode("utf-8", "surrogatepass"))
    names: set[str] = set()
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type in IDENTIFIER_TYPES and node.text is not None:
            names.add(node.text.decode("utf-8", "replace"))
        stack.extend(node.children)
    return names


def visible_names(
    text: str,
    start: int,
    end: int,
    language_id: str,
    *,
    indexed: Iterable[str] = (),
    tree: ts.Tree | None = None,
) -> set[str]:
    """Names a completion in the hole text[start:end] may read; `indexed`: what the index adds
    (`index_names`, asked once per request by the caller); `tree`: the document's tree with the hole
    empty, when the caller has it (Python)."""
    # Before the cursor every name counts, except in Python the names of scopes the cursor is not in
    # (another function's locals, a comprehension's or lambda's variables); after it only module-level
    # ones (later functions, classes, globals): a local first assigned below the hole does not exist
    # yet where the completion reads it.
    if language_id == "python" and start == end:
        names = _python_names_before(text, start, tree)
    else:
        names = document_names(text[:start], language_id)
    names |= document_names(_module_level(text[end:]), language_id)
    if language_id == "python":
        names |= PYTHON_BUILTINS
    elif language_id in SCRIPT_LANGUAGES:
        names |= script_globals()
    names.update(indexed)
    return names


def _python_names_before(text: str, offset: int, tree: ts.Tree | None) -> set[str]:
    """Identifiers before the hole, leaving out scopes that closed before it (their names stay)."""
    document = TextDocument("", text)
    if tree is None:
        parser = parser_for("python")
        if parser is None:
            return set()
        tree = parser.parse(document.source_bytes)
    source = document.source_bytes
    hole = document.byte_offset(offset)
    column = hole - (source.rfind(b"\n", 0, hole) + 1)
    names: set[str] = set()
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.start_byte >= hole:
            continue
        if node.type in PYTHON_SCOPES and _closed_before(node, hole, column, source):
            name = node.child_by_field_name("name")
            if name is not None and name.text is not None:
                names.add(name.text.decode("utf-8", "replace"))  # `def f` binds f outside f
            continue
        if node.type in IDENTIFIER_TYPES and node.end_byte <= hole and node.text is not None:
            names.add(node.text.decode("utf-8", "replace"))
        stack.extend(node.children)
    return names


def _closed_before(scope: ts.Node, hole: int, column: int, source: bytes) -> bool:
    """True when the cursor is not in `scope` and its names cannot be seen from the cursor.

    A def or class whose last statement is above the cursor still holds it when only blank and comment
    lines come between and the cursor is indented deeper than the header. A scope with a parse error,
    or a comprehension with `:=` (which binds in the enclosing scope), is never left out."""
    if scope.has_error or scope.start_byte < hole <= scope.end_byte:
        return False
    if scope.type in ("function_definition", "class_definition"):
        between = source[scope.end_byte : hole].decode("utf-8", "replace")
        if all(not line.strip() or line.lstrip().startswith("#") for line in between.split("\n")):
            return column <= scope.start_point[1]
        return True
    return scope.text is None or b":=" not in scope.text


def _module_level(code: str) -> str:
    """The unindented lines of `code` (definitions' headers and module-level statements)."""
    return "\n".join(line for line in code.split("\n") if line[:1] not in (" ", "\t"))


def unresolved_names(
    completion: str, visible: Iterable[str], language_id: str, *, line_before: str = "", line_after: str = ""
) -> list[str]:
    """Names `completion` reads that are neither visible nor bound by the completion before the read,
    in order (`ans = ans + x` reads `ans` before it binds it). `line_before`/`line_after`: the cursor
    line around the hole (JavaScript/TypeScript fragments are parsed inside it)."""
    if language_id in SCRIPT_LANGUAGES:
        script, declared = script_reads(line_before, completion, language_id, line_after)
        known = set(visible) | declared
        return list(dict.fromkeys(name for name in script if name not in known))
    if language_id != "python":
        return []
    reads, bound = _python_reads(completion)
    known = set(visible)
    missing: list[str] = []
    for name, statement in reads:
        if name in known or name in missing or bound.get(name, statement + 1) <= statement:
            continue
        missing.append(name)
    return missing


def first_word(code: str) -> str:
    """The first identifier or keyword of a fragment ("" when it starts with something else)."""
    match = _WORD.match(code)
    return match.group(1) if match else ""


def binds(code: str) -> set[str]:
    """Names a Python fragment binds (assignment and loop targets, `as` names, definitions)."""
    return set(_python_reads(code)[1])


def reads(code: str) -> set[str]:
    """Names a Python fragment reads."""
    return {name for name, _ in _python_reads(code)[0]}


def _python_reads(code: str) -> tuple[list[tuple[str, int]], dict[str, int]]:
    """Names read (with the index of the statement reading them) and names bound (with the index of the
    first statement that sees the binding) in a Python fragment, from its tokens; tolerant of cut-off
    code. An assignment's targets are bound from the next statement on; loop, `as`, lambda and
    definition names from their own, except in the loop's own iterable (read there before any binding,
    a name is reported at statement -1)."""
    tokens = _tokens(code)
    reads: list[tuple[str, int]] = []
    bound: dict[str, int] = {}
    statement = 0

    def bind(name: str, visible_from: int) -> None:
        bound[name] = min(bound.get(name, visible_from), visible_from)

    depth = 0
    binding = ""  # the keyword whose targets are being read: "for", "as", "lambda", "def", "import"
    # A `for` statement's iterable is evaluated before its targets are bound: `for m in range(2, m)`
    # reads an `m` that must already exist.
    loop_targets: set[str] = set()
    bound_before_loop: dict[str, int] = {}
    in_iterable = False
    for index, (kind, value) in enumerate(tokens):
        previous = tokens[index - 1][1] if index else ""
        following = tokens[index + 1][1] if index + 1 < len(tokens) else ""
        if kind == tokenize.NEWLINE or (kind == tokenize.OP and value == ";" and depth == 0):
            statement += 1
            continue
        if kind == tokenize.OP:
            depth += value in "([{"
            depth -= value in ")]}"
            in_iterable = in_iterable and not (value == ":" and depth == 0)
            if (value == ":" and binding == "lambda") or (value == "(" and binding == "def"):
                binding = ""
            continue
        if kind != tokenize.NAME:
            continue
        if value in ("for", "lambda", "def", "class", "import", "as", "global", "nonlocal"):
            binding = value
            if value == "for" and depth == 0:
                loop_targets, bound_before_loop = set(), dict(bound)
            continue
        if value == "in" and binding == "for":
            binding = ""
            in_iterable = depth == 0
            continue
        if keyword.iskeyword(value) or previous == ".":
            continue
        if binding:
            if binding == "for" and depth == 0:
                loop_targets.add(value)
            bind(value, statement)
            if binding in ("as", "def", "class"):
                binding = ""
            continue
        if following == "=" and depth > 0:
            continue  # keyword argument
        if following == ":=":
            bind(value, statement)
            continue
        if following == "=":
            bind(value, statement + 1)
            continue
        if in_iterable and value in loop_targets and bound_before_loop.get(value, statement + 1) > statement:
            reads.append((value, -1))  # read before the loop binds it, and nothing bound it earlier
            continue
        if following.endswith("=") and following not in ("==", "<=", ">=", "!="):
            reads.append((value, statement))  # `x += 1` reads x: it must exist already
            continue
        if following == "," and depth == 0 and _assigned_later(tokens, index):
            bind(value, statement + 1)  # `a, b = ...`
            continue
        reads.append((value, statement))
    return reads, bound


def _assigned_later(tokens: list[tuple[int, str]], index: int) -> bool:
    for kind, value in tokens[index + 1 :]:
        if value == "=":
            return True
        if kind not in (tokenize.NAME, tokenize.OP) or (value not in (",",) and kind == tokenize.OP):
            return False
    return False


def _tokens(code: str) -> list[tuple[int, str]]:
    result: list[tuple[int, str]] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            result.append((token.type, token.string))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # cut-off code (an open bracket at the end): the tokens so far are what we need
    return result


def index_names(index: Any, path: Path | None, text: str, offset: int) -> set[str]:
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
