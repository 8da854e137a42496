"""What the code after the hole needs from it: names it reads that nothing binds, and its shape.

When the rest of the function reads `结果` (or `ans`, or `month, day, year`) and no line of the
document binds it, the hole is where it must be bound: a completion that leaves it unbound gives a
NameError or UnboundLocalError however plausible it looks. Measured on the real 0.5B model with
Chinese identifiers, this is the commonest way a one-line suggestion fails (`return 结果` where the
line should be `结果 = ''`). The pipeline treats such names as a check on every candidate and steers
the next candidate toward binding them.

Its shape: when the next line is indented deeper, the hole's line must be a block header
(`opens_block`); when the next line continues the same block, the line must not leave it with a
`return` that makes that code unreachable (`code_follows_in_block`, `ends_flow`).

Python only, from the document's scope table (names.py `name_scope`: the document without the hole's
text, so the hole may leave errors: tree-sitter recovers and the table takes what it finds). Bindings
are over-approximated (a name bound anywhere, in any scope, counts as bound), so a name is reported as
needed only when the document really has no binding for it. A star import turns it off.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import tree_sitter as ts

from daima.indexer.bindings import Occurrence

from .names import NameScope, is_read
from .syntax import SpliceChecker

# The blocks of statements a binding's reach is judged by (flow, not scope: the scopes are the table's).
_FLOW_BLOCKS = frozenset({"block", "module"})
# Blocks whose bindings count for the enclosing block: the branches of `if`/`try`/`with`. Over-approximate
# (an `if` without `else` may skip its binding) so that a name bound in every branch is not reported.
_BRANCHES = {
    "if_statement",
    "elif_clause",
    "else_clause",
    "try_statement",
    "except_clause",
    "finally_clause",
    "with_statement",
    "match_statement",
    "case_clause",
}
# The words a Python block header starts with, pushed up when the hole must open a block.
BLOCK_KEYWORDS = ("for", "if", "while", "with", "try", "elif", "else", "def")
# Statements that leave the block, and clauses that continue a statement rather than its block.
_FLOW_ENDS = {"return", "raise", "continue", "break"}
_CLAUSES = {"else", "elif", "except", "finally", "case"}
# A plain assignment statement and its targets (`a = …`, `a, b = …`; not `==`, not `a.b = …`).
_ASSIGNMENT_TARGETS = re.compile(r"^\s*((?:[^\W\d]\w*\s*,\s*)*[^\W\d]\w*)\s*=(?!=)")
_BUILTIN_CALLABLES = frozenset(
    name for name in dir(builtins) if not name.startswith("_") and callable(getattr(builtins, name))
)
# A line prefix where a completion may still bind names: nothing yet, or targets being typed (`a, 结`).
_TARGET_SO_FAR = re.compile(r"^\s*(?:[^\W\d]\w*\s*,\s*)*(?:[^\W\d]\w*)?$")


def needed_names(scope: NameScope, tree: ts.Tree | None, hole_byte: int) -> list[str]:
    """Names read after `hole_byte` in the enclosing function with no binding that reaches the read.

    A binding reaches a read when it is outside the function (any scope: over-approximated), in the
    function before the hole, or after the hole but earlier than the read in a block that encloses
    the read (`x = x + 1` binds after its right side is read; a binding inside a loop or an `if` does
    not reach a read after that block). The names `scope` knows (builtins, the index's) count as bound.
    In order of first read; [] outside a function, with a star import, or without a tree.
    """
    table = scope.table
    if table is None or tree is None or scope.unlisted:
        return []
    function = table.function_around(tree, hole_byte)
    if function is None:
        return []
    occurrences = table.in_span(0, tree.root_node.end_byte)
    after = [item for item in occurrences if hole_byte <= item[2].start_byte < function[1]]
    everywhere = set(scope.known) | {
        name
        for name, _, occurrence in occurrences
        if occurrence.kind == "definition" and not hole_byte <= occurrence.start_byte < function[1]
    }
    later: dict[str, list[tuple[int, int]]] = {}  # name → (byte it holds from, flow block id)
    for name, _, occurrence in after:
        if occurrence.kind == "definition":
            later.setdefault(name, []).append((occurrence.holds_from, _flow_block_id(tree, occurrence)))
    needed: list[str] = []
    for name, binding, occurrence in after:
        if not is_read(occurrence) or name in everywhere or name in needed:  # `n += 1` reads n too
            continue
        if binding is not None and binding.scope != function:
            continue  # bound in a scope of its own inside the function (a comprehension, a nested def)
        blocks = _flow_block_ids(tree, occurrence)
        if not any(at < occurrence.start_byte and block in blocks for at, block in later.get(name, ())):
            needed.append(name)
    return needed


def names_around_in_function(scope: NameScope, tree: ts.Tree | None, hole_byte: int) -> frozenset[str] | None:
    """The names the function enclosing the hole binds or reads, when code of that function follows the
    hole (so a name bound in the hole could be read there); None at module level, at the function's
    end, or without a tree. A completion that binds a new name none of them is, is a dead store."""
    table = scope.table
    if table is None or tree is None:
        return None
    function = table.function_around(tree, hole_byte)
    source = tree.root_node.text or b""
    if function is None or not source[hole_byte : function[1]].strip():
        return None
    return frozenset(name for name, _, _ in table.in_span(*function))


def dead_stores(
    line_before_cursor: str, completion: str, function_names: frozenset[str] | None, read: frozenset[str]
) -> list[str]:
    """Names the completion assigns (`x = …`, `a, b = …`) that nothing reads: not the completion's
    own later lines, and no identifier of the function around it (`names_around_in_function`).
    Measured on the real 0.5B model with Chinese identifiers: `平方 = 序号 ** 2` where the loop must
    add to `平方和`, `正数 = 1` where the sign must be set; a plain assignment of a name nobody reads
    is almost never the line that belongs in the middle of a function. `read`: the names the cursor
    line and the completion read (names.py `candidate_reads`)."""
    if function_names is None:
        return []
    code = line_before_cursor.lstrip() + completion
    assigned = [name for name in _assigned(code) if not name.startswith("_")]  # `_` says "unused"
    return [name for name in assigned if name not in function_names and name not in read]


def shadowed_builtins(line_before_cursor: str, completion: str) -> list[str]:
    """Builtin functions and types the completion assigns (`sum = 0`, `list = []`): the code after it
    that calls them breaks. The 0.5B model does it when steered off a bad name (`sum = 0` above
    `return sum(整数)`)."""
    return [
        name for name in _assigned(line_before_cursor.lstrip() + completion) if name in _BUILTIN_CALLABLES
    ]


def _assigned(code: str) -> list[str]:
    """The targets of the plain assignment statements in `code`, in order, once each."""
    assigned: list[str] = []
    for line in code.split("\n"):
        match = _ASSIGNMENT_TARGETS.match(line)
        if match:
            assigned += [name.strip() for name in match.group(1).split(",")]
    return list(dict.fromkeys(assigned))


def opens_block(line_before_cursor: str, text_after_cursor: str) -> bool:
    """True when the hole's line must open a block: it is empty so far and the next code line is
    indented deeper (the body is already there, its header is missing). Deeper lines that end at a
    closing bracket (`1: "One",` … `}`) are the items of a bracket the line opens, not a body."""
    lines = _code_lines_below(line_before_cursor, text_after_cursor)
    indent = len(line_before_cursor.expandtabs())
    first = next(lines, None)
    if first is None or _indent(first) <= indent:
        return False
    back = next((line for line in lines if _indent(line) <= indent), "")
    return not back.lstrip().startswith((")", "]", "}"))


def code_follows_in_block(line_before_cursor: str, text_after_cursor: str) -> bool:
    """True when the hole's line is empty so far and the next code line continues the same block (so a
    `return` here would make it unreachable)."""
    below = _next_code_line(line_before_cursor, text_after_cursor)
    if below is None:
        return False
    indent = len(below) - len(below.lstrip())
    word = below.split(maxsplit=1)[0].rstrip(":")
    return indent == len(line_before_cursor.expandtabs()) and word not in _CLAUSES


def ends_flow(line_before_cursor: str, completion: str) -> bool:
    """True when the completion's last code line, at the hole's own indentation, leaves the block
    (`return`, `raise`, `continue`, `break`)."""
    lines = completion.split("\n")
    for number in range(len(lines) - 1, -1, -1):
        line = lines[number]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line_before_cursor.expandtabs()) if number == 0 else len(line) - len(line.lstrip())
        return indent == len(line_before_cursor.expandtabs()) and line.split()[0] in _FLOW_ENDS
    return False


# `name = name` (or `a.b = a.b;`): a statement that changes nothing. The 0.5B model writes it when
# pushed off copying the next line (`距离 = 距离`).
_SELF_ASSIGNMENT = re.compile(r"^\s*([^\W\d]\w*(?:\.[^\W\d]\w*)*)\s*=\s*\1\s*;?\s*$")


def assigns_to_itself(line_before_cursor: str, completion: str) -> bool:
    """True when a line of the completion (its first line read with the text before the cursor)
    only assigns a name to itself."""
    lines = (line_before_cursor + completion).split("\n")
    return any(_SELF_ASSIGNMENT.match(line) for line in lines if line.strip())


def _next_code_line(line_before_cursor: str, text_after_cursor: str) -> str | None:
    """The first code line below the hole's line, when that line is empty up to and after the cursor."""
    return next(_code_lines_below(line_before_cursor, text_after_cursor), None)


