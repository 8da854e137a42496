"""What the code after the hole needs from it: names it reads that nothing binds, and its shape.

When the rest of the function reads `结果` (or `ans`, or `month, day, year`) and no line of the
document binds it, the hole is where it must be bound: a completion that leaves it unbound gives a
NameError or UnboundLocalError however plausible it looks. Measured on the real 0.5B model with
Chinese identifiers, this is the commonest way a one-line suggestion fails (`return 结果` where the
line should be `结果 = ''`). The pipeline treats such names as a check on every candidate and steers
the next candidate toward binding them.

Its shape: when the next line is indented deeper, the hole's line must be a block header
(`opens_block`); when the next line continues the same block, the line must not leave it with a
`return` that makes that code unreachable (`code_follows_in_block`, `ends_flow`).

Python only, from the tree-sitter tree the splice checker already parsed (the document without the
hole's text, so the hole may leave errors: tree-sitter recovers and the walk takes what it finds).
Bindings are over-approximated (a name bound anywhere, in any scope, counts as bound), so a name is
reported as needed only when the document really has no binding for it. A star import turns it off.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Iterable, Iterator
from functools import cache

import tree_sitter as ts

from .names import PYTHON_BUILTINS, binds, reads
from .syntax import language_for_tree

# Node fields whose identifiers a statement binds, and the pattern nodes an identifier may sit in
# between (`a, (b, c) = ...`, `*rest`, `x: int = 1`).
# Node type → (the field whose identifier it binds or skips, "bind" | "skip"): assignment targets,
# loop variables, `as` names, definitions; attribute names and keyword argument names are no reads.
_FIELD_ROLES = {
    "assignment": ("left", "bind"),
    "for_statement": ("left", "bind"),
    "for_in_clause": ("left", "bind"),
    "as_pattern": ("alias", "bind"),
    "named_expression": ("name", "bind"),
    "function_definition": ("name", "bind"),
    "class_definition": ("name", "bind"),
    "default_parameter": ("name", "bind"),
    "typed_default_parameter": ("name", "bind"),
    "attribute": ("attribute", "skip"),
    "keyword_argument": ("name", "skip"),
}
_BINDING_NODES = {
    "parameters",
    "lambda_parameters",
    "global_statement",
    "nonlocal_statement",
    "import_statement",
    "import_from_statement",
    "typed_parameter",
}
_PATTERN_NODES = {
    "pattern_list",
    "tuple_pattern",
    "list_pattern",
    "list_splat_pattern",
    "dictionary_splat_pattern",
    "as_pattern_target",
    "parenthesized_expression",
    "expression_list",
    "dotted_name",
    "aliased_import",
}
# Nodes whose bindings hold for what they enclose: statement blocks, and the expression scopes.
_SCOPE_TYPES = {
    "block",
    "module",
    "list_comprehension",
    "set_comprehension",
    "dictionary_comprehension",
    "generator_expression",
    "lambda",
}
# Blocks whose bindings count for the enclosing block: the branches of `if`/`try`/`with`. Over-approximate
# (an `if` without `else` may skip its binding) so that a name bound in every branch is not reported.
_BRANCHES = {
    "if_statement",
    "elif_clause",
    "else_clause",
    "try_statement",
    "except_clause",
    "finally_clause",
    "with_statement",
    "match_statement",
    "case_clause",
}
# The words a Python block header starts with, pushed up when the hole must open a block.
BLOCK_KEYWORDS = ("for", "if", "while", "with", "try", "elif", "else", "def")
# Statements that leave the block, and clauses that continue a statement rather than its block.
_FLOW_ENDS = {"return", "raise", "continue", "break"}
_CLAUSES = {"else", "elif", "except", "finally", "case"}
# A plain assignment statement and its targets (`a = …`, `a, b = …`; not `==`, not `a.b = …`).
_ASSIGNMENT_TARGETS = re.compile(r"^\s*((?:[^\W\d]\w*\s*,\s*)*[^\W\d]\w*)\s*=(?!=)")
_BUILTIN_CALLABLES = frozenset(
    name for name in dir(builtins) if not name.startswith("_") and callable(getattr(builtins, name))
)
# A line prefix where a completion may still bind names: nothing yet, or targets being typed (`a, 结`).
_TARGET_SO_FAR = re.compile(r"^\s*(?:[^\W\d]\w*\s*,\s*)*(?:[^\W\d]\w*)?$")


def needed_names(tree: ts.Tree | None, hole_byte: int, *, known: Iterable[str] = ()) -> list[str]:
    """Names read after `hole_byte` in the enclosing function with no binding that reaches the read.

    A binding reaches a read when it is outside the function (any scope: over-approximated), in the
    function before the hole, or after the hole but earlier than the read in a block that encloses
    the read (`x = x + 1` binds after its right side is read; a binding inside a loop or an `if` does
    not reach a read after that block). `known` adds names bound elsewhere (the index's imports and
    other files). In order of first read; [] outside a function, with a star import, or without a tree.
    """
    if tree is None:
        return []
    function = enclosing_function(tree.root_node, hole_byte)
    if function is None:
        return []
    everywhere: set[str] = set(PYTHON_BUILTINS) | set(known)
    later: dict[str, list[tuple[int, int]]] = {}  # name → (effective byte, scope node id) after the hole
    reads: list[tuple[int, str, ts.Node]] = []
    query = _identifiers_query()
    captures = ts.QueryCursor(query).captures(tree.root_node) if query is not None else {}
    if captures.get("star"):
        return []
    for node in captures.get("name", ()):
        if node.text is None:
            continue
        name = node.text.decode("utf-8", "replace")
        role, anchor = identifier_role(node)
        after = hole_byte <= node.start_byte < function.end_byte
        if role == "bind" and after and anchor is not None:
            later.setdefault(name, []).append(_binding_reach(anchor))
        elif role == "bind":
            everywhere.add(name)
        elif role == "read" and after:
            reads.append((node.start_byte, name, node))
    needed: list[str] = []
    for byte, name, node in sorted(reads, key=lambda read: read[0]):
        if name in everywhere or name in needed:
            continue
        scopes = _scope_ids(node)
        if not any(at < byte and scope in scopes for at, scope in later.get(name, ())):
            needed.append(name)
    return needed


def names_around_in_function(tree: ts.Tree | None, hole_byte: int) -> frozenset[str] | None:
    """The identifiers of the function enclosing the hole, when code of that function follows the
    hole (so a name bound in the hole could be read there); None at module level, at the function's
    end, or without a tree. A completion that binds a new name none of them is, is a dead store."""
    if tree is None:
        return None
    function = enclosing_function(tree.root_node, hole_byte)
    query = _identifiers_query()
    if function is None or function.text is None or query is None:
        return None
    if not function.text[hole_byte - function.start_byte :].strip():
        return None
    names = ts.QueryCursor(query).captures(function).get("name", ())
    return frozenset(node.text.decode("utf-8", "replace") for node in names if node.text is not None)


def dead_stores(line_before_cursor: str, completion: str, function_names: frozenset[str] | None) -> list[str]:
    """Names the completion assigns (`x = …`, `a, b = …`) that nothing reads: not the completion's
    own later lines, and no identifier of the function around it (`names_around_in_function`).
    Measured on the real 0.5B model with Chinese identifiers: `平方 = 序号 ** 2` where the loop must
    add to `平方和`, `正数 = 1` where the sign must be set; a plain assignment of a name nobody reads
    is almost never the line that belongs in the middle of a function."""
    if function_names is None:
        return []
    code = line_before_cursor.lstrip() + completion
    read = reads(code)
    assigned = [name for name in _assigned(code) if not name.startswith("_")]  # `_` says "unused"
    return [name for name in assigned if name not in function_names and name not in read]


def shadowed_builtins(line_before_cursor: str, completion: str) -> list[str]:
    """Builtin functions and types the completion assigns (`sum = 0`, `list = []`): the code after it
    that calls them breaks. The 0.5B model does it when steered off a bad name (`sum = 0` above
    `return sum(整数)`)."""
    return [
        name for name in _assigned(line_before_cursor.lstrip() + completion) if name in _BUILTIN_CALLABLES
    ]


def _assigned(code: str) -> list[str]:
    """The targets of the plain assignment statements in `code`, in order, once each."""
    assigned: list[str] = []
    for line in code.split("\n"):
        match = _ASSIGNMENT_TARGETS.match(line)
        if match:
            assigned += [name.strip() for name in match.group(1).split(",")]
    return list(dict.fromkeys(assigned))


def opens_block(line_before_cursor: str, text_after_cursor: str) -> bool:
    """True when the hole's line must open a block: it is empty so far and the next code line is
    indented deeper (the body is already there, its header is missing). Deeper lines that end at a
    closing bracket (`1: "One",` … `}`) are the items of a bracket the line opens, not a body."""
    lines = _code_lines_below(line_before_cursor, text_after_cursor)
    indent = len(line_before_cursor.expandtabs())
    first = next(lines, None)
    if first is None or _indent(first) <= indent:
        return False
    back = next((line for line in lines if _indent(line) <= indent), "")
    return not back.lstrip().startswith((")", "]", "}"))


def code_follows_in_block(line_before_cursor: str, text_after_cursor: str) -> bool:
    """True when the hole's line is empty so far and the next code line continues the same block (so a
    `return` here would make it unreachable)."""
    below = _next_code_line(line_before_cursor, text_after_cursor)
    if below is None:
        return False
    indent = len(below) - len(below.lstrip())
    word = below.split(maxsplit=1)[0].rstrip(":")
    return indent == len(line_before_cursor.expandtabs()) and word not in _CLAUSES


def ends_flow(line_before_cursor: str, completion: str) -> bool:
    """True when the completion's last code line, at the hole's own indentation, leaves the block
    (`return`, `raise`, `continue`, `break`)."""
    lines = completion.split("\n")
    for number in range(len(lines) - 1, -1, -1):
        line = lines[number]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line_before_cursor.expandtabs()) if number == 0 else len(line) - len(line.lstrip())
        return indent == len(line_before_cursor.expandtabs()) and line.split()[0] in _FLOW_ENDS
    return False


# `name = name` (or `a.b = a.b;`): a statement that changes nothing. The 0.5B model writes it when
# pushed off copying the next line (`距离 = 距离`).
_SELF_ASSIGNMENT = re.compile(r"^\s*([^\W\d]\w*(?:\.[^\W\d]\w*)*)\s*=\s*\1\s*;?\s*$")


def assigns_to_itself(line_before_cursor: str, completion: str) -> bool:
    """True when a line of the completion (its first line read with the text before the cursor)
    only assigns a name to itself."""
    lines = (line_before_cursor + completion).split("\n")
    return any(_SELF_ASSIGNMENT.match(line) for line in lines if line.strip())


def _next_code_line(line_before_cursor: str, text_after_cursor: str) -> str | None:
    """The first code line below the hole's line, when that line is empty up to and after the cursor."""
    return next(_code_lines_below(line_before_cursor, text_after_cursor), None)


