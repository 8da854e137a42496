"""Real edits from real history: commits that add a few lines of code to a file, in a seeded order.

An edit is one hunk of a commit that only adds lines (git's `-a,0 +c,d`), 1 to `MAX_LINES` lines of code
in a Python, JavaScript or TypeScript file. It is typed again on the tree of the commit's first parent,
so the workspace index holds nothing the author had not written yet. Which commits, and which hunk of a
commit, come from a generator seeded by the repository's name, so one repository's edits do not move
when another repository is added.
"""

from __future__ import annotations

import random
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks.repo_eval.sources import Source

LANGUAGES = {".py": "python", ".js": "javascript", ".mjs": "javascript", ".ts": "typescript"}
MAX_LINES = 8
MAX_LINE_CHARS = 110
MIN_CODE_CHARS = 24  # fewer non-blank characters than this is a trivial edit (a `pass`, a brace)
MAX_CODE_CHARS = 420
MAX_FILE_BYTES = 120_000
_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)
_COMMENT_PREFIXES = ("#", "//", "/*", "*", '"""', "'''")


@dataclass(frozen=True)
class Edit:
    """Lines `added` inserted at the start of line `line` (0-based) of `path` as it was at `parent`."""

    repo: str
    identifiers: str  # "zh" or "en", from the source
    commit: str
    parent: str
    path: str
    line: int
    added: str  # ends with "\n"

    @property
    def edit_id(self) -> str:
        return f"{self.repo}@{self.commit[:10]}:{self.path}:{self.line + 1}"

    @property
    def language(self) -> str:
        return LANGUAGES[Path(self.path).suffix]


def _git(git_dir: Path, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", str(git_dir), *args], capture_output=True, check=True).stdout


def _code_chars(text: str) -> int:
    """Non-blank characters on lines that are not comments."""
    return sum(
        len(line.strip()) for line in text.splitlines() if not line.strip().startswith(_COMMENT_PREFIXES)
    )


def usable(added: str) -> bool:
    """A hunk worth typing: a few lines of code, none of them very long, not only comments."""
    lines = added.splitlines()
    return (
        1 <= len(lines) <= MAX_LINES
        and all(len(line) <= MAX_LINE_CHARS for line in lines)
        and MIN_CODE_CHARS <= _code_chars(added) <= MAX_CODE_CHARS
        and "\t" not in added  # an editor's auto-indent would have to guess tabs
        and "\r" not in added
    )


def pure_additions(diff: bytes) -> list[tuple[int, str]]:
    """(0-based line where the lines go in the old file, the added text) for each hunk of a one-file
    `git diff -U0` that only adds lines."""
    found = []
    for match in _HUNK.finditer(diff):
        old_start, old_count = int(match[1]), int(match[2] if match[2] is not None else 1)
        if old_count != 0:
            continue
        body_start = diff.index(b"\n", match.end()) + 1
        lines = []
        for raw in diff[body_start:].split(b"\n"):
            if not raw.startswith(b"+"):
                break
            lines.append(raw[1:])
        try:
            text = b"".join(line + b"\n" for line in lines).decode("utf-8")
        except UnicodeDecodeError:
            continue
        found.append((old_start, text))  # "-a,0": the lines go after old line a, i.e. at 0-based index a
    return found


def _commits(git_dir: Path, head: str, rng: random.Random) -> list[tuple[str, str]]:
    listed = _git(git_dir, "rev-list", "--no-merges", "--parents", head).decode().split("\n")
    pairs = [(parts[0], parts[1]) for parts in (line.split() for line in listed) if len(parts) == 2]
    rng.shuffle(pairs)
    return pairs


def edits_of(source: Source, git_dir: Path, seed: int) -> Iterator[Edit]:
    """The source's usable edits, at most one per commit, in a seeded order."""
    rng = random.Random(f"{seed}:{source.repo}")
    for commit, parent in _commits(git_dir, source.commit, rng):
        names = _git(git_dir, "diff", "--no-renames", "--name-only", "-z", parent, commit).split(b"\0")
        paths = sorted(
            decoded for decoded in (name.decode("utf-8", "replace") for name in names)
            if Path(decoded).suffix in LANGUAGES and "\ufffd" not in decoded
        )  # fmt: skip
        candidates: list[Edit] = []
        for path in paths:
            if any(part in {"node_modules", "dist", "build", "vendor"} for part in Path(path).parts):
                continue
            diff = _git(git_dir, "diff", "--no-ext-diff", "--no-textconv", "-U0", parent, commit, "--", path)
            for line, added in pure_additions(diff):
                if usable(added):
                    candidates.append(
                        Edit(source.repo, source.identifiers, commit, parent, path, line, added)
                    )
        if not candidates:
            continue
        edit = rng.choice(candidates)
        before = file_at(git_dir, edit.parent, edit.path)
        if before is None or len(before.encode()) > MAX_FILE_BYTES or not applies(edit, before):
            continue
        yield edit


def file_at(git_dir: Path, commit: str, path: str) -> str | None:
    try:
        return _git(git_dir, "show", f"{commit}:{path}").decode("utf-8")
    except (subprocess.CalledProcessError, UnicodeDecodeError):
        return None


def insertion_offset(before: str, line: int) -> int:
    """The `str` index where 0-based `line` of `before` starts (the end for a line past the last)."""
    offset = 0
    for _ in range(line):
        found = before.find("\n", offset)
        if found < 0:
            return len(before)
        offset = found + 1
    return offset


def applies(edit: Edit, before: str) -> bool:
    """The hunk fits the parent's file as a whole-line insertion: the line exists (or is just past the
    end) and the file ends its last line, so typing at the insertion point never joins two lines."""
    if before and not before.endswith("\n"):
        return False
    return "\r" not in before and edit.line <= before.count("\n")
