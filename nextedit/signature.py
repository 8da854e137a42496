"""Signature propagation: a parameter added to a function's definition is added to its calls.

The burst must lie in the parameter list of a function definition, and that list must have gained
exactly one parameter that every call has to pass (no default, not `*args`/`...rest`). The calls are
those the scope model resolves to the function's name in this file, or for a method the calls on its
own receiver inside its class (`self.f(…)`, `this.f(…)`). Each call gets the new argument at the
new parameter's position (Python: by keyword when the parameter is keyword-only, after `*`, or
when the call already leaves earlier defaulted parameters out), and the argument is the parameter's
own name, proposed only where a variable of that name is visible at the call: that is the value a
refactoring threads through, and any other value would be a guess. Calls that spread their
arguments are left alone. The node types each language uses are data (signatures.json).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import tree_sitter as ts

from daima.indexer.bindings import ScopeTable
from daima.indexer.languages import Language

from .edits import Analysis, Proposal, ProposedEdit, analyse, apply_edits, still_parses
from .history import Burst


@dataclass(frozen=True)
class _Parameter:
    name: str
    needed: bool  # every call must pass it (no default, not variadic)
    variadic: bool


def propose_arguments(text: str, bursts: list[Burst], language: Language) -> Proposal | None:
    burst = bursts[0]
    shape = _shape(language.name)
    if shape is None:
        return None
    now = analyse(language, text)
    tree = now.tree
    function = _function_with_parameters_at(tree, now.byte(burst.start), shape)
    if function is None:
        return None
    before = analyse(language, burst.original(text))
    old_function = _function_with_parameters_at(before.tree, before.byte(burst.start), shape)
    if old_function is None:
        return None
    name_node = function.child_by_field_name("name")
    old_name_node = old_function.child_by_field_name("name")
    if name_node is None or old_name_node is None or name_node.text != old_name_node.text:
        return None
    added = _one_added(_parameters(old_function, shape), _parameters(function, shape))
    if added is None:
        return None
    position, parameter, by_keyword = added
    if by_keyword and shape["keyword_argument"] is None:
        return None
    table = now.table
    if table is None:
        return None
    function_name = _text(name_node)
    reason = f"pass {parameter.name} to {function_name}"
    edits = []
    for call, receiver_skipped in _calls(function, name_node, tree, table, shape, language):
        if table.visible(tree, call.start_byte, parameter.name) is None:
            continue
        edit = _argument_edit(call, position - receiver_skipped, parameter.name, shape, by_keyword)
        if edit is not None:
            at_byte, inserted = edit
            at = now.char(at_byte)
            edits.append(ProposedEdit(at, at, inserted, reason))
    if not edits:
        return None
    if not still_parses(now, analyse(language, apply_edits(text, edits))):
        return None
    return Proposal("signature", edits)


def keyword_arguments(now: Analysis, parameter: int, name: str) -> list[ts.Node]:
    """When the identifier at `parameter` (str offset) is a parameter of a function definition: the
    keyword argument names `name=` of this file's calls of that function (a renamed parameter renames
    them)."""
    language, tree = now.language, now.tree
    shape = _shape(language.name)
    if shape is None or shape["keyword_argument"] is None:
        return []
    function = _function_with_parameters_at(tree, now.byte(parameter) + 1, shape)
    name_node = function.child_by_field_name("name") if function is not None else None
    if function is None or name_node is None or now.table is None:
        return []
    table = now.table
    found = []
    for call, _ in _calls(function, name_node, tree, table, shape, language):
        arguments = call.child_by_field_name("arguments")
        for argument in arguments.named_children if arguments is not None else ():
            if argument.type != shape["keyword_argument"]:
                continue
            keyword = argument.child_by_field_name("name")
            if keyword is not None and _text(keyword) == name:
                found.append(keyword)
    return found


def _function_with_parameters_at(tree: ts.Tree, byte: int, shape: dict[str, Any]) -> ts.Node | None:
    """The function definition whose parameter list holds `byte`, or None."""
    node: ts.Node | None = tree.root_node.descendant_for_byte_range(byte, byte)
    while node is not None:
        if node.type in shape["functions"]:
            parameters = node.child_by_field_name("parameters")
            if parameters is not None and parameters.start_byte < byte < parameters.end_byte:
                return node
            return None
        node = node.parent
    return None


def _parameters(function: ts.Node, shape: dict[str, Any]) -> list[_Parameter]:
    parameters = function.child_by_field_name("parameters")
    found = []
    for child in parameters.named_children if parameters is not None else ():
        if child.type == "comment":
            continue
        variadic = child.type in shape["variadic"] or any(
            grandchild.type in shape["variadic"] for grandchild in child.named_children
        )
        defaulted = child.type in shape["defaulted"] or (
            "defaulted_field" in shape and child.child_by_field_name(shape["defaulted_field"]) is not None
        )
        identifier = _first_identifier(child)
        name = _text(identifier) if identifier is not None else ""
        found.append(_Parameter(name, not (variadic or defaulted) and bool(name), variadic))
    return found


def _one_added(old: list[_Parameter], new: list[_Parameter]) -> tuple[int, _Parameter, bool] | None:
    """(position, parameter, keyword only) when `new` is `old` with one needed parameter inserted,
    else None. A parameter after a variadic one (`*`, `*args`) can only be passed by keyword."""
    if len(new) != len(old) + 1:
        return None
    for position, parameter in enumerate(new):
        if [p.name for p in new[:position] + new[position + 1 :]] == [p.name for p in old]:
            if not parameter.needed:
                return None
            return position, parameter, any(p.variadic for p in new[:position])
    return None


def _calls(
    function: ts.Node,
    name_node: ts.Node,
    tree: ts.Tree,
    table: ScopeTable,
    shape: dict[str, Any],
    language: Language,
) -> list[tuple[ts.Node, int]]:
    """The calls of `function` in this file, each with how many leading parameters it does not pass
    (a method's `self`)."""
    calls = ts.QueryCursor(_calls_query(language)).captures(tree.root_node).get("call", [])
    owner = _class_of(function, shape)
    member = shape["member"]
    name = _text(name_node)
    found = []
    if owner is not None:
        skipped = 1 if shape["implicit_receiver"] and not _is_static(function, shape) else 0
        for call in calls:
            callee = call.child_by_field_name("function")
            if callee is None or callee.type != member["node"] or not _inside(call, owner):
                continue
            receiver = callee.child_by_field_name(member["object"])
            attribute = callee.child_by_field_name(member["property"])
            if (
                receiver is not None
                and attribute is not None
                and _text(attribute) == name
                and _text(receiver) in member["receivers"]
            ):
                found.append((call, skipped))
        return found
    own = table.at(tree, name_node.start_byte)
    if own is None or own[1] is None:
        return []
    for call in calls:
        callee = call.child_by_field_name("function")
        if callee is None or _text(callee) != name:
            continue
        resolved = table.at(tree, callee.start_byte)
        if resolved is not None and resolved[1] is own[1]:
            found.append((call, 0))
    return found


def _argument_edit(
    call: ts.Node, position: int, value: str, shape: dict[str, Any], by_keyword: bool
) -> tuple[int, str] | None:
    """(byte, text to insert) that passes `value` at `position` (or by keyword), or None when it
    cannot be placed."""
    arguments = call.child_by_field_name("arguments")
    if position < 0 or arguments is None or arguments.type not in ("argument_list", "arguments"):
        return None
    children = [child for child in arguments.named_children if child.type != "comment"]
    if any(child.type in shape["spread_arguments"] for child in children):
        return None
    keyword = shape["keyword_argument"]
    positional = [child for child in children if child.type != keyword]
    keywords = [child for child in children if child.type == keyword]
    if by_keyword:
        position = len(children) + 1  # after everything, as `name=value`
    if position < len(positional):
        return positional[position].start_byte, f"{value}, "
    if position == len(positional) and positional:
        return positional[-1].end_byte, f", {value}"
    if position == len(positional) and keywords:
        return keywords[0].start_byte, f"{value}, "
    if position == len(positional):
        return arguments.start_byte + 1, value
    if keyword is None:
        return None  # earlier parameters left to their defaults: only a keyword could skip them
    if children:
        return children[-1].end_byte, f", {value}={value}"
    return arguments.start_byte + 1, f"{value}={value}"


def _class_of(function: ts.Node, shape: dict[str, Any]) -> ts.Node | None:
    """The class whose body defines `function` directly, or None for a plain function."""
    node = function.parent
    while node is not None and node.type in shape["method_bodies"]:
        node = node.parent
    return node if node is not None and node.type in shape["classes"] else None


def _is_static(function: ts.Node, shape: dict[str, Any]) -> bool:
    decorated = function.parent
    if decorated is None or decorated.type != "decorated_definition":
        return False
    return any(_text(child).lstrip("@").strip() in shape["static_decorators"] for child in decorated.children)


def _inside(node: ts.Node, outer: ts.Node) -> bool:
    return outer.start_byte <= node.start_byte and node.end_byte <= outer.end_byte


def _first_identifier(node: ts.Node) -> ts.Node | None:
    if node.type == "identifier":
        return node
    for child in node.named_children:
        found = _first_identifier(child)
        if found is not None:
            return found
    return None


def _text(node: ts.Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


@cache
def _shapes() -> dict[str, Any]:
    source = resources.files("daima.nextedit").joinpath("signatures.json").read_text(encoding="utf-8")
    return json.loads(source)


def _shape(language_name: str) -> dict[str, Any] | None:
    shape = _shapes().get(language_name)
    if shape is not None and "same_as" in shape:
        shape = _shapes().get(shape["same_as"])
    return shape


@cache
def _calls_query(language: Language) -> ts.Query:
    shape = _shape(language.name) or {}
    patterns = " ".join(f"({node})" for node in shape.get("calls", ()))
    return ts.Query(language.ts_language, f"[{patterns}] @call")