def _code_lines_below(line_before_cursor: str, text_after_cursor: str) -> Iterator[str]:
    """The code lines below the hole's line, read lazily (tabs expanded, comments and blank lines
    skipped), when that line is empty up to and after the cursor; else none."""
    if line_before_cursor.strip():
        return
    rest_of_line, _, below = text_after_cursor.partition("\n")
    if rest_of_line.strip():
        return
    start = 0
    while start <= len(below):
        end = below.find("\n", start)
        end = len(below) if end < 0 else end
        line = below[start:end]
        if line.strip() and not line.lstrip().startswith("#"):
            yield line.expandtabs()
        start = end + 1


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def may_bind(line_before_cursor: str) -> bool:
    """True when a completion at this point of the line can still bind names (a statement's start)."""
    if not _TARGET_SO_FAR.match(line_before_cursor):
        return False
    return not any(keyword.iskeyword(word) for word in line_before_cursor.replace(",", " ").split())


def left_unbound(needed: Iterable[str], line_before_cursor: str, completion: str) -> list[str]:
    """The needed names that the line, completed, still does not bind."""
    bound = binds(line_before_cursor.lstrip() + completion)
    return [name for name in needed if name not in bound]


def enclosing_function(root: ts.Node, byte: int) -> ts.Node | None:
    node: ts.Node | None = root.descendant_for_byte_range(byte, byte)
    while node is not None:
        if node.type == "function_definition" and node.start_byte < byte <= node.end_byte:
            return node
        node = node.parent
    return None


