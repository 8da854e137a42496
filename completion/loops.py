"""Does a completion leave a `while` loop that can never end? (Python, from the spliced tree.)

A loop whose condition reads only local names that nothing in its body changes, and whose body has
no `break`, `return`, `raise` or `yield`, runs forever once it is entered: a small model appends to a
list in the body of `while n > 1:` where the line must change `n`, or writes `while 质数 > 0:` above a
body that never touches `质数`. Both parse and resolve; both hang the first time they run.

The check only says "endless" when it is sure. A condition with a call other than a pure builtin
(`len(列表)`), or an attribute (`self.running`, which another thread or a method may change), or a
name the function does not bind (a global a call may change) is left alone; so is a body that passes
a condition name to a call (other than a pure builtin, or a method that only stores or looks up its
argument, `结果.append(整数)`), calls a method on it, assigns into it or deletes from it (any of
which may change it). Only loops that overlap the completion are checked: the file's own loops are not the
completion's business.
"""

from __future__ import annotations

from functools import cache

import tree_sitter as ts

from daima.indexer.bindings import ScopeTable

from .syntax import language_for_tree

# Builtins that change nothing and whose result depends only on their arguments.
_PURE_CALLS = frozenset(
    {"len", "abs", "min", "max", "sum", "int", "float", "str", "bool", "round", "ord", "chr", "all", "any"}
)
# Node types a condition may consist of for the check to trust it (besides identifiers and calls).
_PLAIN_CONDITION_NODES = frozenset(
    {
        "comparison_operator",
        "boolean_operator",
        "binary_operator",
        "unary_operator",
        "not_operator",
        "parenthesized_expression",
        "subscript",
        "argument_list",
        "integer",
        "float",
        "string",
        "string_start",
        "string_content",
        "string_end",
        "true",
        "false",
        "none",
    }
)
# Statements that leave a loop (break only from its own loop, all of them only from its own function).
_EXITS = frozenset({"break_statement", "return_statement", "raise_statement", "yield"})
# Scopes whose code is not the loop's: an exit in a nested function leaves that function.
_OWN_SCOPES = frozenset({"function", "class"})
_INNER_LOOPS = frozenset({"for_statement", "while_statement"})
# Parents through which an identifier is still the thing being changed (`a, b = …`, `x[0] = …`).
_PATTERN_PARENTS = frozenset(
    {"pattern_list", "tuple_pattern", "list_pattern", "list_splat_pattern", "parenthesized_expression"}
)


def endless_loops(
    tree: ts.Tree | None, start_byte: int, end_byte: int, scopes: ScopeTable | None
) -> list[str]:
    """The condition names of each `while` loop overlapping [start_byte, end_byte) that can never
    end (see the module docstring), joined by ", " per loop; [] when every loop can end. `scopes`:
    the tree's scope table around them."""
    query = _loops_query()
    if tree is None or query is None or scopes is None:
        return []
    cursor = ts.QueryCursor(query)
    cursor.set_byte_range(start_byte, max(end_byte, start_byte + 1))  # loops around or in the completion
    found = []
    for loop in cursor.captures(tree.root_node).get("loop", ()):
        names = _stuck_names(tree, loop, start_byte, end_byte, scopes)
        if names:
            found.append(", ".join(names))
    return found


