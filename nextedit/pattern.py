"""Pattern edits: the same replacement of one identifier by another at places no binding ties together,
each decided by the model.

The exact kinds answer first (a binding renamed, a parameter added to calls). When the user's latest
burst turned one word into another and they do not apply (a method renamed at one call `账本.旧方法()` or at
its definition, a keyword argument's name, a name that comes from another module, a word in strings such
as a grammar's rules), the other places of the old word in the same role are candidates, nearest to the
edit first: identifiers of the same node type under the same parent type in the same field (an object's
member, read after a dot or defined as a method, is one role), or whole words in string contents or in
comments, as the edited one was. The model decides each: a fill-in-the-middle prompt whose hole is
exactly that word, showing the edited lines and then the candidate's surroundings, and the fill held to
the two words' tokens, so the model chooses between keeping the old word and writing the new one; the
candidate is proposed when it writes the new one. Nothing else is ever written, so a proposal can only
be the user's own replacement repeated. (Let free, the 0.5B model often wrote neither, a closing quote
or a longer name, where the author had made the change: on the development half of the benchmark the
choice finds 18 of 60 commits' pattern edits whole instead of 14, at a precision of 75% instead of 85%.)

A proposal passes the bars every kind passes, and those of completions: it differs from the text (the
old name is replaced), the document with it parses wherever it parsed, and where the new name is read as
a variable it resolves (a binding in scope, or a builtin) unless the file binds names it does not list
(`from m import *`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import tree_sitter as ts

from daima.completion.names import environment_names
from daima.indexer.languages import Language

from .edits import Analysis, Proposal, ProposedEdit, analyse, apply_edits, still_parses
from .history import Burst
from .rename import renamed_identifier, widen

# A fill for the hole between prefix and suffix, held to the given words' tokens (none: free): the
# model's text, or None once there is no time left.
Fill = Callable[[str, str, tuple[str, ...]], str | None]

MAX_CANDIDATES = 8  # the nearest ones: each costs the model a prompt (a second or two of a laptop CPU)
LINES_BEFORE, LINES_AFTER = 6, 2  # the candidate's own surroundings in its prompt: a short prefill
EDIT_LINES = 1  # lines shown around the user's edit, above and below it
# Names read after a dot, and method definitions (parent type, field), in the languages with a locals
# query; text in which words are replaced like names: string contents and comments.
_MEMBER_READS = frozenset({("attribute", "attribute"), ("member_expression", "property")})
_METHOD_DEFINITIONS = frozenset({("function_definition", "name"), ("method_definition", "name")})
_TEXT_NODES = frozenset({"string_content", "string_fragment", "comment"})


def propose_pattern(text: str, bursts: list[Burst], language: Language, fill: Fill) -> Proposal | None:
    """The model-decided repeats of the latest burst's identifier replacement, or None."""
    burst = bursts[0]
    names = renamed_identifier(text, burst)
    if names is None:
        return None
    old, new = names
    start, end = widen(text, burst.start, burst.end)
    now = analyse(language, text)
    role = _role_at(now, start, end)
    if role is None:
        return None
    places = [place for place in _places(now, old, role) if place != (start, end)]
    places.sort(key=lambda place: abs(place[0] - start))
    reason = f"the same change: {old} → {new}"
    edits: list[ProposedEdit] = []
    for at, _ in places[:MAX_CANDIDATES]:
        # Each prompt shows the places decided so far as changed, the way the user would see them
        # after accepting: a nearer old name left in view would argue for keeping this one.
        working = apply_edits(text, edits)
        hole = _moved(at, edits)
        prefix, suffix = _sides(working, (hole, hole + len(old)), (_moved(start, edits), _moved(end, edits)))
        answer = fill(prefix, suffix, (old, new))
        if answer is None:
            break
        chosen = [word for word in (old, new) if answer.startswith(word)]
        if chosen and max(chosen, key=len) == new:
            edits.append(ProposedEdit(at, at + len(old), new, reason))
    if not edits:
        return None
    after = analyse(language, apply_edits(text, edits))
    if not still_parses(now, after):
        return None
    edits = [edit for edit in edits if _resolves(after, _moved(edit.start, edits), new, language)]
    return Proposal("pattern", edits) if edits else None


def _shape(node: ts.Node) -> tuple[str, str, str | None]:
    """Where an identifier stands: its type, its parent's type and its field there."""
    parent = node.parent
    if parent is None:
        return node.type, "", None
    field = next(
        (parent.field_name_for_child(i) for i, child in enumerate(parent.children) if child.id == node.id),
        None,
    )
    return node.type, parent.type, field


