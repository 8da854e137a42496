"""Cases from real history: one commit's change to one Python file, split into the user's first edit
and the edits that followed it.

Every non-merge commit up to the pinned one is read; each modified `.py` file (UTF-8 on both sides,
under 200 KB) is compared token by token (identifiers, numbers and single characters; whitespace
does not count) and the change is classified:
- **rename**: the same identifier A replaced by the same B at two places or more, where A at the first
  of them is a variable of the old file (the scope model resolves it to a binding there). The user's
  edit is the first replacement, top-down; the expected next edits are the other places of that
  binding where the commit turned A into B (alone, or within a larger change that brought B in).
  The commit's other changes to the file are left out of the case (neither applied nor expected).
- **pattern**: the same at two places or more, where A is no variable of the file (an attribute, a
  name from elsewhere), where none of the other places is an identifier of the first one's binding
  (a method renamed at `obj.method()` calls, one parameter name changed in many functions), or where
  B already names a variable there (`self` put for `cache`: a substitution, not a rename): what a
  scope cannot tell, and only a model could propose.
- **signature**: one parameter inserted into a function definition, and insertions into the argument
  lists of calls of that function's name. The user's edit is the definition's; the expected edits are
  the calls'.
- **isolated**: the commit changes only this file, in one place: any proposal is a false one.
Every case keeps the stretches of the old file the commit left as they were: a proposal there
contradicts what the author did. A case's split is a fixed hash of repository, commit and path
(dev: look and tune; heldout: report only). At most `per_kind` cases per repository and kind are
kept, chosen by a seeded shuffle.
"""

from __future__ import annotations

import difflib
import hashlib
import random
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import tree_sitter as ts

from daima.indexer.bindings import scope_table
from daima.indexer.languages import language_named

KINDS = ("rename", "pattern", "signature", "isolated")
SPLITS = ("dev", "heldout")
MAX_BYTES = 200_000
TOKEN = re.compile(r"[^\W\d]\w*|\d\w*|\S")
_IDENTIFIER = re.compile(r"[^\W\d]\w*\Z")


@dataclass(frozen=True)
class Change:
    """Replace text[start:end] with `new_text` (str offsets of the text the change applies to)."""

    start: int
    end: int
    new_text: str


@dataclass(frozen=True)
class Case:
    case_id: str
    repo: str
    identifiers: str
    kind: str
    split: str
    old: str
    user_edit: Change
    expected: tuple[Change, ...]
    unchanged: tuple[tuple[int, int], ...]  # str spans of the old text the commit kept


def split_of(repo: str, commit: str, path: str) -> str:
    digest = hashlib.sha256(f"{repo}\0{commit}\0{path}".encode()).digest()
    return SPLITS[digest[0] % 2]


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


def classify(old: str, new: str, only_file: bool) -> tuple[str, Change, tuple[Change, ...]] | None:
    """(kind, the user's edit, the expected edits) for one file's change, or None when it is none of
    the kinds."""
    a = [(m.group(), m.start(), m.end()) for m in TOKEN.finditer(old)]
    b = [(m.group(), m.start(), m.end()) for m in TOKEN.finditer(new)]
    matcher = difflib.SequenceMatcher(None, [t for t, _, _ in a], [t for t, _, _ in b], autojunk=False)
    ops = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if not ops:
        return None
    changes = [_change(op, a, b, new) for op in ops]
    if len(ops) == 1:
        return ("isolated", changes[0], ()) if only_file else None
    renamed = _repeated_replacement(ops, a, b)
    if renamed is not None:
        first = renamed[0]
        old_name, new_name = a[ops[first][1]][0], b[ops[first][3]][0]
        expected = []
        for index, (tag, i1, i2, j1, j2) in enumerate(ops):
            if index == first or tag != "replace" or new_name not in (t for t, _, _ in b[j1:j2]):
                continue
            expected += [Change(s, e, new_name) for t, s, e in a[i1:i2] if t == old_name]
        same = _same_binding(old, a[ops[first][1]][1], expected, new_name)
        if same:
            return "rename", changes[first], tuple(same)
        return "pattern", changes[first], tuple(expected)
    return _signature(old, ops, a, b, changes)


