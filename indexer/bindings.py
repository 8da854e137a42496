"""The scope model: which binding each identifier of a syntax tree names.

One table per tree, built from the language's locals query (`queries/<name>.locals.scm`, data; the
capture names are explained at the top of python.locals.scm): the scopes, the identifiers that bind
a name in them, and the identifiers that read one. A reference resolves to the innermost scope around
it that binds its name anywhere, because Python decides a function's locals before it runs and `let`
holds in its whole block. A class body is skipped by the scopes nested in it (a method does not see
class-level names unqualified), `global` sends a function's bindings of a name to the module and
`nonlocal` to the enclosing function, and a parameter's default value or a class's bases are read in
the scope around the definition. Attribute names and keyword argument names are no variables: they
never resolve, so renaming a variable never touches `对象.名称` or `f(名称=…)`.

A name no scope binds (a builtin, a global another file defines) is free: its occurrences are kept
by name in `ScopeTable.free`.

When a binding starts to hold matters to the completion checks (completion/names.py): `x = x + 1`
reads the old `x` before binding the new one, `for m in range(2, m)` reads `m` before the loop binds
it. A definition's value (`@local.value`) is read first, so the definition holds from the value's
end (`Occurrence.holds_from`); `n += 1` reads its target too (`@local.update`). A comprehension
(`@local.scope.comprehension`) is a scope that runs where it is written; a function's body runs
later, when it is called (`ScopeTable.runs_later`). TypeScript's type names live apart from its values
(`@local.reference.type`), and identifiers inside a node the grammar recovered from badly
(`@local.unsure`) are marked, so a misparse does not pass for an unknown name.

A variable assigned again in straight-line code holds several values in turn: `d = 读(甲)`, `print(d)`,
`d = 读(乙)`, `print(d)`. `ScopeTable.web` gives the identifiers of one of them (its value web): an
assignment statement written straight in the scope's body (`@local.kills`) starts a new web for
everything after its right side. The split is made only where it is sure: when every identifier of the
variable is in its own scope (a closure or a `global` reads whichever value is current when it runs).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import tree_sitter as ts

from .languages import Language


@dataclass(frozen=True)
class Occurrence:
    """One identifier of a binding: where it is and what it does there."""

    start_byte: int
    end_byte: int
    kind: str  # "definition", "reference", "declaration" (global/nonlocal) or "shorthand" (`{x}`)
    scope: tuple[int, int] = (-1, -1)  # the bytes of the innermost scope around the identifier
    kills_from: int | None = None  # for an assignment statement's target: where its new value holds
    holds_from: int = -1  # for a definition: the byte from which the name is bound (after its value)
    reads_too: bool = False  # a definition that reads the current value first (`n += 1`)
    namespace: str = ""  # "type" for a type name (TypeScript), "" for a value
    unsure: bool = False  # inside a part of the tree the grammar recovered from (`@local.unsure`)


@dataclass
class Binding:
    """A name bound in one scope, with every identifier that binds or reads it, in source order."""

    name: str
    scope: tuple[int, int]  # the bytes of the scope it is bound in
    occurrences: list[Occurrence] = field(default_factory=list)
    scope_kind: str = "function"  # "module", "function", "comprehension", "class" or "block"

    @property
    def definitions(self) -> list[Occurrence]:
        return [o for o in self.occurrences if o.kind == "definition"]


@dataclass
class _Scope:
    node: ts.Node
    kind: str  # "function", "comprehension", "class" or "block"
    parent: _Scope | None = None
    outward: dict[str, str] = field(default_factory=dict)  # name -> "global" | "nonlocal"


class ScopeTable:
    """The bindings of one tree. Build it with `scope_table`."""

    def __init__(self, builder: _Builder) -> None:
        bindings = list(builder.bindings.values())
        for binding in bindings:
            binding.occurrences.sort(key=lambda occurrence: occurrence.start_byte)
        self.bindings = bindings
        self.free = dict(builder.free)
        self.binds_unlisted = builder.binds_unlisted  # `from m import *`: names the file cannot list
        self._builder = builder
        self._by_span: dict[tuple[int, int], tuple[str, Binding | None]] = {}
        for binding in bindings:
            for occurrence in binding.occurrences:
                self._by_span[(occurrence.start_byte, occurrence.end_byte)] = (binding.name, binding)
        for name, occurrences in self.free.items():
            for occurrence in occurrences:
                self._by_span[(occurrence.start_byte, occurrence.end_byte)] = (name, None)

    def at(self, tree: ts.Tree, byte: int) -> tuple[str, Binding | None] | None:
        """(name, its binding or None when free) of the identifier that holds `byte` or ends there;
        None when no variable's identifier is there."""
        for probe in (byte, byte - 1):
            if probe < 0:
                continue
            node = tree.root_node.descendant_for_byte_range(probe, probe)
            # Only the identifier itself: a statement that starts with one (`pat = r'…'`) is no name.
            found = self._by_span.get((node.start_byte, node.end_byte)) if node is not None else None
            if found is not None:
                return found
        return None

    def visible(self, tree: ts.Tree, byte: int, name: str) -> Binding | None:
        """The binding a read of `name` at `byte` would name, or None when none is visible there."""
        node = tree.root_node.descendant_for_byte_range(byte, byte)
        if node is None:
            return None
        scope = self._builder.scopes.get(node.id) or _scope_around(node, self._builder.scopes)
        return self._builder.resolve(name, scope)

    @staticmethod
    def web(binding: Binding, occurrence: Occurrence) -> list[Occurrence]:
        """The identifiers of the value of `binding` that `occurrence` binds or reads (see the module
        docstring); all of the binding's when it cannot be split."""
        occurrences = binding.occurrences
        own = all(o.scope == binding.scope for o in occurrences)
        if not own or not any(o.kills_from is not None for o in occurrences):
            return occurrences

        def takes_effect(o: Occurrence) -> int:
            return o.kills_from if o.kills_from is not None else o.start_byte

        webs: list[list[Occurrence]] = [[]]
        for o in sorted(occurrences, key=takes_effect):
            if o.kills_from is not None and webs[-1]:
                webs.append([])
            webs[-1].append(o)
        mine = next((web for web in webs if occurrence in web), occurrences)
        return sorted(mine, key=lambda o: o.start_byte)

    def in_span(self, start: int, end: int) -> list[tuple[str, Binding | None, Occurrence]]:
        """(name, its binding or None when free, occurrence) of every identifier that overlaps the
        bytes start:end, in source order."""
        found: list[tuple[str, Binding | None, Occurrence]] = [
            (name, binding, occurrence)
            for binding in self.bindings
            for occurrence in binding.occurrences
            if occurrence.end_byte > start and occurrence.start_byte < end
            for name in (binding.name,)
        ]
        found += [
            (name, None, occurrence)
            for name, occurrences in self.free.items()
            for occurrence in occurrences
            if occurrence.end_byte > start and occurrence.start_byte < end
        ]
        return sorted(found, key=lambda item: item[2].start_byte)

    def function_around(self, tree: ts.Tree, byte: int) -> tuple[int, int] | None:
        """The bytes of the innermost function (not the module) that holds `byte`, or None."""
        node: ts.Node | None = tree.root_node.descendant_for_byte_range(byte, byte)
        while node is not None:
            scope = self._builder.scopes.get(node.id)
            function = scope is not None and scope.kind == "function" and scope.parent is not None
            if function and node.start_byte < byte <= node.end_byte:
                return node.start_byte, node.end_byte
            node = node.parent
        return None

    def scope_kind(self, node: ts.Node) -> str | None:
        """The kind of scope `node` opens ("module", "function", "comprehension", "class", "block"),
        or None when it opens none."""
        scope = self._builder.scopes.get(node.id)
        if scope is None:
            return None
        return "module" if scope.parent is None else scope.kind

    def binding_at(self, node: ts.Node) -> Binding | None:
        """The binding the identifier `node` binds or reads (None when free or no variable)."""
        found = self._by_span.get((node.start_byte, node.end_byte))
        return found[1] if found is not None else None

    def runs_later(self, occurrence: Occurrence, binding: Binding) -> bool:
        """True when a function lies between the identifier and the scope of the binding it names:
        the identifier is read when that function is called, not where it is written."""
        scope = self._builder.by_span.get(occurrence.scope)
        while scope is not None and (scope.node.start_byte, scope.node.end_byte) != binding.scope:
            if scope.kind == "function":
                return True
            scope = scope.parent
        return False

    def outside(self, binding: Binding) -> Binding | None:
        """The binding the name would name in the scope around `binding`'s own (what a read of it
        names when the function does not bind it)."""
        scope = self._builder.by_span.get(binding.scope)
        return self._builder.resolve(binding.name, scope.parent) if scope is not None else None