def _role(node: ts.Node) -> tuple[str | None, ...]:
    """What an identifier is, for finding the others like it: its shape, except that a name read after
    a dot and a method's name at its definition are both an object's member (a method renamed where it
    is defined is renamed where it is called, and the other way round)."""
    kind, parent, field = _shape(node)
    if (parent, field) in _MEMBER_READS:
        return ("member",)
    if (parent, field) in _METHOD_DEFINITIONS and node.parent is not None and _in_class(node.parent):
        return ("member",)
    return kind, parent, field


def _in_class(definition: ts.Node) -> bool:
    """Whether a function definition is a class's own (a method)."""
    if definition.type == "method_definition":
        return True
    above = definition.parent
    while above is not None and above.type in ("decorated_definition", "block"):
        above = above.parent
    return above is not None and above.type == "class_definition"


def _role_at(now: Analysis, start: int, end: int) -> tuple[str | None, ...] | None:
    """The role of the word at text[start:end]: an identifier's, or a word in a string or comment."""
    low, high = now.byte(start), now.byte(end)
    node = now.tree.root_node.descendant_for_byte_range(low, high)
    if node is None:
        return None
    if node.type in _TEXT_NODES:
        return ("text", node.type)
    if (node.start_byte, node.end_byte) == (low, high) and node.type.endswith("identifier"):
        return _role(node)
    return None


def _places(now: Analysis, name: str, role: tuple[str | None, ...]) -> list[tuple[int, int]]:
    """Every place (str span) where `name` stands in the same role."""
    encoded = name.encode("utf-8")
    if role[0] != "text":
        return [
            (now.char(node.start_byte), now.char(node.end_byte))
            for node in _leaves(now.tree.root_node)
            if node.text == encoded and node.type.endswith("identifier") and _role(node) == role
        ]
    word = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")
    places = []
    for node in _leaves(now.tree.root_node):
        if node.type == role[1] and node.text is not None and encoded in node.text:
            base = now.char(node.start_byte)
            inside = node.text.decode("utf-8", "replace")
            places += [(base + found.start(), base + found.end()) for found in word.finditer(inside)]
    return places


def _leaves(root: ts.Node) -> Iterator[ts.Node]:
    """Every leaf of the tree, and every string content or comment (whatever it holds)."""
    cursor = root.walk()
    while True:
        node = cursor.node
        if node is not None and (node.child_count == 0 or node.type in _TEXT_NODES):
            yield node
            descend = False
        else:
            descend = True
        if descend and cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return


def _sides(text: str, hole: tuple[int, int], edit: tuple[int, int]) -> tuple[str, str]:
    """The prompt around a candidate: the edited lines (when its surroundings do not show them), then
    the lines before it, and after it the lines below."""
    line_start = text.rfind("\n", 0, hole[0]) + 1
    window_start = _line_start(text, line_start, LINES_BEFORE)
    window_end = _line_end(text, hole[1], LINES_AFTER)
    prefix, suffix = text[window_start : hole[0]], text[hole[1] : window_end]
    if not (window_start <= edit[0] and edit[1] <= window_end):
        shown_start = _line_start(text, text.rfind("\n", 0, edit[0]) + 1, EDIT_LINES)
        shown = text[shown_start : _line_end(text, edit[1], EDIT_LINES)]
        prefix = f"{shown}\n\n{prefix}" if edit[0] < hole[0] else prefix
        suffix = suffix if edit[0] < hole[0] else f"{suffix}\n\n{shown}"
    return prefix, suffix


def _line_start(text: str, start: int, lines: int) -> int:
    """The start of the line `lines` lines above the one that starts at `start`."""
    for _ in range(lines):
        if start == 0:
            break
        start = text.rfind("\n", 0, start - 1) + 1
    return start


def _line_end(text: str, offset: int, lines: int) -> int:
    """The end of the line `lines` lines below the one `offset` is on (its newline included)."""
    end = offset
    for _ in range(lines + 1):
        newline = text.find("\n", end)
        if newline < 0:
            return len(text)
        end = newline + 1
    return end


def _moved(offset: int, edits: list[ProposedEdit]) -> int:
    """Where `offset` of the text is once `edits` are applied (none of them covers it)."""
    return offset + sum(len(e.new_text) - (e.end - e.start) for e in edits if e.start < offset)


def _resolves(after: Analysis, at: int, name: str, language: Language) -> bool:
    """Whether the identifier put at `at` is no variable read, or one that resolves."""
    table = after.table
    if table is None or table.binds_unlisted:
        return True
    found = table.at(after.tree, after.byte(at))
    return found is None or found[1] is not None or name in environment_names(language.language_ids[0])