def identifier_role(identifier: ts.Node) -> tuple[str, ts.Node | None]:
    """("bind" | "read" | "skip", the node that binds it) — skip: attribute and keyword names."""
    child, parent = identifier, identifier.parent
    while parent is not None:
        if parent.type in _BINDING_NODES:
            return "bind", parent
        field_role = _FIELD_ROLES.get(parent.type)
        if field_role is not None:
            target = parent.child_by_field_name(field_role[0])
            if target is not None and target.id == child.id:
                return field_role[1], parent if field_role[1] == "bind" else None
        if parent.type not in _PATTERN_NODES:
            return "read", None
        child, parent = parent, parent.parent
    return "read", None


def _binding_reach(binder: ts.Node) -> tuple[int, int]:
    """(byte from which the binding holds, id of the scope node it holds in)."""
    if binder.type in ("for_in_clause", "lambda_parameters"):
        scope = binder.parent  # a comprehension or a lambda binds for its own body, from its start
        if scope is not None:
            return scope.start_byte, scope.id
    # The right side of `x = x + 1` is read before its target is bound.
    at = binder.end_byte if binder.type in ("assignment", "named_expression") else binder.start_byte
    block = _scope_of(binder)
    return at, block.id if block is not None else -1


def _scope_of(node: ts.Node) -> ts.Node | None:
    """The innermost scope node above `node` that a binding stays inside (branch blocks are skipped)."""
    parent = node.parent
    while parent is not None and not _is_scope(parent):
        parent = parent.parent
    return parent


def _is_scope(node: ts.Node) -> bool:
    if node.type != "block":
        return node.type in _SCOPE_TYPES
    return node.parent is None or node.parent.type not in _BRANCHES


def _scope_ids(node: ts.Node) -> set[int]:
    """Ids of the blocks, comprehensions and lambdas that enclose `node`."""
    ids: set[int] = set()
    scope = _scope_of(node)
    while scope is not None:
        ids.add(scope.id)
        scope = _scope_of(scope)
    return ids


@cache
def _identifiers_query() -> ts.Query | None:
    language = language_for_tree("python")
    return ts.Query(language, "(identifier) @name (wildcard_import) @star") if language else None