def unchanged_spans(old: str, new: str) -> tuple[tuple[int, int], ...]:
    """The stretches of `old` (str spans, token to token) that the change from `old` to `new` kept."""
    a = [(m.group(), m.start(), m.end()) for m in TOKEN.finditer(old)]
    b = [m.group() for m in TOKEN.finditer(new)]
    matcher = difflib.SequenceMatcher(None, [t for t, _, _ in a], b, autojunk=False)
    return tuple((a[i1][1], a[i2 - 1][2]) for tag, i1, i2, _, _ in matcher.get_opcodes() if tag == "equal")


def _change(op: tuple[str, int, int, int, int], a: list, b: list, new: str) -> Change:
    tag, i1, i2, j1, j2 = op
    if tag == "insert":
        at = a[i1 - 1][2] if i1 > 0 else 0
        return Change(at, at, new[b[j1 - 1][2] if j1 > 0 else 0 : b[j2 - 1][2]])
    start, end = a[i1][1], a[i2 - 1][2]
    if tag == "delete":
        return Change(start, end, "")
    return Change(start, end, new[b[j1][1] : b[j2 - 1][2]])


def _repeated_replacement(ops: list, a: list, b: list) -> list[int] | None:
    """Indexes of the ops that replace one identifier by one other, when the most common such pair
    occurs twice or more; None otherwise."""
    pairs: dict[tuple[str, str], list[int]] = {}
    for index, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag == "replace" and i2 - i1 == 1 and j2 - j1 == 1:
            old_token, new_token = a[i1][0], b[j1][0]
            if _IDENTIFIER.match(old_token) and _IDENTIFIER.match(new_token):
                pairs.setdefault((old_token, new_token), []).append(index)
    best = max(pairs.values(), key=len, default=[])
    return best if len(best) >= 2 else None


def _same_binding(old: str, offset: int, changes: list[Change], new_name: str) -> list[Change]:
    """The changes at identifiers of the binding of the variable at `offset` (none when it is no
    variable of the file, or when `new_name` already names one there)."""
    language = language_named("python")
    tree = language.parser.parse(old.encode("utf-8", "surrogatepass"))
    table = scope_table(tree, language)
    if table is None:
        return []

    def binding_at(at: int) -> object:
        found = table.at(tree, len(old[:at].encode("utf-8", "surrogatepass")))
        return found[1] if found is not None else None

    binding = binding_at(offset)
    if binding is None or table.visible(tree, len(old[:offset].encode("utf-8", "surrogatepass")), new_name):
        return []
    return [change for change in changes if binding_at(change.start) is binding]


def _signature(old: str, ops: list, a: list, b: list, changes: list[Change]) -> tuple | None:
    language = language_named("python")
    data = old.encode("utf-8", "surrogatepass")
    tree = language.parser.parse(data)
    definition = None
    for index, (tag, i1, _, j1, j2) in enumerate(ops):
        inserted = [t for t, _, _ in b[j1:j2]]
        if tag == "insert" and i1 > 0 and sum(1 for t in inserted if _IDENTIFIER.match(t)) == 1:
            function = _node_around(tree, len(old[: a[i1 - 1][2]].encode()), "parameters")
            if function is not None and "=" not in inserted and "*" not in inserted:
                definition = (index, function)
                break
    if definition is None:
        return None
    index, function = definition
    name_node = function.child_by_field_name("name")
    name = name_node.text.decode("utf-8", "replace") if name_node and name_node.text else ""
    calls = []
    for other, (tag, i1, _, _, _) in enumerate(ops):
        if other == index or tag != "insert" or i1 == 0:
            continue
        call = _node_around(tree, len(old[: a[i1 - 1][2]].encode()), "arguments", "call")
        callee = call.child_by_field_name("function") if call is not None else None
        if callee is not None and callee.text is not None:
            last = callee.text.decode("utf-8", "replace").rsplit(".", 1)[-1]
            if last == name:
                calls.append(other)
    if not calls:
        return None
    return "signature", changes[index], tuple(changes[i] for i in calls)


