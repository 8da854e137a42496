"""Renames that reach other files: a name bound at the top of a module, renamed there, is renamed in
the files that import it, once the user goes to them.

The server remembers the latest such renames with the module they were made in (`RecentRenames`). A
Python file that imports the name from that module (`from 工具 import 合计`, relative imports
resolved) is proposed the same rename when a next edit is asked for it: the imported name and every
identifier of its binding there, or with an alias (`import 合计 as 求和`) the imported name alone; a
file that imports the module itself (`import 账本.工具`, `import 账本.工具 as 工具`) gets the attribute
renamed where it is read on that import (`工具.合计(…)`).
JavaScript and TypeScript files the same way, their modules being workspace paths without the extension
(`src/工具`, as the index stores relative imports): `import { 合计 } from './工具'` (an alias `{ 合计 as
求和 }` keeps the file's own name), `const { 合计 } = require('./工具')`, and the member read on a
namespace or a required module (`import * as 工具 …`, `const 工具 = require(…)`, then `工具.合计`).
The result is checked as an in-file rename is: it parses, and the binding keeps its size (a file that
already has the new name gets nothing). Nothing is proposed in a file the user has not gone to; the
file the rename was made in tells the client which files import the name (`importing_files`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import tree_sitter as ts

from daima.indexer.languages import Language
from daima.indexer.modules import normalize_module, strip_script_extension

from .edits import Analysis, Proposal, ProposedEdit, analyse, apply_edits, still_parses

MAX_RENAMES = 8


@dataclass(frozen=True)
class ModuleRename:
    module: str  # the dotted module the rename was made in ("账本.工具")
    old: str
    new: str


class RecentRenames:
    """The latest renames of module-level names, newest first; fed and read on different threads."""

    def __init__(self) -> None:
        self._renames: list[ModuleRename] = []
        self._lock = threading.Lock()

    def record(self, rename: ModuleRename) -> None:
        """Remember `rename`; one that continues an earlier one (a→b, then b→c) carries it on (a→c),
        and one that undoes it (b→a) ends it (a→a is nothing to do)."""
        with self._lock:
            kept = []
            for earlier in self._renames:
                if earlier.module == rename.module and earlier.new == rename.old:
                    if earlier.old != rename.new:
                        kept.append(ModuleRename(rename.module, earlier.old, rename.new))
                elif (earlier.module, earlier.old) != (rename.module, rename.old):
                    kept.append(earlier)
            self._renames = [rename, *kept]
            del self._renames[MAX_RENAMES:]

    def all(self) -> list[ModuleRename]:
        with self._lock:
            return list(self._renames)


def module_of(rel: str) -> str | None:
    """The module of a workspace-relative file as imports name it: `账本/工具.py` → `账本.工具`,
    `src/工具.ts` → `src/工具`; None for other files."""
    script = strip_script_extension(rel)
    if script != rel:
        return script
    if not rel.endswith(".py"):
        return None
    parts = rel[: -len(".py")].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or None


def importer_edits(text: str, language: Language, rel: str, renames: list[ModuleRename]) -> Proposal | None:
    """The rename this file (at workspace-relative `rel`) needs for a name it imports that was
    renamed in its module, or None."""
    if not renames:
        return None
    if language.script:
        return _script_importer_edits(analyse(language, text), rel, renames)
    if language.name != "python":
        return None
    now = analyse(language, text)
    captures = ts.QueryCursor(_imports_query(language)).captures(now.tree.root_node)
    statements = captures.get("import", [])
    for rename in renames:
        for statement in captures.get("module", []):
            proposal = _rename_on_module(now, statement, rename, captures.get("attribute", []))
            if proposal is not None:
                return proposal
        for statement in statements:
            module = statement.child_by_field_name("module_name")
            if module is None or module.text is None:
                continue
            if normalize_module("python", rel, module.text.decode("utf-8", "replace")) != rename.module:
                continue
            proposal = _rename_import(now, statement, rename)
            if proposal is not None:
                return proposal
    return None


def _rename_import(now: Analysis, statement: ts.Node, rename: ModuleRename) -> Proposal | None:
    reason = f"rename {rename.old} → {rename.new} (renamed in {rename.module})"
    for name in statement.children_by_field_name("name"):
        aliased = name.type == "aliased_import"
        dotted = name.child_by_field_name("name") if aliased else name
        if dotted is None or dotted.text is None or dotted.text.decode("utf-8", "replace") != rename.old:
            continue
        at = now.char(dotted.start_byte)
        if aliased:  # the alias is the file's own name: only the imported one changes
            edits = [ProposedEdit(at, at + len(rename.old), rename.new, reason)]
            return _checked(now, edits, None)
        return _binding_renamed(
            now, dotted.named_children[0] if dotted.named_children else dotted, rename, reason
        )
    return None


def _rename_on_module(
    now: Analysis, statement: ts.Node, rename: ModuleRename, attributes: list[ts.Node]
) -> Proposal | None:
    """For `import 账本.工具` (or `… as 工具`): the renamed name read as an attribute of that import."""
    table = now.table
    if table is None:
        return None
    for name in statement.children_by_field_name("name"):
        aliased = name.type == "aliased_import"
        dotted = name.child_by_field_name("name") if aliased else name
        if dotted is None or dotted.text is None or dotted.text.decode("utf-8", "replace") != rename.module:
            continue
        alias = name.child_by_field_name("alias") if aliased else None
        bound = alias if alias is not None else (dotted.named_children[0] if dotted.named_children else None)
        found = table.at(now.tree, bound.start_byte) if bound is not None else None
        if found is None or found[1] is None:
            continue
        spelled = alias.text if alias is not None else dotted.text  # how the file names the module
        reason = f"rename {rename.old} → {rename.new} (renamed in {rename.module})"
        edits = []
        for attribute in attributes:
            receiver, member = (
                attribute.child_by_field_name("object"),
                attribute.child_by_field_name("attribute"),
            )
            if receiver is None or member is None or receiver.text != spelled or member.text is None:
                continue
            if member.text.decode("utf-8", "replace") != rename.old:
                continue
            first = receiver  # the leftmost name of `账本.工具`: the one the import binds
            while first.type == "attribute" and first.named_children:
                first = first.named_children[0]
            reads = table.at(now.tree, first.start_byte)
            if reads is not None and reads[1] is found[1]:
                at = now.char(member.start_byte)
                edits.append(ProposedEdit(at, at + len(rename.old), rename.new, reason))
        if edits:
            return _checked(now, edits, None)
    return None


def _checked(now: Analysis, edits: list[ProposedEdit], size: int | None) -> Proposal | None:
    """The proposal when the renamed file parses and (for a binding of `size`) the new name names a
    binding of the same size; None otherwise."""
    renamed = analyse(now.language, apply_edits(now.text, edits))
    if not still_parses(now, renamed):
        return None
    if size is not None:
        first = sorted(edits, key=lambda edit: edit.start)[0]
        found = renamed.table.at(renamed.tree, renamed.byte(first.start)) if renamed.table else None
        if found is None or found[1] is None or len(found[1].occurrences) != size:
            return None
    return Proposal("rename", edits)


@cache
def _imports_query(language: Language) -> ts.Query:
    return ts.Query(
        language.ts_language,
        "(import_from_statement) @import (import_statement) @module (attribute) @attribute",
    )


def _script_importer_edits(now: Analysis, rel: str, renames: list[ModuleRename]) -> Proposal | None:
    """The rename a JavaScript or TypeScript file needs for a name it imports or requires."""
    captures = ts.QueryCursor(_script_imports_query(now.language)).captures(now.tree.root_node)
    members = captures.get("member", [])
    for rename in renames:
        for source in captures.get("source", []):
            spelled = (source.text or b"").decode("utf-8", "replace").strip("'\"`")
            if normalize_module(now.language.name, rel, spelled) != rename.module:
                continue
            statement = source.parent
            if statement is not None and statement.type == "arguments":  # require('./工具')
                statement = statement.parent.parent if statement.parent is not None else None
            proposal = _script_rename(now, statement, rename, members) if statement is not None else None
            if proposal is not None:
                return proposal
    return None


def _script_rename(
    now: Analysis, statement: ts.Node, rename: ModuleRename, members: list[ts.Node]
) -> Proposal | None:
    """For an import statement or the declarator a require() initialises: the renamed name where the
    file binds it, or where it reads it on the module's namespace."""
    reason = f"rename {rename.old} → {rename.new} (renamed in {rename.module})"
    for node in _descendants(statement):
        text = (node.text or b"").decode("utf-8", "replace")
        if node.type == "import_specifier":
            name, alias = node.child_by_field_name("name"), node.child_by_field_name("alias")
            if name is None or (name.text or b"").decode("utf-8", "replace") != rename.old:
                continue
            if alias is not None:  # the alias is the file's own name: only the imported one changes
                at = now.char(name.start_byte)
                return _checked(now, [ProposedEdit(at, at + len(rename.old), rename.new, reason)], None)
            return _binding_renamed(now, name, rename, reason)
        if node.type == "shorthand_property_identifier_pattern" and text == rename.old:
            return _binding_renamed(now, node, rename, reason)  # const { 合计 } = require(…)
        if node.type == "pair_pattern":  # const { 合计: 加总 } = require(…): the key only
            key = node.child_by_field_name("key")
            if key is not None and (key.text or b"").decode("utf-8", "replace") == rename.old:
                at = now.char(key.start_byte)
                return _checked(now, [ProposedEdit(at, at + len(rename.old), rename.new, reason)], None)
        if node.type in ("namespace_import", "variable_declarator"):
            bound = (
                node.named_children[0]
                if node.type == "namespace_import"
                else node.child_by_field_name("name")
            )
            if bound is not None and bound.type == "identifier":
                proposal = _member_renamed(now, bound, rename, members, reason)
                if proposal is not None:
                    return proposal
    return None


