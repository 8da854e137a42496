"""Renames that reach other files: a name bound at the top of a module, renamed there, is renamed in
the files that import it, once the user goes to them.

The server remembers the latest such renames with the module they were made in (`RecentRenames`). A
Python file that imports the name from that module (`from 工具 import 合计`, relative imports
resolved) is proposed the same rename when a next edit is asked for it: the imported name and every
identifier of its binding there, or with an alias (`import 合计 as 求和`) the imported name alone; a
file that imports the module itself (`import 账本.工具`, `import 账本.工具 as 工具`) gets the attribute
renamed where it is read on that import (`工具.合计(…)`).
The result is checked as an in-file rename is: it parses, and the binding keeps its size (a file that
already has the new name gets nothing). Nothing is proposed in a file the user has not gone to; the
file the rename was made in tells the client which files import the name (`importing_files`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache

import tree_sitter as ts

from daima.indexer.languages import Language
from daima.indexer.modules import normalize_module

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
    """The dotted module of a workspace-relative Python file: `账本/工具.py` → `账本.工具`."""
    if not rel.endswith(".py"):
        return None
    parts = rel[: -len(".py")].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or None


def importer_edits(text: str, language: Language, rel: str, renames: list[ModuleRename]) -> Proposal | None:
    """The rename this file (at workspace-relative `rel`) needs for a name it imports that was
    renamed in its module, or None."""
    if language.name != "python" or not renames:
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
        identifier = dotted.named_children[0] if dotted.named_children else dotted
        found = now.table.at(now.tree, identifier.start_byte) if now.table is not None else None
        if found is None or found[1] is None:
            return None
        occurrences = found[1].occurrences
        edits = [
            ProposedEdit(now.char(o.start_byte), now.char(o.start_byte) + len(rename.old), rename.new, reason)
            for o in occurrences
        ]
        return _checked(now, edits, len(occurrences))
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
