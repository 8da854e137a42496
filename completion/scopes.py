"""Does a completion make a name local to its function and read it before binding it? (Python.)

Python decides a function's local names before it runs: any assignment to a name anywhere in the
function makes every use of that name in the function local. So a completion that assigns a name the
function otherwise only reads from an enclosing scope, a global or a builtin, and reads it in the same
statement first, raises UnboundLocalError whenever the line runs: `整数 //= 序号` inside a nested
function whose `整数` is the outer function's parameter, `count += 1` on a module's counter,
`sum = sum + x`. The name exists at the cursor,
so the plain name check cannot see it.

The check speaks only when it is sure: the read is in the completion's own statement, before that
statement binds the name (an augmented assignment's target, the right side of an assignment), and
nothing else in the function binds the name or declares it `global`/`nonlocal`. Reads inside a lambda
or a comprehension are left alone (a comprehension may bind the name itself), as is a hole in a class
body or at module level, where a name read before it is bound is looked up in the globals.
"""

from __future__ import annotations

from functools import cache

import tree_sitter as ts

from .names import in_nested_scope
from .needs import enclosing_function, identifier_role
from .syntax import language_for_tree

_DECLARATIONS = frozenset({"global_statement", "nonlocal_statement"})


def locals_read_before_bound(tree: ts.Tree | None, start_byte: int, end_byte: int) -> list[str]:
    """Names the completion (the spliced tree's bytes start_byte:end_byte) binds as the function's
    only binding of them and reads first in the same statement, in order of the reads."""
    if tree is None:
        return []
    function = enclosing_function(tree.root_node, start_byte)
    if function is None or _in_class_body(tree.root_node, start_byte, function):
        return []
    bound_elsewhere: set[str] = set()
    bound_here: dict[str, int] = {}  # name → the byte from which the completion's binding holds
    reads_here: list[tuple[int, str]] = []
    for node in _own_identifiers(function):
        name = _text(node)
        inside = start_byte <= node.start_byte < end_byte
        role, at = _binding(node)
        if role in ("bind", "read-and-bind") and not inside:
            bound_elsewhere.add(name)
        elif role in ("bind", "read-and-bind"):
            bound_here[name] = min(bound_here.get(name, at), at)
        reads = role == "read-and-bind" or (role == "read" and not in_nested_scope(node, function))
        if inside and reads:
            reads_here.append((node.start_byte, name))
    found: list[str] = []
    for byte, name in sorted(reads_here):
        if name in bound_elsewhere or name in found or name not in bound_here:
            continue
        if byte < bound_here[name]:
            found.append(name)
    return found


def _binding(node: ts.Node) -> tuple[str, int]:
    """("bind" | "read" | "read-and-bind" | "skip", the byte from which a binding holds)."""
    parent = node.parent
    if parent is not None and parent.type == "augmented_assignment":
        left = parent.child_by_field_name("left")
        if left is not None and left.id == node.id:
            return "read-and-bind", parent.end_byte  # `n //= j` reads n, then binds it
    if parent is not None and parent.type in _DECLARATIONS:
        return "bind", parent.start_byte  # `global n`: never a local of this function
    role, binder = identifier_role(node)
    if role != "bind":
        return role, 0
    if binder is not None and binder.type in ("for_in_clause", "lambda_parameters"):
        return "skip", 0  # binds in the comprehension's or lambda's own scope
    # An assignment binds once its right side has been read; a loop, `as` or definition binds first.
    at = binder.end_byte if binder is not None and binder.type == "assignment" else node.start_byte
    return "bind", at


def _own_identifiers(function: ts.Node) -> list[ts.Node]:
    """The identifiers of the function's parameters and body, leaving out nested functions' and
    classes' insides (their names are dropped except the name a `def` or `class` binds)."""
    query = _identifiers_query()
    if query is None:
        return []
    own = []
    for node in ts.QueryCursor(query).captures(function).get("name", ()):
        scope = _nearest_definition(node, function)
        if scope is None or (scope.child_by_field_name("name") or node).id == node.id:
            own.append(node)
    return own


def _nearest_definition(node: ts.Node, function: ts.Node) -> ts.Node | None:
    """The innermost def or class between `node` and `function` (None when there is none)."""
    parent = node.parent
    while parent is not None and parent.id != function.id:
        if parent.type in ("function_definition", "class_definition"):
            return parent
        parent = parent.parent
    return None


def _in_class_body(root: ts.Node, byte: int, function: ts.Node) -> bool:
    """True when a class between the function and the hole holds the hole."""
    node: ts.Node | None = root.descendant_for_byte_range(byte, byte)
    while node is not None and node.id != function.id:
        if node.type == "class_definition":
            return True
        node = node.parent
    return False


def _text(node: ts.Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


@cache
def _identifiers_query() -> ts.Query | None:
    language = language_for_tree("python")
    return ts.Query(language, "(identifier) @name") if language else None
