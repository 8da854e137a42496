"""Context for the model: the changed functions, the definitions they use and their callers.

Gathered with tree-sitter from the head revision in git's object store (so it is exactly the reviewed
revision and never a file outside the repository), within a character budget.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Node, Parser

from daima.review.checks import language_of, ts_language
from daima.review.diff import read_blobs, tree_entries

log = logging.getLogger(__name__)

# Node types per language: definitions (with a `name` field) and calls (callee field).
DEFINITIONS = {
    "python": frozenset({"function_definition", "class_definition"}),
    "java": frozenset({"method_declaration", "constructor_declaration", "class_declaration"}),
    "javascript": frozenset({"function_declaration", "method_definition", "class_declaration"}),
}
CALLS = {
    "python": ("call", "function"),
    "java": ("method_invocation", "name"),
    "javascript": ("call_expression", "function"),
}
MAX_FILES = 300  # repository files scanned for definitions and callers
SNIPPET_LINES = 12
CHANGED_LINES = 60


@dataclass(frozen=True)
class Definition:
    path: str
    name: str
    node: Node


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def _name(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace").rsplit(".", 1)[-1]


def _called_name(call: Node, language: str) -> str:
    callee = call.child_by_field_name(CALLS[language][1])
    if callee is None:
        return ""
    inner = callee.child_by_field_name("attribute") or callee.child_by_field_name("property") or callee
    return _name(inner)


def _definitions(root: Node, path: str, language: str) -> list[Definition]:
    found = []
    for node in _walk(root):
        if node.type in DEFINITIONS[language]:
            name = _name(node.child_by_field_name("name"))
            if name:
                found.append(Definition(path, name, node))
    return found


def _snippet(node: Node, limit: int = SNIPPET_LINES) -> str:
    text = node.text.decode("utf-8", "replace") if node.text else ""
    lines = text.splitlines()
    return "\n".join(lines[:limit]) + ("\n    ..." if len(lines) > limit else "")


def changed_functions(root: Node, language: str, added_lines: Collection[int]) -> list[Definition]:
    """The innermost functions or methods that contain an added line."""
    rows = {line - 1 for line in added_lines}

    def touched(d: Definition) -> bool:
        return any(d.node.start_point[0] <= r <= d.node.end_point[0] for r in rows)

    functions = [
        d for d in _definitions(root, "", language) if not d.node.type.startswith("class") and touched(d)
    ]

    def contains(outer: Definition, inner: Definition) -> bool:
        return (
            outer is not inner
            and outer.node.start_byte <= inner.node.start_byte <= inner.node.end_byte <= outer.node.end_byte
        )

    # Keep the innermost: drop a function that contains another changed function.
    return [f for f in functions if not any(contains(f, g) for g in functions)]


def gather(repo: Path, head: str, path: str, text: str, added_lines: Collection[int], budget: int) -> str:
    """Context for a changed file within `budget` characters: the changed functions whole, then the
    definitions they use and their callers, from the other files of its language at `head`."""
    language = language_of(path)
    if language is None or budget <= 0:
        return ""
    parser = Parser(ts_language(language))
    root = parser.parse(text.encode("utf-8")).root_node
    changed = changed_functions(root, language, added_lines)
    changed_names = {d.name for d in changed}
    call_type = CALLS[language][0]
    called = {_called_name(n, language) for d in changed for n in _walk(d.node) if n.type == call_type}
    called -= changed_names | {""}
    sections = [f"# changed function: {path}\n{_snippet(d.node, CHANGED_LINES)}\n" for d in changed]
    entries = [e for e in tree_entries(repo, head) if language_of(e.path) == language and e.path != path]
    sources = {path: text, **read_blobs(repo, entries[:MAX_FILES])}
    for other, source in sources.items():
        if sum(map(len, sections)) >= budget:
            break
        other_root = root if other == path else parser.parse(source.encode("utf-8")).root_node
        for definition in _definitions(other_root, other, language):
            if definition.name in called:
                sections.append(f"# definition used by the change: {other}\n{_snippet(definition.node)}\n")
                called.discard(definition.name)
            elif definition.name not in changed_names and not definition.node.type.startswith("class"):
                calls = {_called_name(n, language) for n in _walk(definition.node) if n.type == call_type}
                if calls & changed_names:
                    sections.append(
                        f"# caller of the changed code: {other}\n{_snippet(definition.node, 8)}\n"
                    )
    return "\n".join(sections)[:budget]