_SCOPE_CAPTURES = (
    ("local.scope.function", "function"),
    ("local.scope.comprehension", "comprehension"),
    ("local.scope.class", "class"),
)


def scopes_around(tree: ts.Tree, language: Language, byte: int) -> list[tuple[tuple[int, int], str]]:
    """The scopes that hold `byte`, outermost first, as (their bytes, their kind): the locals query run
    on the nodes at `byte` only, so it costs next to nothing however long the file is."""
    query = language.locals_query
    if query is None:
        return []
    cursor = ts.QueryCursor(query)
    cursor.set_byte_range(byte, byte + 1)
    captures = cursor.captures(tree.root_node)
    found = [
        ((node.start_byte, node.end_byte), "module" if node.parent is None else kind)
        for capture, kind in _SCOPE_CAPTURES
        for node in captures.get(capture, ())
        if node.start_byte <= byte <= node.end_byte
    ]
    return sorted(found, key=lambda scope: (scope[0][0], -scope[0][1]))


def scope_table(
    tree: ts.Tree, language: Language, within: tuple[int, int] | None = None, *, references: bool = True
) -> ScopeTable | None:
    """The scope model of `tree`, or None when the language has no locals query.

    `within`: only the nodes that overlap these bytes (a function and what it holds); names bound
    only outside them are free in that table. A window costs what its code costs, not what the whole
    file does (a 4,500-line module takes ~50 ms on a 2-core machine). `references=False`: the bindings
    and their definitions only (what a file binds where), in about half the time."""
    query = language.locals_query
    if query is None:
        return None
    cursor = ts.QueryCursor(query)
    if within is not None:
        cursor.set_byte_range(*within)
    captures = cursor.captures(tree.root_node)
    scopes: dict[int, _Scope] = {}
    for capture, kind in _SCOPE_CAPTURES:
        for node in captures.get(capture, ()):
            scopes[node.id] = _Scope(node, kind)
    for node in captures.get("local.scope", ()):
        scopes.setdefault(node.id, _Scope(node, "block"))
    for scope in scopes.values():
        scope.parent = _scope_around(scope.node, scopes)
    builder = _Builder(
        scopes,
        outside=list(captures.get("local.outside", ())),
        kills={node.id for node in captures.get("local.kills", ())},
        values={node.id: node for node in captures.get("local.value", ())},
        updates={node.id for node in captures.get("local.update", ())},
        unsure=[(node.start_byte, node.end_byte) for node in captures.get("local.unsure", ())],
    )
    for capture, how in (("local.declaration.global", "global"), ("local.declaration.nonlocal", "nonlocal")):
        for node in captures.get(capture, ()):
            function = builder.function_scope(builder.innermost(node))
            if function is not None:
                function.outward[_text(node)] = how

    taken: set[int] = set()
    for capture, target in (
        ("local.definition", "here"),
        ("local.definition.parent", "parent"),
        ("local.definition.function", "function"),
    ):
        for node in captures.get(capture, ()):
            if node.id not in taken:
                taken.add(node.id)
                builder.define(node, target)
    builder.place_definitions()
    builder.binds_unlisted = bool(captures.get("local.unlisted"))
    declarations = [
        node
        for capture in ("local.declaration.global", "local.declaration.nonlocal")
        for node in captures.get(capture, ())
    ]
    if not references:
        return builder.table()
    for node in declarations:
        taken.add(node.id)
        builder.refer(node, "declaration")
    taken.update(node.id for node in captures.get("local.ignore", ()))
    for node in captures.get("local.shorthand", ()):
        if node.id not in taken:
            taken.add(node.id)
            builder.refer(node, "shorthand")
    for capture, namespace in (("local.reference.type", "type"), ("local.reference", "")):
        for node in captures.get(capture, ()):
            if node.id not in taken:
                taken.add(node.id)
                builder.refer(node, "reference", namespace)
    return builder.table()