def _node_around(tree: ts.Tree, byte: int, field: str, kind: str = "function_definition") -> ts.Node | None:
    """The innermost `kind` node whose `field` child holds `byte` strictly inside it."""
    node: ts.Node | None = tree.root_node.descendant_for_byte_range(byte, byte)
    while node is not None:
        if node.type == kind:
            part = node.child_by_field_name(field)
            if part is not None and part.start_byte < byte < part.end_byte:
                return node
        node = node.parent
    return None


def history(git_dir: Path, commit: str) -> Iterator[tuple[str, str, str, str, bool]]:
    """(commit, path, old text, new text, whether the commit changed only this file) for every
    modified Python file of every non-merge commit up to `commit`."""
    log = _git(git_dir, "log", "--no-merges", "--format=%H %P", commit).decode().split("\n")
    for line in log:
        parts = line.split()
        if len(parts) != 2:
            continue
        child, parent = parts
        listing = _git(git_dir, "diff", "--name-status", "--no-renames", "-z", parent, child).split(b"\0")
        entries = list(zip(listing[0::2], listing[1::2], strict=False))
        for status, raw_path in entries:
            path = raw_path.decode("utf-8", "surrogateescape")
            if status != b"M" or not path.endswith(".py"):
                continue
            old, new = _git(git_dir, "show", f"{parent}:{path}"), _git(git_dir, "show", f"{child}:{path}")
            if len(old) > MAX_BYTES or len(new) > MAX_BYTES:
                continue
            try:
                yield child, path, old.decode("utf-8"), new.decode("utf-8"), len(entries) == 1
            except UnicodeDecodeError:
                continue


def build_cases(source, git_dir: Path, per_kind: int, seed: int) -> list[Case]:
    found: dict[str, list[Case]] = {kind: [] for kind in KINDS}
    for commit, path, old, new, only_file in history(git_dir, source.commit):
        classified = classify(old, new, only_file)
        if classified is None:
            continue
        kind, user_edit, expected = classified
        case_id = f"{source.repo}@{commit[:12]}:{path}"
        split = split_of(source.repo, commit, path)
        unchanged = unchanged_spans(old, new)
        found[kind].append(
            Case(case_id, source.repo, source.identifiers, kind, split, old, user_edit, expected, unchanged)
        )
    cases = []
    for kind in KINDS:
        chosen = sorted(found[kind], key=lambda case: case.case_id)
        random.Random(f"{seed}:{source.repo}:{kind}").shuffle(chosen)
        cases += chosen[:per_kind]
    return cases


def _git(git_dir: Path, *args: str) -> bytes:
    command = ["git", "-c", "core.quotepath=off", "--git-dir", str(git_dir), *args]
    return subprocess.run(command, capture_output=True, check=False).stdout


def history_dir(source, mirrors, cache: Path) -> Path:
    """A git directory holding the source's history up to its commit: a local mirror when one has it,
    else a bare clone from GitHub kept in `cache`."""
    from ..repo_eval.sources import SourceUnavailable, mirror_with

    found = mirror_with(source, mirrors)
    if found is not None:
        return found
    clone = cache / f"{source.slug}.git"
    if not clone.is_dir():
        url = f"https://github.com/{source.repo}.git"
        done = subprocess.run(["git", "clone", "--quiet", "--bare", url, str(clone)],
                              capture_output=True, text=True, check=False, timeout=900)  # fmt: skip
        if done.returncode != 0:
            raise SourceUnavailable(f"{source.repo}: {done.stderr.strip()[:200]}")
    return clone