def _code_lines_below(line_before_cursor: str, text_after_cursor: str) -> Iterator[str]:
    """The code lines below the hole's line, read lazily (tabs expanded, comments and blank lines
    skipped), when that line is empty up to and after the cursor; else none."""
    if line_before_cursor.strip():
        return
    rest_of_line, _, below = text_after_cursor.partition("\n")
    if rest_of_line.strip():
        return
    start = 0
    while start <= len(below):
        end = below.find("\n", start)
        end = len(below) if end < 0 else end
        line = below[start:end]
        if line.strip() and not line.lstrip().startswith("#"):
            yield line.expandtabs()
        start = end + 1


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def may_bind(line_before_cursor: str) -> bool:
    """True when a completion at this point of the line can still bind names (a statement's start)."""
    if not _TARGET_SO_FAR.match(line_before_cursor):
        return False
    return not any(keyword.iskeyword(word) for word in line_before_cursor.replace(",", " ").split())


def left_unbound(needed: Iterable[str], bound: frozenset[str]) -> list[str]:
    """The needed names that the line, completed, still does not bind (`bound`: what the cursor line
    and the completion bind, names.py `candidate_reads`)."""
    return [name for name in needed if name not in bound]


def _flow_block_id(tree: ts.Tree, occurrence: Occurrence) -> int:
    """The id of the block a binding stays inside (branch blocks are skipped: over-approximated)."""
    node = tree.root_node.descendant_for_byte_range(occurrence.start_byte, occurrence.end_byte)
    block = _flow_block(node) if node is not None else None
    return block.id if block is not None else -1