class _Builder:
    def __init__(
        self,
        scopes: dict[int, _Scope],
        *,
        outside: list[ts.Node],
        kills: set[int],
        values: dict[int, ts.Node],
        updates: set[int],
        unsure: list[tuple[int, int]],
    ) -> None:
        self.scopes = scopes
        self.by_span = {(scope.node.start_byte, scope.node.end_byte): scope for scope in scopes.values()}
        # Scopes by where they start, to find the innermost one around an identifier by its bytes (a
        # walk up the tree from each identifier costs a third of the table on a large file).
        self._ordered = sorted(scopes.values(), key=lambda s: (s.node.start_byte, -s.node.end_byte))
        self._starts = [scope.node.start_byte for scope in self._ordered]
        # The parts of each scope's node that are read in the scope around it (default values, bases).
        self.outside: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for node in outside:
            owner = self.scope_at(node.start_byte, node.end_byte)
            if owner is not None:
                self.outside[owner.node.id].append((node.start_byte, node.end_byte))
        self.kills = kills  # assignment targets that start a value web
        self.values = values  # the values definitions bind (read before the name is bound)
        self.updates = updates  # definitions that read the name first (`n += 1`)
        self.unsure = unsure  # the bytes of the parts the grammar recovered from
        self.binds_unlisted = False
        self.root = next((scope for scope in scopes.values() if scope.parent is None), None)
        self.bindings: dict[tuple[int, str], Binding] = {}
        self.free: dict[str, list[Occurrence]] = defaultdict(list)
        self._pending: list[tuple[ts.Node, _Scope]] = []

    def scope_at(self, start: int, end: int) -> _Scope | None:
        """The innermost scope whose node holds the bytes start:end (scopes nest, so it is the last
        one starting at or before `start`, or one of that one's enclosing scopes)."""
        index = bisect.bisect_right(self._starts, start) - 1
        scope = self._ordered[index] if index >= 0 else None
        while scope is not None and not (scope.node.start_byte <= start and end <= scope.node.end_byte):
            scope = scope.parent
        return scope

    def innermost(self, node: ts.Node) -> _Scope | None:
        scope = self.scope_at(node.start_byte, node.end_byte)
        if scope is not None and scope.parent is not None and self._read_outside(node, scope):
            return scope.parent
        return scope

    def _read_outside(self, node: ts.Node, scope: _Scope) -> bool:
        spans = self.outside.get(scope.node.id, ())
        return any(start <= node.start_byte and node.end_byte <= end for start, end in spans)

    @staticmethod
    def function_scope(scope: _Scope | None) -> _Scope | None:
        while scope is not None and scope.kind != "function":
            scope = scope.parent
        return scope

    def define(self, node: ts.Node, target: str) -> None:
        scope = self.scope_at(node.start_byte, node.end_byte)
        if target == "parent" and scope is not None:
            scope = scope.parent
        elif target == "function":
            scope = self.function_scope(scope)
        if scope is not None:
            self._pending.append((node, scope))

    def place_definitions(self) -> None:
        """Bind every definition; those a `global`/`nonlocal` sends elsewhere go last, once the scope
        they go to is known to bind the name."""
        redirected = []
        for node, scope in self._pending:
            if _text(node) in scope.outward:
                redirected.append((node, scope))
            else:
                self._binding(scope, _text(node)).occurrences.append(self._definition(node))
        for node, scope in redirected:
            name = _text(node)
            target = self._outward_scope(scope, name)
            if target is not None:
                self._binding(target, name).occurrences.append(self._definition(node))

    def _definition(self, node: ts.Node) -> Occurrence:
        holds_from = self._after_value(node)
        kills_from = holds_from if node.id in self.kills else None
        return self._occurrence(
            node,
            "definition",
            kills_from=kills_from,
            holds_from=holds_from,
            reads_too=node.id in self.updates,
        )

    def _after_value(self, node: ts.Node) -> int:
        """Where a definition starts to hold: after the value it binds (`x = x + 1`, the iterable of
        `for x in …`), which is read first; at the identifier when it binds no value."""
        here: ts.Node | None = node
        for _ in range(4):  # a target sits at most a few pattern nodes below its statement
            parent = here.parent if here is not None else None
            if parent is None or parent.id in self.scopes:
                break
            for child in parent.children:
                if child.id in self.values and child.start_byte >= node.end_byte:
                    return child.end_byte
            here = parent
        return node.start_byte

    def _occurrence(self, node: ts.Node, kind: str, namespace: str = "", **definition: Any) -> Occurrence:
        scope = self.scope_at(node.start_byte, node.end_byte)
        span = (scope.node.start_byte, scope.node.end_byte) if scope is not None else (-1, -1)
        unsure = any(start <= node.start_byte and node.end_byte <= end for start, end in self.unsure)
        return Occurrence(
            node.start_byte, node.end_byte, kind, span, namespace=namespace, unsure=unsure, **definition
        )

    def _outward_scope(self, scope: _Scope, name: str) -> _Scope | None:
        if scope.outward.get(name) == "global":
            return self.root
        enclosing = self.function_scope(scope.parent)
        while enclosing is not None and enclosing.parent is not None:
            if enclosing.kind == "function" and (enclosing.node.id, name) in self.bindings:
                return enclosing
            enclosing = self.function_scope(enclosing.parent)
        return self.function_scope(scope.parent)

    def refer(self, node: ts.Node, kind: str, namespace: str = "") -> None:
        name = _text(node)
        start = self.innermost(node)
        if kind == "declaration" and start is not None:
            start = self._outward_scope(self.function_scope(start) or start, name)
        binding = self.resolve(name, start)
        if binding is None:
            self.free[name].append(self._occurrence(node, kind, namespace))
        else:
            binding.occurrences.append(self._occurrence(node, kind, namespace))

    def resolve(self, name: str, start: _Scope | None) -> Binding | None:
        scope = start
        while scope is not None:
            if scope.kind == "class" and scope is not start:
                scope = scope.parent  # a class body's names are not seen from inside its methods
                continue
            if scope.outward.get(name) == "global":
                scope = self.root
            binding = self.bindings.get((scope.node.id, name)) if scope is not None else None
            if binding is not None:
                return binding
            scope = scope.parent if scope is not None else None
        return None

    def _binding(self, scope: _Scope, name: str) -> Binding:
        key = (scope.node.id, name)
        if key not in self.bindings:
            kind = "module" if scope.parent is None else scope.kind
            self.bindings[key] = Binding(name, (scope.node.start_byte, scope.node.end_byte), scope_kind=kind)
        return self.bindings[key]

    def table(self) -> ScopeTable:
        return ScopeTable(self)


def _scope_around(node: ts.Node, scopes: dict[int, _Scope]) -> _Scope | None:
    parent = node.parent
    while parent is not None:
        if parent.id in scopes:
            return scopes[parent.id]
        parent = parent.parent
    return None


def _text(node: ts.Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""
