"""Names a JavaScript or TypeScript fragment reads and binds, from its tree-sitter tree.

names.py's second language family. The fragment is parsed inside its line (the text before and
after the cursor), so `const { 甲, 乙 } = 对象` is a declaration and not a block, and `{ 名字: 值▮ }` an
object. Reads are variable references
(`identifier`, and `{ 甲 }` shorthand in object literals); property names, labels, types and lower-case
JSX tags are not. Bindings are declared names (variables and their patterns, parameters, functions,
classes, catch parameters, imports, `for … of` targets) anywhere in the fragment, since JavaScript
hoists declarations. Identifiers inside an ERROR node are not reported as reads: a misparse must not
turn into an "unknown name".
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import tree_sitter as ts

from .syntax import parser_for

SCRIPT_LANGUAGES = frozenset({"javascript", "javascriptreact", "typescript", "typescriptreact"})

# Node types whose identifier descendants are all declarations.
_BINDING_CONTAINERS = frozenset(
    {
        "formal_parameters",
        "object_pattern",
        "array_pattern",
        "rest_pattern",
        "import_clause",
        "namespace_import",
    }
)
# (parent type, field) pairs whose identifier is a declaration.
_BINDING_FIELDS = frozenset(
    {
        ("variable_declarator", "name"),
        ("function_declaration", "name"),
        ("function_expression", "name"),
        ("generator_function_declaration", "name"),
        ("generator_function", "name"),
        ("class_declaration", "name"),
        ("abstract_class_declaration", "name"),
        ("class", "name"),
        ("arrow_function", "parameter"),
        ("catch_clause", "parameter"),
        ("for_in_statement", "left"),
        ("enum_declaration", "name"),
        ("internal_module", "name"),
        ("import_specifier", "alias"),
        ("assignment_pattern", "left"),
    }
)
_JSX_TAGS = frozenset({"jsx_opening_element", "jsx_closing_element", "jsx_self_closing_element"})
_READS = frozenset({"identifier", "shorthand_property_identifier"})
_NAMES = _READS | {"shorthand_property_identifier_pattern"}


@cache
def script_globals() -> frozenset[str]:
    """Global names of JavaScript environments (script_globals.json)."""
    data = json.loads(Path(__file__).with_name("script_globals.json").read_text(encoding="utf-8"))
    return frozenset(data["names"])


def script_reads(
    line_before: str, completion: str, language_id: str, line_after: str = ""
) -> tuple[list[str], set[str]]:
    """(names the completion reads, in order; names the fragment binds)."""
    parser = parser_for(language_id)
    if parser is None:
        return [], set()
    head, body = line_before.encode("utf-8"), completion.encode("utf-8")
    tree = parser.parse(head + body + line_after.encode("utf-8"))
    reads: list[str] = []
    bound: set[str] = set()
    _walk(tree.root_node, (len(head), len(head) + len(body)), reads, bound, declaring=False, in_error=False)
    return reads, bound


def _walk(
    node: ts.Node,
    span: tuple[int, int],
    reads: list[str],
    bound: set[str],
    *,
    declaring: bool,
    in_error: bool,
) -> None:
    for index, child in enumerate(node.children):
        field = node.field_name_for_child(index)
        declares = (
            declaring
            or child.type in _BINDING_CONTAINERS
            or (node.type, field) in _BINDING_FIELDS
            or _import_name_without_alias(node, field)
        )
        if child.type not in _NAMES:
            if child.child_count:
                _walk(child, span, reads, bound, declaring=declares, in_error=in_error or child.is_error)
            continue
        name = child.text.decode("utf-8", "replace") if child.text is not None else ""
        if child.type == "shorthand_property_identifier_pattern" or (declares and child.type == "identifier"):
            bound.add(name)
        elif (
            child.type in _READS
            and not in_error
            and child.end_byte > span[0]  # a healed identifier started before the cursor counts
            and child.start_byte < span[1]
            and not (node.type in _JSX_TAGS and name[:1].islower())
        ):
            reads.append(name)


def _import_name_without_alias(node: ts.Node, field: str | None) -> bool:
    """`import { 甲 } from …` binds 甲 (with `as 乙` only the alias is bound)."""
    return node.type == "import_specifier" and field == "name" and node.child_by_field_name("alias") is None