def _stuck_names(tree: ts.Tree, loop: ts.Node, start: int, end: int, scopes: ScopeTable) -> list[str]:
    """The condition's names when nothing on the completion's way through the body can change them
    or leave the loop.

    The way is the body less the branches of the `if`s around the completion that it is not in:
    when the completion sits in `if 整数 % 2 == 0:` and only the `else:` changes `整数`, that branch
    is taken again and again once entered, so the names the taken branches' conditions read must
    stay unchanged too."""
    condition, body = loop.child_by_field_name("condition"), loop.child_by_field_name("body")
    if condition is None or body is None:
        return []
    names = _condition_names(condition)
    if not names:
        return []
    watched, skipped = set(names), []
    for branches, taken in _branches_around(body, start, end):
        for number, branch in enumerate(branches):
            if number > taken:
                skipped.append(branch)
                continue
            branch_condition = branch.child_by_field_name("condition")
            read = _condition_names(branch_condition) if branch_condition is not None else set()
            if branch_condition is not None and not read:
                return []  # a condition the check cannot see through
            watched |= read
            if number < taken:
                skipped.append(branch.child_by_field_name("consequence") or branch)
    if not watched <= _bound_in_function(tree, loop, scopes) or _leaves(body, skipped, scopes):
        return []
    on_the_way = [node for node in _identifiers(body) if not _inside_any(node, skipped)]
    if any(_changes(node) for node in on_the_way if _text(node) in watched):
        return []
    return sorted(names)


def _branches_around(body: ts.Node, start: int, end: int) -> list[tuple[list[ts.Node], int]]:
    """For each `if` statement in `body` whose branch holds the completion: its branches (the `if`
    itself, then its `elif` and `else` clauses) and the number of the one that holds it."""
    found: list[tuple[list[ts.Node], int]] = []
    if not body.start_byte <= start <= end <= body.end_byte:
        return found  # the completion writes the loop's header
    node: ts.Node | None = body.descendant_for_byte_range(start, max(start, end - 1))
    while node is not None and node.id != body.id:
        parent = node.parent
        if parent is not None and parent.type == "if_statement" and node.type in _BRANCH_PARTS:
            clauses = [child for child in parent.children if child.type in ("elif_clause", "else_clause")]
            branches = [parent, *clauses]
            taken = 0 if node.type == "block" else next(i for i, b in enumerate(branches) if b.id == node.id)
            found.append((branches, taken))
        node = parent
    return found


_BRANCH_PARTS = frozenset({"block", "elif_clause", "else_clause"})


def _inside_any(node: ts.Node, containers: list[ts.Node]) -> bool:
    return any(c.start_byte <= node.start_byte and node.end_byte <= c.end_byte for c in containers)


def _condition_names(condition: ts.Node) -> set[str]:
    """The local names a condition reads; empty when it has anything the check cannot see through."""
    names: set[str] = set()
    stack = [condition]
    while stack:
        node = stack.pop()
        if node.type == "call":
            function = node.child_by_field_name("function")
            arguments = node.child_by_field_name("arguments")
            if function is None or function.type != "identifier" or _text(function) not in _PURE_CALLS:
                return set()
            if arguments is not None:
                stack.append(arguments)
        elif node.type == "identifier":
            names.add(_text(node))
        elif node.type in _PLAIN_CONDITION_NODES or not node.is_named:
            stack.extend(node.children)
        else:
            return set()  # an attribute, a lambda, an await, a comprehension, ...
    return names


def _leaves(body: ts.Node, skipped: list[ts.Node], scopes: ScopeTable) -> bool:
    """True when the body, less the skipped branches, has a statement that leaves the loop (not one
    of an inner loop's breaks, nor anything inside a nested function or class)."""
    stack = [(child, False) for child in body.children]
    while stack:
        node, in_inner_loop = stack.pop()
        if scopes.scope_kind(node) in _OWN_SCOPES or any(node.id == branch.id for branch in skipped):
            continue
        if node.type in _EXITS and not (node.type == "break_statement" and in_inner_loop):
            return True
        inner = in_inner_loop or node.type in _INNER_LOOPS
        stack.extend((child, inner) for child in node.children)
    return False


