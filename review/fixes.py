"""Mechanical fixes: rewrite a formatted SQL string into a parameterised query, `yaml.load` into
`yaml.safe_load`. A fix is offered only when the rewrite is certain; otherwise the message says what to do.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tree_sitter import Node

from daima.review.findings import Fix
from daima.review.rules import rules_table
from daima.text import TextDocument


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""


def _placeholder(language: str, source: str) -> str:
    table = rules_table()["fixes"]["parameterize"]["placeholder"]
    if language == "python" and re.search(r"^\s*(import|from)\s+sqlite3\b", source, re.M):
        return str(table["python:sqlite3"])
    return str(table.get(language, "?"))


def _join(parts: list[str], placeholder: str) -> str:
    """SQL text with one placeholder per value ("$n" numbers them); quotes around a value ('{x}') go."""
    sql = ""
    for index in range(len(parts) - 1):
        before, after = parts[index], parts[index + 1]
        if before.endswith(("'", '"')) and after.startswith(before[-1]):
            before = before[:-1]
            parts[index + 1] = after[1:]
        sql += before + (f"${index + 1}" if placeholder == "$n" else placeholder)
    return sql + parts[-1]


def _python_fstring(arg: Node, placeholder: str) -> tuple[str, list[str]] | None:
    start = arg.child(0)
    prefix = _text(start)
    if "f" not in prefix.lower() or "b" in prefix.lower():
        return None
    parts, values = [""], []
    for child in arg.children[1:-1]:
        if child.type == "interpolation":
            if any(c.type in ("format_specifier", "type_conversion") for c in child.named_children):
                return None
            values.append(_text(child.named_children[0]))
            parts.append("")
        else:
            parts[-1] += _text(child).replace("{{", "{").replace("}}", "}")
    if not values:
        return None
    if placeholder == "%s":
        parts = [p.replace("%", "%%") for p in parts]
    sql = _join(parts, placeholder)
    quote = re.sub(r"^[A-Za-z]*", "", prefix)
    return f"{quote}{sql}{quote}", values


def _python_percent(arg: Node, placeholder: str) -> tuple[str, list[str]] | None:
    left, right = arg.child_by_field_name("left"), arg.child_by_field_name("right")
    if (
        left is None
        or right is None
        or left.type != "string"
        or _text(arg.child_by_field_name("operator")) != "%"
    ):
        return None
    literal = _text(left)
    specs = re.findall(r"%[^%]", literal.replace("%%", ""))
    if not specs or any(s != "%s" for s in specs):
        return None
    values = [_text(c) for c in right.named_children] if right.type == "tuple" else [_text(right)]
    if len(values) != len(specs):
        return None
    if placeholder != "%s":
        pieces = literal.replace("%%", "\0").split("%s")
        literal = _join(pieces, placeholder).replace("\0", "%")
    else:
        pieces = literal.split("%s")
        literal = _join(pieces, "%s")
    return literal, values


def _js_template(arg: Node, placeholder: str) -> tuple[str, list[str]] | None:
    parts, values = [""], []
    for child in arg.named_children:
        if child.type == "template_substitution":
            values.append(_text(child.named_children[0]) if child.named_children else "")
            parts.append("")
        else:
            parts[-1] += _text(child)
    if not values or any("\n" in p or '"' in p for p in parts):
        return None
    return f'"{_join(parts, placeholder)}"', values


def _parameterize(sink: Node, arg: Node, document: TextDocument, language: str) -> Fix | None:
    args = sink.child_by_field_name("arguments")
    if args is None or len([c for c in args.named_children if c.type != "comment"]) != 1:
        return None  # already has a parameters argument, or nothing to rewrite
    placeholder = _placeholder(language, document.text)
    rewritten: tuple[str, list[str]] | None = None
    if language == "python" and arg.type == "string":
        rewritten = _python_fstring(arg, placeholder)
    elif language == "python" and arg.type == "binary_operator":
        rewritten = _python_percent(arg, placeholder)
    elif language == "javascript" and arg.type == "template_string":
        if re.search(r"require\(['\"]pg['\"]\)|from\s+['\"]pg['\"]", document.text):
            placeholder = "$n"
        rewritten = _js_template(arg, placeholder)
    if rewritten is None:
        return None
    sql, values = rewritten
    if language == "python":
        params = f"({values[0]},)" if len(values) == 1 else f"({', '.join(values)})"
    else:
        params = f"[{', '.join(values)}]"
    return Fix(
        start=document.offset_from_byte(arg.start_byte),
        end=document.offset_from_byte(arg.end_byte),
        replacement=f"{sql}, {params}",
        description="Use a parameterised query",
    )


def _yaml_safe_load(sink: Node, arg: Node, document: TextDocument, language: str) -> Fix | None:
    callee = sink.child_by_field_name("function")
    attribute = callee.child_by_field_name("attribute") if callee is not None else None
    args = sink.child_by_field_name("arguments")
    if attribute is None or args is None or _text(attribute) not in ("load", "load_all", "unsafe_load"):
        return None
    if len(args.named_children) != 1:
        return None  # a Loader argument is there; changing it is a judgement, not a mechanical fix
    name = "safe_load_all" if _text(attribute).endswith("_all") else "safe_load"
    return Fix(
        start=document.offset_from_byte(attribute.start_byte),
        end=document.offset_from_byte(attribute.end_byte),
        replacement=name,
        description="Use yaml.safe_load",
    )


FIXES: dict[str, Callable[[Node, Node, TextDocument, str], Fix | None]] = {
    "parameterize": _parameterize,
    "yaml-safe-load": _yaml_safe_load,
}


def make_fix(name: str, sink: Node, arg: Node, document: TextDocument, language: str) -> Fix | None:
    """The named mechanical fix for a finding, or None when the rewrite would not be certain."""
    maker = FIXES.get(name)
    return maker(sink, arg, document, language) if maker else None