def _flow_block_ids(tree: ts.Tree, occurrence: Occurrence) -> set[int]:
    """The ids of the blocks that enclose a read."""
    node = tree.root_node.descendant_for_byte_range(occurrence.start_byte, occurrence.end_byte)
    ids: set[int] = set()
    block = _flow_block(node) if node is not None else None
    while block is not None:
        ids.add(block.id)
        block = _flow_block(block)
    return ids


def _flow_block(node: ts.Node) -> ts.Node | None:
    """The innermost block above `node` that a binding stays inside (branch blocks are skipped)."""
    parent = node.parent
    while parent is not None and not _is_flow_block(parent):
        parent = parent.parent
    return parent


def _is_flow_block(node: ts.Node) -> bool:
    if node.type not in _FLOW_BLOCKS:
        return False
    return node.parent is None or node.parent.type not in _BRANCHES


@dataclass(frozen=True)
class Needs:
    """What the code after the hole needs the completion to bind, and whether it can still do so."""

    names: tuple[str, ...] = ()
    line_before: str = ""  # the cursor line up to the cursor
    line_after: str = ""  # the rest of the cursor line
    opens_block: bool = False  # the next line is indented deeper: this one must be a block header
    code_follows: bool = False  # the next line continues the block: this one must not leave it
    # The identifiers of the function around a blank hole's line when its code goes on after the hole
    # (a new name the completion binds that none of them reads is a dead store), else None.
    function_names: frozenset[str] | None = None

    @property
    def at_statement_start(self) -> bool:
        return not self.line_before.strip() or self.line_before.rstrip().endswith(",")


def needs_at(checker: SpliceChecker, names: NameScope, language: str, line_before: str, after: str) -> Needs:
    """What the code after the hole at `checker`'s cursor needs (Python only: the others need nothing)."""
    line_after = after.split("\n", 1)[0].rstrip("\r")
    if language != "python" or not may_bind(line_before):
        return Needs(line_before=line_before, line_after=line_after)
    return Needs(
        tuple(needed_names(names, checker.tree, checker.hole_byte)),
        line_before,
        line_after,
        opens_block(line_before, after),
        code_follows_in_block(line_before, after),
        None if line_before.strip() else names_around_in_function(names, checker.tree, checker.hole_byte),
    )
