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

A variable assigned again in straight-line code holds several values in turn: `d = 读(甲)`, `print(d)`,
`d = 读(乙)`, `print(d)`. `ScopeTable.web` gives the identifiers of one of them (its value web): an
assignment statement written straight in the scope's body (`@local.kills`) starts a new web for
everything after its right side. The split is made only where it is sure: when every identifier of the
variable is in its own scope (a closure or a `global` reads whichever value is current when it runs).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

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


@dataclass
class Binding:
    """A name bound in one scope, with every identifier that binds or reads it, in source order."""

    name: str
    scope: tuple[int, int]  # the bytes of the scope it is bound in
    occurrences: list[Occurrence] = field(default_factory=list)


@dataclass
class _Scope:
    node: ts.Node
    kind: str  # "function", "class" or "block"
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


def scope_table(tree: ts.Tree, language: Language) -> ScopeTable | None:
    """The scope model of `tree`, or None when the language has no locals query."""
    query = language.locals_query
    if query is None:
        return None
    captures = ts.QueryCursor(query).captures(tree.root_node)
    scopes: dict[int, _Scope] = {}
    for capture, kind in (("local.scope.function", "function"), ("local.scope.class", "class")):
        for node in captures.get(capture, ()):
            scopes[node.id] = _Scope(node, kind)
    for node in captures.get("local.scope", ()):
        scopes.setdefault(node.id, _Scope(node, "block"))
    for scope in scopes.values():
        scope.parent = _scope_around(scope.node, scopes)
    builder = _Builder(
        scopes,
        outside={node.id for node in captures.get("local.outside", ())},
        kills={node.id for node in captures.get("local.kills", ())},
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
    declarations = [
        node
        for capture in ("local.declaration.global", "local.declaration.nonlocal")
        for node in captures.get(capture, ())
    ]
    for node in declarations:
        taken.add(node.id)
        builder.refer(node, "declaration")
    taken.update(node.id for node in captures.get("local.ignore", ()))
    for node in captures.get("local.shorthand", ()):
        if node.id not in taken:
            taken.add(node.id)
            builder.refer(node, "shorthand")
    for node in captures.get("local.reference", ()):
        if node.id not in taken:
            taken.add(node.id)
            builder.refer(node, "reference")
    return builder.table()


class _Builder:
    def __init__(self, scopes: dict[int, _Scope], *, outside: set[int], kills: set[int]) -> None:
        self.scopes = scopes
        self.outside = outside  # nodes read in the scope around their own (default values, bases)
        self.kills = kills  # assignment targets that start a value web
        self.root = next((scope for scope in scopes.values() if scope.parent is None), None)
        self.bindings: dict[tuple[int, str], Binding] = {}
        self.free: dict[str, list[Occurrence]] = defaultdict(list)
        self._pending: list[tuple[ts.Node, _Scope]] = []

    def innermost(self, node: ts.Node) -> _Scope | None:
        scope = _scope_around(node, self.scopes)
        if scope is not None and scope.parent is not None and self._read_outside(node, scope):
            return scope.parent
        return scope

    def _read_outside(self, node: ts.Node, scope: _Scope) -> bool:
        here: ts.Node | None = node
        while here is not None and here.id != scope.node.id:
            if here.id in self.outside:
                return True
            here = here.parent
        return False

    @staticmethod
    def function_scope(scope: _Scope | None) -> _Scope | None:
        while scope is not None and scope.kind != "function":
            scope = scope.parent
        return scope

    def define(self, node: ts.Node, target: str) -> None:
        scope = _scope_around(node, self.scopes)
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
        kills_from = None
        if node.id in self.kills and node.parent is not None:
            kills_from = node.parent.end_byte  # the assignment's value is read before it binds
        return self._occurrence(node, "definition", kills_from)

    def _occurrence(self, node: ts.Node, kind: str, kills_from: int | None = None) -> Occurrence:
        scope = _scope_around(node, self.scopes)
        span = (scope.node.start_byte, scope.node.end_byte) if scope is not None else (-1, -1)
        return Occurrence(node.start_byte, node.end_byte, kind, span, kills_from)

    def _outward_scope(self, scope: _Scope, name: str) -> _Scope | None:
        if scope.outward.get(name) == "global":
            return self.root
        enclosing = self.function_scope(scope.parent)
        while enclosing is not None and enclosing.parent is not None:
            if enclosing.kind == "function" and (enclosing.node.id, name) in self.bindings:
                return enclosing
            enclosing = self.function_scope(enclosing.parent)
        return self.function_scope(scope.parent)

    def refer(self, node: ts.Node, kind: str) -> None:
        name = _text(node)
        start = self.innermost(node)
        if kind == "declaration" and start is not None:
            start = self._outward_scope(self.function_scope(start) or start, name)
        binding = self.resolve(name, start)
        if binding is None:
            self.free[name].append(self._occurrence(node, kind))
        else:
            binding.occurrences.append(self._occurrence(node, kind))

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
            self.bindings[key] = Binding(name, (scope.node.start_byte, scope.node.end_byte))
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