def _changes(identifier: ts.Node) -> bool:
    """True when this occurrence may change the name's value: a target of an assignment, a loop or
    `:=`, the object of a method call or of an assignment into it, deleted, or passed to a call."""
    child, parent = identifier, identifier.parent
    while parent is not None:
        kind = parent.type
        if kind in ("assignment", "augmented_assignment", "for_statement", "for_in_clause"):
            target = parent.child_by_field_name("left")
            return target is not None and target.id == child.id
        if kind == "named_expression":
            name = parent.child_by_field_name("name")
            return name is not None and name.id == child.id
        if kind == "argument_list":
            return not _keeps_arguments(parent.parent)
        if kind in ("delete_statement", "call"):
            return True  # deleted, or a method of it called
        if kind == "attribute" or kind == "subscript":
            owner = parent.child_by_field_name("object" if kind == "attribute" else "value")
            if owner is None or owner.id != child.id:
                return False
        elif kind not in _PATTERN_PARENTS:
            return False
        child, parent = parent, parent.parent
    return False


def _keeps_arguments(call: ts.Node | None) -> bool:
    """True for a call known not to change what it is passed: a pure builtin, `print`, or a method
    that stores or looks up its argument in another object (`结果.append(n)`)."""
    function = call.child_by_field_name("function") if call is not None else None
    if function is None:
        return False
    if function.type == "identifier":
        return _text(function) in _PURE_CALLS | {"print", "repr", "isinstance", "type", "id", "hash"}
    attribute = function.child_by_field_name("attribute") if function.type == "attribute" else None
    return attribute is not None and _text(attribute) in _STORING_METHODS


_STORING_METHODS = frozenset(
    {"append", "appendleft", "add", "insert", "put", "write", "count", "index", "get", "join", "format"}
)


def _bound_in_function(tree: ts.Tree, loop: ts.Node, scopes: ScopeTable) -> set[str]:
    """Names the function around the loop binds (its locals: parameters, assignment targets); none
    at module level, where other modules and threads may change any name."""
    function = scopes.function_around(tree, loop.start_byte)
    if function is None:
        return set()
    return {binding.name for binding in scopes.bindings if binding.scope == function}


def _identifiers(node: ts.Node) -> list[ts.Node]:
    query = _identifiers_query()
    return list(ts.QueryCursor(query).captures(node).get("name", ())) if query is not None else []


def _text(node: ts.Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


@cache
def _loops_query() -> ts.Query | None:
    language = language_for_tree("python")
    return ts.Query(language, "(while_statement) @loop") if language else None


@cache
def _identifiers_query() -> ts.Query | None:
    language = language_for_tree("python")
    return ts.Query(language, "(identifier) @name") if language else None


def reused_loop_names(
    tree: ts.Tree | None, start_byte: int, end_byte: int, scopes: ScopeTable | None
) -> list[str]:
    """Targets of a `for` loop the completion writes that an enclosing `for` loop of the same
    function already uses: the inner loop overwrites the outer loop's variable, which the rest of
    the outer body then reads wrong (`for 下标 in range(2, 整数):` inside `for 下标 in range(2, 101):`)."""
    query = _for_query()
    if tree is None or query is None or scopes is None:
        return []
    cursor = ts.QueryCursor(query)
    cursor.set_byte_range(start_byte, max(end_byte, start_byte + 1))
    reused: list[str] = []
    for loop in cursor.captures(tree.root_node).get("loop", ()):
        if not start_byte <= loop.start_byte < max(end_byte, start_byte + 1):
            continue
        names = _targets(loop)
        outer = loop.parent
        while outer is not None and scopes.scope_kind(outer) not in _OWN_SCOPES:
            if outer.type == "for_statement":
                reused += [name for name in _targets(outer) & names if name not in reused and name != "_"]
            outer = outer.parent
    return reused


def _targets(loop: ts.Node) -> set[str]:
    left = loop.child_by_field_name("left")
    if left is None:
        return set()
    if left.type == "identifier":
        return {_text(left)}
    return {
        _text(node)
        for node in _identifiers(left)
        if node.parent is not None and node.parent.type != "attribute"
    }


@cache
def _for_query() -> ts.Query | None:
    language = language_for_tree("python")
    return ts.Query(language, "(for_statement) @loop") if language else None