def _binding_renamed(
    now: Analysis, identifier: ts.Node, rename: ModuleRename, reason: str
) -> Proposal | None:
    """Every identifier of the variable `identifier` names, renamed (checked to stay one binding)."""
    found = now.table.at(now.tree, identifier.start_byte) if now.table is not None else None
    if found is None or found[1] is None:
        return None
    occurrences = found[1].occurrences
    edits = [
        ProposedEdit(now.char(o.start_byte), now.char(o.start_byte) + len(rename.old), rename.new, reason)
        for o in occurrences
    ]
    return _checked(now, edits, len(occurrences))


def _member_renamed(
    now: Analysis, bound: ts.Node, rename: ModuleRename, members: list[ts.Node], reason: str
) -> Proposal | None:
    """`工具.合计` where `工具` is the namespace or module object the statement binds."""
    table = now.table
    found = table.at(now.tree, bound.start_byte) if table is not None else None
    if table is None or found is None or found[1] is None:
        return None
    edits = []
    for member in members:
        receiver, name = member.child_by_field_name("object"), member.child_by_field_name("property")
        if receiver is None or name is None or receiver.type != "identifier" or name.text is None:
            continue
        if name.text.decode("utf-8", "replace") != rename.old:
            continue
        reads = table.at(now.tree, receiver.start_byte)
        if reads is not None and reads[1] is found[1]:
            at = now.char(name.start_byte)
            edits.append(ProposedEdit(at, at + len(rename.old), rename.new, reason))
    return _checked(now, edits, None) if edits else None


def _descendants(node: ts.Node) -> Iterator[ts.Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.named_children))


@cache
def _script_imports_query(language: Language) -> ts.Query:
    return ts.Query(
        language.ts_language,
        """
        (import_statement source: (string) @source)
        ((call_expression function: (identifier) @_require arguments: (arguments . (string) @source))
         (#eq? @_require "require"))
        (member_expression) @member
        """,
    )
