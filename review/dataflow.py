"""Within-function data flow: is a value a constant string, or built from something that is not?

Deliberately small: it follows assignments to a name inside the enclosing function (or module) that come
before the use, and classifies expressions by their syntax. Enough to see that `q = f"... {x}"` later
passed to `execute(q)` is dynamic, while `execute("... %s", (x,))` is not. Calls that escape or
compose SQL safely (`mysql.format`, psycopg2's `sql.SQL(...).format`) are data: rules.json "sanitizers".
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from enum import Enum

from tree_sitter import Node

from daima.review.syntax import Syntax

MAX_DEPTH = 4


class Kind(Enum):
    CONST = "const"  # a literal, or built only from literals
    DYNAMIC = "dynamic"  # text built by formatting / concatenation / interpolation with a non-constant part
    UNKNOWN = "unknown"  # a parameter, call result, attribute...: not a literal, not visibly built here


@dataclass(frozen=True)
class Verdict:
    """A classification plus the node that decided it (where the dynamic text is built)."""

    kind: Kind
    evidence: Node | None = None


def enclosing_scope(node: Node, syntax: Syntax) -> Node:
    """The innermost function (or the module) containing `node`."""
    current = node.parent
    while current is not None and current.type not in syntax.scopes:
        current = current.parent
    return current if current is not None else node


def classify(node: Node, syntax: Syntax, depth: int = 0) -> Verdict:
    """Whether `node` evaluates to a constant, to text built from non-constants, or to something else."""
    if depth > MAX_DEPTH:
        return Verdict(Kind.UNKNOWN)
    kind = node.type
    if kind in syntax.wrappers and node.named_child_count == 1:
        return classify(node.named_children[0], syntax, depth + 1)
    if kind in syntax.strings:
        return _classify_string(node, syntax, depth)
    if kind in syntax.constants:
        return Verdict(Kind.CONST)
    if kind in syntax.concat:
        return _classify_binary(node, syntax, depth)
    if kind in syntax.containers:
        elements = [
            c for c in node.named_children if c.type not in ("comment", "dimensions", "type_identifier")
        ]
        return _all_const(elements, syntax, depth)
    if kind == syntax.calls[0]:
        return _classify_call(node, syntax, depth)
    if syntax.creation and kind == syntax.creation:
        return _classify_builder(node, syntax, depth)
    if kind == "identifier":
        return _classify_name(node, syntax, depth)
    if kind == syntax.conditional[0]:
        return _classify_conditional(node, syntax, depth)
    if kind == syntax.member[0] and _class_constant(node, syntax):
        return Verdict(Kind.CONST)
    if kind == syntax.loop[0]:  # the value a loop target takes (see `_assignments`)
        return _classify_elements(node.child_by_field_name(syntax.loop[2]), syntax, depth + 1)
    return Verdict(Kind.UNKNOWN)


def _classify_elements(node: Node | None, syntax: Syntax, depth: int) -> Verdict:
    """What each element of a collection is: `[f"… {n}" for n in names]` holds text built from data,
    `["SELECT 1", "SELECT 2"]` only literals; a name is followed to the collection last assigned to it."""
    if node is None or depth > MAX_DEPTH:
        return Verdict(Kind.UNKNOWN)
    if node.type in syntax.wrappers and node.named_child_count == 1:
        return _classify_elements(node.named_children[0], syntax, depth + 1)
    if node.type in syntax.comprehensions:
        return classify(node.child_by_field_name("body") or node, syntax, depth + 1)
    if node.type in syntax.containers:
        elements = [
            c for c in node.named_children if c.type not in ("comment", "dimensions", "type_identifier")
        ]
        verdicts = [classify(c, syntax, depth + 1) for c in elements]
        dynamic = next((v for v in verdicts if v.kind is Kind.DYNAMIC), None)
        if dynamic is not None:
            return dynamic
        return Verdict(Kind.CONST) if all(v.kind is Kind.CONST for v in verdicts) else Verdict(Kind.UNKNOWN)
    if node.type == "identifier":
        values = [
            value
            for target, value, augmented in _assignments(enclosing_scope(node, syntax), syntax)
            if target.text == node.text and target.start_byte < node.start_byte and not augmented
        ]
        return _classify_elements(values[-1], syntax, depth + 1) if values else Verdict(Kind.UNKNOWN)
    return Verdict(Kind.UNKNOWN)


def _classify_conditional(node: Node, syntax: Syntax, depth: int) -> Verdict:
    """A choice between two values: constant when both are; built from data when either is."""
    _, first_field, second_field = syntax.conditional
    if first_field:
        values = [node.child_by_field_name(first_field), node.child_by_field_name(second_field)]
    else:  # Python: value if condition else value
        named = [c for c in node.named_children if c.type != "comment"]
        values = [named[0], named[-1]] if len(named) == 3 else []
    if len(values) != 2 or any(v is None for v in values):
        return Verdict(Kind.UNKNOWN)
    verdicts = [classify(v, syntax, depth + 1) for v in values if v is not None]
    if all(v.kind is Kind.CONST for v in verdicts):
        return Verdict(Kind.CONST)
    dynamic = next((v for v in verdicts if v.kind is Kind.DYNAMIC), None)
    return dynamic or Verdict(Kind.UNKNOWN)


_UPPER_SNAKE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")


def _class_constant(node: Node, syntax: Syntax) -> bool:
    """`Queries.FIND_BY_NAME`: an UPPER_SNAKE member of a capitalised name (a class)."""
    _, object_field, member_field = syntax.member
    owner, member = node.child_by_field_name(object_field), node.child_by_field_name(member_field)
    if owner is None or member is None or owner.type != "identifier":
        return False
    owner_text, member_text = (owner.text or b"").decode(), (member.text or b"").decode()
    return (
        owner_text[:1].isupper()
        and not owner_text.isupper()  # `DB.SQL`: maybe an object named in capitals; `Queries` is a class
        and _UPPER_SNAKE.fullmatch(member_text) is not None
    )


def _classify_string(node: Node, syntax: Syntax, depth: int) -> Verdict:
    if node.type == "concatenated_string":  # Python "a" f"{b}"
        verdicts = [classify(child, syntax, depth + 1) for child in node.named_children]
        dynamic = next((v for v in verdicts if v.kind is Kind.DYNAMIC), None)
        return Verdict(Kind.DYNAMIC, node) if dynamic else Verdict(Kind.CONST)
    for child in node.named_children:
        if child.type in syntax.interpolations:
            inner = [
                classify(c, syntax, depth + 1) for c in child.named_children if c.type != "format_specifier"
            ]
            if any(v.kind is not Kind.CONST for v in inner):
                return Verdict(Kind.DYNAMIC, node)
    return Verdict(Kind.CONST)


def _classify_binary(node: Node, syntax: Syntax, depth: int) -> Verdict:
    operator = node.child_by_field_name("operator")
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    if operator is None or left is None or right is None:
        return Verdict(Kind.UNKNOWN)
    op = operator.type
    if op not in ("+", "%"):
        return Verdict(Kind.UNKNOWN)
    lv, rv = classify(left, syntax, depth + 1), classify(right, syntax, depth + 1)
    if op == "%" and left.type not in syntax.strings and lv.kind is not Kind.DYNAMIC:
        return Verdict(Kind.UNKNOWN)  # arithmetic, not Python %-formatting
    if op == "%" and right.type in ("tuple", "dictionary"):
        rv = _all_const(right.named_children, syntax, depth)
    if lv.kind is Kind.CONST and rv.kind is Kind.CONST:
        return Verdict(Kind.CONST)
    return Verdict(Kind.DYNAMIC, node)


def _all_const(nodes: list[Node], syntax: Syntax, depth: int) -> Verdict:
    for child in nodes:
        target = child.child_by_field_name("value") if child.type == "pair" else child
        if target is not None and classify(target, syntax, depth + 1).kind is not Kind.CONST:
            return Verdict(Kind.UNKNOWN)
    return Verdict(Kind.CONST)


def _classify_call(node: Node, syntax: Syntax, depth: int) -> Verdict:
    _, callee_field, args_field = syntax.calls
    callee = node.child_by_field_name(callee_field)
    args = node.child_by_field_name(args_field)
    if callee is None or args is None:
        return Verdict(Kind.UNKNOWN)
    if _is_sanitizer(node, callee, syntax):
        return Verdict(Kind.CONST)  # escaped or composed by the library: safe whatever went in
    name = callee.child_by_field_name("attribute") or callee.child_by_field_name("property") or callee
    if name.text is None or name.text.decode() not in syntax.format_methods:
        return Verdict(Kind.UNKNOWN)
    receiver = node.child_by_field_name("object") or callee.child_by_field_name("object")
    parts = [_argument_value(c) for c in args.named_children if c.type != "comment"]
    # The receiver is part of the text (`"a {}".format(x)`, `sql.concat(x)`), unless it names a class
    # (`String.format`, `String.join`).
    if receiver is not None and not (receiver.type == "identifier" and (receiver.text or b"a")[:1].isupper()):
        parts.append(receiver)
    verdict = _all_const(parts, syntax, depth)
    return Verdict(Kind.CONST) if verdict.kind is Kind.CONST else Verdict(Kind.DYNAMIC, node)


def _classify_builder(node: Node, syntax: Syntax, depth: int) -> Verdict:
    """`new StringBuilder("…")`: a builder's text is its arguments (what is appended later is found
    where the name is read, `_mutations`); any other object is not text we can see."""
    type_node = node.child_by_field_name("type")
    arguments = node.child_by_field_name("arguments")
    type_name = (type_node.text or b"").decode().split("<", 1)[0] if type_node is not None else ""
    if type_name not in syntax.builders or arguments is None:
        return Verdict(Kind.UNKNOWN)
    values = [c for c in arguments.named_children if c.type != "comment"]
    constant = _all_const(values, syntax, depth).kind is Kind.CONST
    return Verdict(Kind.CONST) if constant else Verdict(Kind.UNKNOWN)


def _mutations(scope: Node, name: bytes | None, before: int, syntax: Syntax) -> list[Node]:
    """The calls `name.MUTATOR(…)` in `scope` (not in nested functions) that end before `before`."""
    call_type, callee_field, _ = syntax.calls
    found: list[Node] = []
    stack = list(reversed(scope.named_children))
    while stack:
        node = stack.pop()
        if node.type in syntax.scopes or node.start_byte >= before:
            continue
        if node.type == call_type and node.end_byte <= before:
            callee = node.child_by_field_name(callee_field)
            if node.type == "method_invocation":  # Java: object and method name are the call's fields
                receiver, method = node.child_by_field_name("object"), callee
            else:
                receiver = callee.child_by_field_name("object") if callee is not None else None
                method = None
                if callee is not None:
                    method = callee.child_by_field_name("attribute") or callee.child_by_field_name("property")
            if (
                receiver is not None and receiver.type == "identifier" and receiver.text == name
                and method is not None and (method.text or b"").decode() in syntax.mutators
            ):  # fmt: skip
                found.append(node)
        stack.extend(reversed(node.named_children))
    return found


def _is_sanitizer(call: Node, callee: Node, syntax: Syntax) -> bool:
    """Whether the call's callee (Java: receiver.name) matches one of the language's sanitizer patterns."""
    receiver = call.child_by_field_name("object") if call.type == "method_invocation" else None
    written = (receiver.text or b"").decode() + "." if receiver is not None else ""
    written = re.sub(r"\s+", "", written + (callee.text or b"").decode("utf-8", "replace"))
    return any(fnmatch.fnmatchcase(written, pattern) for pattern in syntax.sanitizers)


def _argument_value(node: Node) -> Node:
    """The value of a keyword argument, or the argument itself."""
    if node.type in ("keyword_argument", "pair"):
        return node.child_by_field_name("value") or node
    return node


def _dominates(target: Node, use: Node, syntax: Syntax) -> bool:
    """Whether the assignment to `target` is a statement of a block that also holds `use` (so every path
    to the use passes it): `query = "SELECT ..."` right before `select(query)`, not one in another
    branch of an `if` or in an earlier loop body."""
    statement = target
    while statement.parent is not None and statement.parent.type not in syntax.blocks:
        statement = statement.parent
    block = statement.parent
    if block is None:
        return False
    return (
        block.start_byte <= use.start_byte
        and use.end_byte <= block.end_byte
        and statement.end_byte <= use.start_byte
    )


def _classify_name(node: Node, syntax: Syntax, depth: int) -> Verdict:
    name = node.text
    scope, use = enclosing_scope(node, syntax), node
    while True:
        reaching = [
            (target, value, augmented)
            for target, value, augmented in _assignments(scope, syntax)
            if target.text == name and target.start_byte < use.start_byte and target.id != node.id
        ]
        outer = enclosing_scope(scope, syntax)
        if reaching or outer is scope or _binds_parameter(scope, name):
            break
        # A closure (a lambda, a nested function) that neither assigns the name nor takes it as a
        # parameter reads the enclosing scope's: classify it there, as it stands where the closure is.
        scope, use = outer, scope
    # A plain assignment every path passes hides the earlier ones: a name reused for another query in
    # an earlier branch does not make this one dynamic.
    last = max(
        (
            i
            for i, (target, _, augmented) in enumerate(reaching)
            if not augmented and _dominates(target, use, syntax)
        ),
        default=0,
    )
    verdicts: list[Verdict] = []
    for _target, value, augmented in reaching[last:]:
        if augmented:
            verdict = classify(value, syntax, depth + 1)
            verdicts.append(verdict if verdict.kind is Kind.CONST else Verdict(Kind.DYNAMIC, value.parent))
        else:
            verdicts.append(classify(value, syntax, depth + 1))
    if not verdicts:
        return Verdict(Kind.UNKNOWN)
    # What was added to it in place since (`sb.append(x)`, `parts.append(x)`): part of its text.
    since = reaching[last][0].start_byte if reaching else 0
    _, _, args_field = syntax.calls
    for call in _mutations(scope, name, use.start_byte, syntax):
        arguments = call.child_by_field_name(args_field)
        if call.start_byte < since or arguments is None:
            continue
        added = _all_const([_argument_value(c) for c in arguments.named_children if c.type != "comment"],
                           syntax, depth)  # fmt: skip
        verdicts.append(Verdict(Kind.CONST) if added.kind is Kind.CONST else Verdict(Kind.DYNAMIC, call))
    dynamic = [v for v in verdicts if v.kind is Kind.DYNAMIC]
    if dynamic:
        return dynamic[-1]
    if all(v.kind is Kind.CONST for v in verdicts):
        return Verdict(Kind.CONST)
    return Verdict(Kind.UNKNOWN)


def _binds_parameter(scope: Node, name: bytes | None) -> bool:
    """Whether the function or lambda `scope` takes `name` as a parameter (any grammar: the names in
    its parameters field, or the lone parameter of an arrow function)."""
    parameters = scope.child_by_field_name("parameters") or scope.child_by_field_name("parameter")
    if parameters is None:
        return False
    stack = [parameters]
    while stack:
        current = stack.pop()
        if current.type == "identifier" and current.text == name:
            return True
        stack.extend(current.named_children)
    return False


def _assignments(scope: Node, syntax: Syntax) -> list[tuple[Node, Node, bool]]:
    """(target, value, is_augmented) for simple-name assignments in `scope`, not in nested functions. A
    loop's target is assigned the loop itself as its value: `classify` reads it as an element of what
    the loop goes over."""
    found: list[tuple[Node, Node, bool]] = []
    shapes = {kind: (t, v) for kind, t, v in syntax.assignments}
    stack = list(reversed(scope.named_children))
    while stack:
        node = stack.pop()
        if node.type in syntax.scopes:
            continue
        fields = shapes.get(node.type)
        if node.type in syntax.augmented:
            fields = ("left", "right")
        if node.type == syntax.loop[0]:
            target = node.child_by_field_name(syntax.loop[1])
            if target is not None and target.type == "identifier":
                found.append((target, node, False))
        if fields:
            target, value = node.child_by_field_name(fields[0]), node.child_by_field_name(fields[1])
            if target is not None and value is not None and target.type == "identifier":
                operator = node.child_by_field_name("operator")
                augmented = node.type in syntax.augmented or (operator is not None and operator.type == "+=")
                found.append((target, value, augmented))
        stack.extend(reversed(node.named_children))
    return found
