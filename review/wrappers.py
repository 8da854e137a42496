"""Wrapper sinks: a function that hands one of its parameters to a known sink is a sink itself.

Code that runs SQL or shell commands usually does it through a helper of its own (`utils.exec(cmd)`
around `child_process.exec`, `run_sql(q)` around `cursor.execute`), so the string built from input
reaches the library call in another function, often another file, than the one it is built in. A
parameter counts as passed to the sink when the sink's argument is the parameter itself or text built
from it; calls of the wrapper then get the sink's rule, checked for an argument visibly built from
non-constants ("dynamic") whatever the sink's own check, because a helper's callers pass names whose
values this analysis cannot see, and flagging each of them would bury the real findings.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass

from tree_sitter import Node

from daima.review.dataflow import Kind, classify, enclosing_scope
from daima.review.rules import rules_table
from daima.review.syntax import Syntax

# Parameter node shapes per language: (node type, field holding the name, or "" for the node itself).
_PARAMETERS: dict[str, dict[str, str]] = {
    "python": {
        "identifier": "",
        "typed_parameter": "0",
        "default_parameter": "name",
        "typed_default_parameter": "name",
    },
    "javascript": {"identifier": "", "assignment_pattern": "left"},
    "java": {"formal_parameter": "name"},
}
# Nodes that give an anonymous function its name: `const run = (cmd) => …`, `exports.run = function…`,
# `{ run(cmd) {…} }` / `{ run: function(cmd) {…} }`.
_NAMING_PARENTS = {
    "variable_declarator": "name",
    "assignment_expression": "left",
    "pair": "key",
}
# Receivers a Python method's callers do not pass.
_IMPLICIT_FIRST = ("self", "cls")
MAX_ROUNDS = 3  # wrappers of wrappers of wrappers


@dataclass(frozen=True)
class Wrapper:
    """A function whose parameter at `position` (counted in its callers' arguments) reaches a sink."""

    name: str
    position: int
    parameter: str
    rule_id: str
    reaches: str  # the sink it passes the parameter to, as written (`child_process.exec`)
    path: str
    line: int


@dataclass(frozen=True)
class SinkUse:
    """One use of a sink in a tree: the rule, the sink node, the checked argument, its label."""

    rule_id: str
    sink: Node
    arg: Node
    label: str


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""


def _last_name(node: Node | None) -> str:
    """`utils.exec` → `exec`; `this.run` → `run`; a plain identifier as it is."""
    if node is None:
        return ""
    inner = node.child_by_field_name("attribute") or node.child_by_field_name("property") or node
    return _text(inner) if inner.type in ("identifier", "property_identifier") else ""


def function_name(function: Node) -> str:
    """The name a function is called by, or "" for an anonymous one nothing names."""
    named = function.child_by_field_name("name")
    if named is not None:
        return _text(named)
    parent = function.parent
    if parent is not None and parent.type in _NAMING_PARENTS:
        target = parent.child_by_field_name(_NAMING_PARENTS[parent.type])
        if target is not None and target.type in ("string", "property_identifier", "identifier"):
            return _text(target).strip("'\"")
        return _last_name(target)
    return ""


def parameters(function: Node, language: str) -> list[str]:
    """The names of a function's plain parameters, in order ("" for one that is not a plain name)."""
    holder = function.child_by_field_name("parameters") or function.child_by_field_name("parameter")
    if holder is None:
        return []
    if holder.type == "identifier":  # JavaScript `cmd => …`
        return [_text(holder)]
    shapes = _PARAMETERS[language]
    names = []
    for child in holder.named_children:
        if child.type == "comment":
            continue
        field = shapes.get(child.type)
        if field is None:
            names.append("")
        elif field == "":
            names.append(_text(child))
        elif field.isdigit():
            names.append(_text(child.named_children[int(field)]) if child.named_children else "")
        else:
            names.append(_text(child.child_by_field_name(field)))
    return names


def _is_method(function: Node, language: str, names: list[str]) -> bool:
    """A Python function defined in a class body whose first parameter is the receiver."""
    if language != "python" or not names or names[0] not in _IMPLICIT_FIRST:
        return False
    node = function.parent
    if node is not None and node.type == "decorated_definition":
        node = node.parent
    return (
        node is not None
        and node.type == "block"
        and node.parent is not None
        and (node.parent.type == "class_definition")
    )


def _identifiers(node: Node) -> Iterator[str]:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "identifier":
            yield _text(current)
        stack.extend(current.children)


def _flowing_parameter(use: SinkUse, names: list[str], syntax: Syntax) -> str | None:
    """The parameter the sink's argument is, or is built from; None when it is neither."""
    arg = use.arg
    while arg.type in syntax.wrappers and arg.named_child_count == 1:
        arg = arg.named_children[0]
    if arg.type == "identifier":
        verdict = classify(arg, syntax)
        if verdict.kind is Kind.UNKNOWN and _text(arg) in names:
            return _text(arg)  # passed as it came in (no assignment before the sink changes it)
    verdict = classify(use.arg, syntax)
    if verdict.kind is Kind.DYNAMIC and verdict.evidence is not None:
        used = set(_identifiers(verdict.evidence))
        return next((name for name in names if name and name in used), None)
    return None


def wrappers_in(uses: Iterable[SinkUse], syntax: Syntax, language: str, path: str) -> list[Wrapper]:
    """The functions of one tree that pass a parameter to one of `uses`."""
    found: dict[tuple[str, int], Wrapper] = {}
    for use in uses:
        function = enclosing_scope(use.sink, syntax)
        if function.parent is None:  # module level: nothing is passed in
            continue
        name = function_name(function)
        names = parameters(function, language)
        parameter = _flowing_parameter(use, names, syntax) if name else None
        if parameter is None:
            continue
        position = names.index(parameter) - (1 if _is_method(function, language, names) else 0)
        if position < 0:
            continue
        reaches = use.label.split(" → ")[-1]
        line = function.start_point[0] + 1
        found.setdefault(
            (name, position), Wrapper(name, position, parameter, use.rule_id, reaches, path, line)
        )
    return list(found.values())


def aliases_in(root: Node, language: str, path: str) -> list[Wrapper]:
    """Names bound to a sink function (rules.json "aliases"): `const run = util.promisify(cp.exec)`
    makes `run(cmd)` the sink, so a helper that hands its parameter to `run` is a wrapper too."""
    table = rules_table()["aliases"].get(language)
    if not table:
        return []
    through, sinks, receivers = set(table["through"]), table["sinks"], re.compile(table["receivers"])
    found: list[Wrapper] = []
    stack = [root]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if node.type != "variable_declarator" or name is None or value is None or name.type != "identifier":
            continue
        if value.type == "call_expression" and _last_name(value.child_by_field_name("function")) in through:
            arguments = value.child_by_field_name("arguments")
            value = (
                arguments.named_children[0] if arguments is not None and arguments.named_children else None
            )
        sink = _sink_named(value, sinks, receivers)
        if sink and value is not None:
            line = node.start_point[0] + 1
            found.append(Wrapper(_text(name), 0, "", sinks[sink], _text(value), path, line))
    return found


def _sink_named(value: Node | None, sinks: dict[str, str], receivers: re.Pattern[str]) -> str:
    """The sink function `value` names: a bare (destructured) sink name, or one read on a receiver the
    rules know (`cp.exec`, `require("child_process").exec`)."""
    if value is None:
        return ""
    if value.type == "identifier":
        return _text(value) if _text(value) in sinks else ""
    owner, member = value.child_by_field_name("object"), _last_name(value)
    if value.type != "member_expression" or owner is None or member not in sinks:
        return ""
    if owner.type == "call_expression":
        owner = owner.child_by_field_name("function")
    return member if owner is not None and receivers.fullmatch(_text(owner)) else ""


def calls_of(root: Node, wrappers: list[Wrapper], syntax: Syntax) -> Iterator[SinkUse]:
    """Every call in the tree of one of `wrappers`, as a use of the sink it reaches."""
    by_name: dict[str, list[Wrapper]] = {}
    for wrapper in wrappers:
        by_name.setdefault(wrapper.name, []).append(wrapper)
    if not by_name:
        return  # no wrapper: no walk (the completion path checks most candidates with none)
    call_type, callee_field, arguments_field = syntax.calls
    stack = [root]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type != call_type:
            continue
        callee = node.child_by_field_name(callee_field)
        name = _text(callee) if callee is not None and callee.type == "identifier" else _last_name(callee)
        arguments = node.child_by_field_name(arguments_field)
        if name not in by_name or arguments is None:
            continue
        positional = [c for c in arguments.named_children if c.type not in ("comment", "keyword_argument")]
        keywords = {
            _text(c.child_by_field_name("name")): c.child_by_field_name("value")
            for c in arguments.named_children
            if c.type == "keyword_argument"
        }
        for wrapper in by_name[name]:
            arg = keywords.get(wrapper.parameter)
            if arg is None and wrapper.position < len(positional):
                arg = positional[wrapper.position]
            if arg is not None:
                label = f"{name} → {wrapper.reaches}"
                yield SinkUse(wrapper.rule_id, node, arg, label)


def wrapper_uses(
    root: Node, uses: list[SinkUse], syntax: Syntax, language: str, path: str, known: list[Wrapper]
) -> tuple[list[SinkUse], list[Wrapper]]:
    """Calls in `root` of the wrappers defined in it (wrappers of wrappers included) and of `known`
    ones defined elsewhere; with the wrappers this tree defines."""
    defined = wrappers_in(uses, syntax, language, path) + aliases_in(root, language, path)
    found: list[SinkUse] = []
    seen: set[tuple[int, int]] = set()
    for _ in range(MAX_ROUNDS):
        new = [
            use for use in calls_of(root, defined + known, syntax) if (use.sink.id, use.arg.id) not in seen
        ]
        if not new:
            break
        seen.update((use.sink.id, use.arg.id) for use in new)
        found.extend(new)
        more = [w for w in wrappers_in(new, syntax, language, path) if w not in defined]
        if not more:
            break
        defined.extend(more)
    return found, defined


_CALLED = re.compile(r"([^\W\d]\w*)\s*\(")


def called_names(text: str, lines: Collection[int]) -> set[str]:
    """Names called on the given 1-based lines (a cheap filter before any other file is parsed)."""
    rows = text.split("\n")
    return {name for line in lines if 0 < line <= len(rows) for name in _CALLED.findall(rows[line - 1])}


def defining(names: Collection[str]) -> re.Pattern[str]:
    """A pattern for text that may define one of `names` as a function (a filter: only files it matches
    are parsed): `def name`, `function name`, `name = (…) =>` / `name: function`, a Java or object-literal
    method `name(…) {`."""
    alternatives = "|".join(sorted(map(re.escape, names)))
    return re.compile(
        rf"\b(?:def|function)\s+(?:{alternatives})\b"
        rf"|\b(?:{alternatives})\s*[:=]\s*(?:async\s+)?(?:function\b|\(|[^\W\d]\w*\s*=>)"
        rf"|\b(?:{alternatives})\s*\([^()]*\)\s*(?:throws[^{{;]*)?\{{"
    )


def stem(path: str) -> str:
    """The module or class name a file is imported by: `src/utils.js` → `utils`."""
    name = path.rsplit("/", 1)[-1]
    return name.split(".", 1)[0]


def reachable(wrapper: Wrapper, caller_text: str) -> bool:
    """Whether a file can call a wrapper defined in another file: it names that file's module or class
    (`require("./utils")`, `from app.db import run_sql`, `DbUtil.exec(...)`). Matching by the called
    name alone would make every `exec` or `run` in the repository a sink."""
    module = stem(wrapper.path)
    return bool(module) and re.search(rf"(?<![\w]){re.escape(module)}(?![\w])", caller_text, re.I) is not None
