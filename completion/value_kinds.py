"""Does the value a completion assigns fit how the code after it uses the name? (Python.)

`答案 = 0` above `答案 += [(甲, 乙, 丙)]`, or `结果 = ''` above `结果.append(元素)`, parses and resolves
and fails the first time it runs. The small models start an accumulator as `ans = 0` by habit, also
where the loop below adds tuples to a list.

Only literal values are judged (numbers, strings, lists, dicts, sets, tuples, `None`, booleans,
comprehensions, and empty constructor calls such as `set()`), against the first use of the name
after the completion that settles the question: a method the value's type does not have, indexing
a number, `len` or `for … in` over a number, `+=` of a different kind. The uses are the binding's own
occurrences in the scope model (indexer/bindings.py): the scan stops at the first rebinding of the
name (after it the value may be anything), stays with a function's locals (module-level and class
names are left alone: other modules use them), and skips reads in nested functions and lambdas (they
may run when the name holds something else).
"""

from __future__ import annotations

import types
from functools import cache
from typing import NamedTuple

import tree_sitter as ts

from daima.indexer.bindings import ScopeTable

from .syntax import language_for_tree

# Literal node types → the Python type whose attributes decide which methods exist.
_LITERAL_TYPES: dict[str, type] = {
    "integer": int,
    "float": float,
    "string": str,
    "concatenated_string": str,
    "list": list,
    "list_comprehension": list,
    "dictionary": dict,
    "dictionary_comprehension": dict,
    "set": set,
    "set_comprehension": set,
    "tuple": tuple,
    "none": types.NoneType,
    "true": bool,
    "false": bool,
}
_NUMBERS = (int, float, bool)
_NOT_ITERABLE = (int, float, bool, types.NoneType)
# What `+=` with a value of the right side's type is allowed on a value of the left side's type.
_ADDS = {
    int: (int, float, bool),
    float: (int, float, bool),
    bool: (int, float, bool),
    str: (str,),
    list: (list, tuple, str, set, dict),
    tuple: (tuple,),
    set: (),
    dict: (),
    types.NoneType: (),
}
_CONSTRUCTORS: dict[str, type] = {
    kind.__name__: kind for kind in (int, float, str, list, dict, set, tuple, bool)
}
_BINDERS = frozenset({"assignment", "for_statement", "for_in_clause", "named_expression", "delete_statement"})


class Misuse(NamedTuple):
    """A literal the completion assigns to `name`, and how the code after it misuses that value."""

    name: str
    literal: str
    problem: str

    def __str__(self) -> str:
        return f"{self.name} = {self.literal}, then {self.problem}"


def misused_values(
    tree: ts.Tree | None, start_byte: int, end_byte: int, scopes: ScopeTable | None
) -> list[Misuse]:
    """Each name the completion in [start_byte, end_byte) assigns a literal that the code after it
    then uses as another kind of value; [] when none. `scopes`: the tree's scope table around them."""
    query = _assignments_query()
    if tree is None or query is None or scopes is None:
        return []
    cursor = ts.QueryCursor(query)
    cursor.set_byte_range(start_byte, max(end_byte, start_byte + 1))
    found = []
    for assignment in cursor.captures(tree.root_node).get("assignment", ()):
        if not start_byte <= assignment.start_byte < max(end_byte, start_byte + 1):
            continue
        left, right = assignment.child_by_field_name("left"), assignment.child_by_field_name("right")
        kind = _literal_type(right)
        if left is None or right is None or left.type != "identifier" or kind is None:
            continue
        problem = _first_misuse(tree, left, kind, assignment.end_byte, scopes)
        if problem:
            found.append(Misuse(_text(left), _text(right), problem))
    return found


def _literal_type(value: ts.Node | None) -> type | None:
    """The type of a literal, or of an empty builtin constructor call (`set()`, `list()`)."""
    if value is None:
        return None
    if value.type == "call":
        function, arguments = value.child_by_field_name("function"), value.child_by_field_name("arguments")
        empty = arguments is not None and arguments.named_child_count == 0
        return _CONSTRUCTORS.get(_text(function)) if function is not None and empty else None
    return _LITERAL_TYPES.get(value.type)


def _first_misuse(tree: ts.Tree, name_node: ts.Node, kind: type, after: int, scopes: ScopeTable) -> str:
    """How the first deciding use of the name after `after`, in the same function, misuses a value
    of type `kind` ("" when it fits, or nothing decides before the name is bound again)."""
    binding = scopes.binding_at(name_node)
    if binding is None or binding.scope_kind != "function":
        return ""  # module or class level: other modules and functions use it in ways the scan cannot see
    for occurrence in binding.occurrences:
        if occurrence.start_byte < after or scopes.runs_later(occurrence, binding):
            continue
        node = tree.root_node.descendant_for_byte_range(occurrence.start_byte, occurrence.end_byte)
        verdict = _use(node, kind) if node is not None else None
        if verdict is not None:
            return verdict
    return ""


def _use(node: ts.Node, kind: type) -> str | None:
    """What this occurrence says: a misuse, "" when it fits or rebinds the name (the scan stops), or
    None when it decides nothing (the scan goes on)."""
    parent = node.parent
    if parent is None:
        return None
    field = _field_of(parent, node)
    if parent.type in _BINDERS:
        if field in ("left", "name") or parent.type == "delete_statement":
            return ""  # bound again: the value may be anything from here on
        if parent.type in ("for_statement", "for_in_clause") and field == "right" and kind in _NOT_ITERABLE:
            return f"loops over {_a(kind)}"
        return None
    if parent.type == "augmented_assignment" and field == "left":
        right = parent.child_by_field_name("right")
        operator = parent.child_by_field_name("operator")
        added = _literal_type(right)
        adds = operator is not None and _text(operator) == "+="
        if adds and added is not None and added not in _ADDS.get(kind, (added,)):
            return f"adds {_a(added)} to {_a(kind)}"
        return ""
    if parent.type == "attribute" and field == "object":
        attribute = parent.child_by_field_name("attribute")
        method = _text(attribute) if attribute is not None else ""
        return f"{kind.__name__} has no .{method}" if method and not hasattr(kind, method) else ""
    if parent.type == "subscript" and field == "value" and kind in (*_NUMBERS, types.NoneType, set):
        return f"indexes {_a(kind)}"
    if parent.type == "argument_list" and kind in _NOT_ITERABLE:
        call = parent.parent
        function = call.child_by_field_name("function") if call is not None else None
        if function is not None and _text(function) == "len":
            return f"takes len() of {_a(kind)}"
    return None


def _a(kind: type) -> str:
    if kind is types.NoneType:
        return "None"
    return ("an " if kind.__name__[0] in "aeiou" else "a ") + kind.__name__


def _field_of(parent: ts.Node, child: ts.Node) -> str:
    for index in range(parent.child_count):
        candidate = parent.child(index)
        if candidate is not None and candidate.id == child.id:
            return parent.field_name_for_child(index) or ""
    return ""


def _text(node: ts.Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


@cache
def _assignments_query() -> ts.Query | None:
    language = language_for_tree("python")
    return ts.Query(language, "(assignment) @assignment") if language else None
