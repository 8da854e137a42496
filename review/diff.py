"""Read a pull request's changes the way git stores them, not the way the pull request asks git to show them.

The repository is data: git runs with external diff drivers, textconv filters, fsmonitor hooks and
attribute files switched off, file contents come from git's object store (never from the working tree,
so a committed symlink cannot make us read a file outside the repository). The changed files come from
`git diff --raw -z` (exact names, whatever bytes they hold: no quoting to undo, nothing for a name
such as `x\n+++ b/y.py` to forge), and each file's hunks from a diff of its two blobs with `--text`,
so no attribute (`*.py -diff`) can turn a change into "Binary files differ". A file that cannot be read
is reported as not reviewed (`Unreviewed`), never skipped in silence, and never costs the others.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from unidiff import PatchSet

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 1024 * 1024  # context files (other files of the repository) larger than this are left out
# A changed file larger than this is reported as not reviewed instead: parsing it stays in seconds.
MAX_REVIEW_BYTES = 8 * 1024 * 1024
_EMPTY_BLOB = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"  # git's id of the empty file
# Config overrides that keep git from running anything a repository's config or attributes name.
_SAFE_CONFIG = (
    "-c", "core.fsmonitor=false",
    "-c", "core.hooksPath=/dev/null",
    "-c", "core.quotePath=false",
    "-c", "diff.external=",
    "-c", "core.pager=cat",
    "-c", "core.attributesFile=/dev/null",
)  # fmt: skip
_REGULAR_MODES = {"100644", "100755"}


class GitError(RuntimeError):
    """git failed or a revision does not exist; the message is one readable sentence."""


@dataclass(frozen=True, kw_only=True)
class Hunk:
    """One hunk of the diff, as the head revision sees it."""

    start: int  # first line in the head version (1-based)
    length: int
    text: str  # the hunk as unified-diff text, header included


@dataclass(frozen=True, kw_only=True)
class ChangedFile:
    """A file added or modified between base and head, with the head lines the change added."""

    path: str
    added_lines: frozenset[int]  # 1-based line numbers in the head version
    hunks: tuple[Hunk, ...]
    oid: str = ""  # the head version's blob
    text: str | None = None  # the head version, when read with the diff


@dataclass(frozen=True, kw_only=True)
class Unreviewed:
    """A changed file the review could not read, and why (reported, so a change cannot hide in it)."""

    path: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class RawChange:
    """One entry of `git diff --raw -z`: a file added, modified or renamed, by blob ids."""

    path: str
    old_oid: str  # "" for a file the change adds
    new_oid: str
    new_mode: str


def run_git(repo: Path, *args: str) -> bytes:
    """Run one git command in `repo` and return its stdout; raises GitError with git's message."""
    env = {**os.environ, "GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
    env.pop("GIT_EXTERNAL_DIFF", None)
    done = subprocess.run(
        ["git", *_SAFE_CONFIG, *args], cwd=repo, env=env, capture_output=True, check=False, timeout=120
    )
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(message[-1] if message else f"git {args[0]} failed with code {done.returncode}")
    return done.stdout


def repo_root(path: Path) -> Path:
    """The top level of the git work tree containing `path`."""
    if not path.is_dir():
        raise GitError(f"{path} is not a directory")
    return Path(run_git(path, "rev-parse", "--show-toplevel").decode().strip()).resolve()


def resolve_commit(repo: Path, rev: str) -> str:
    """The full commit id of `rev`; refuses revisions that look like options."""
    if not rev or rev.startswith("-"):
        raise GitError(f"invalid revision {rev!r}")
    try:
        return (
            run_git(repo, "rev-parse", "--verify", "--end-of-options", f"{rev}^{{commit}}").decode().strip()
        )
    except GitError:
        raise GitError(f"revision {rev!r} is not a commit in {repo}{shallow_hint(repo)}") from None


def shallow_hint(repo: Path) -> str:
    """What to do when a commit is missing from a shallow clone (CI checkouts are shallow by default);
    "" for a full one."""
    try:
        shallow = run_git(repo, "rev-parse", "--is-shallow-repository").decode().strip() == "true"
    except GitError:
        return ""
    if not shallow:
        return ""
    return (
        "; this clone is shallow, so older commits are not in it: fetch the whole history "
        "(`git fetch --unshallow`, or `fetch-depth: 0` for actions/checkout)"
    )


def safe_relpath(path: str) -> str | None:
    """`path` when it is a plain relative path inside the repository, else None (logged)."""
    pure = PurePosixPath(path)
    if not path or pure.is_absolute() or ".." in pure.parts or "\\" in path or "\0" in path:
        log.warning("skipping path outside the repository: %r", path)
        return None
    return pure.as_posix()


def inside_repo(repo: Path, path: str) -> Path | None:
    """The resolved file path of `path` when it stays inside `repo` after resolving symlinks, else None."""
    relative = safe_relpath(path)
    if relative is None:
        return None
    root = repo.resolve()
    resolved = (root / relative).resolve()
    if not resolved.is_relative_to(root):
        log.warning("skipping %r: it resolves outside the repository", path)
        return None
    return resolved


def raw_changes(repo: Path, base: str, head: str) -> list[RawChange]:
    """Added, modified and renamed files between the merge base and `head`, names exactly as stored."""
    try:
        raw = run_git(
            repo, "diff", "--raw", "-z", "--no-abbrev", "--no-ext-diff", "--no-textconv", "--find-renames",
            "--diff-filter=AMR", f"{base}...{head}", "--",
        )  # fmt: skip
    except GitError as error:  # "no merge base" when the history between them was not fetched
        raise GitError(f"{error}{shallow_hint(repo)}") from None
    fields = raw.split(b"\0")
    changes, i = [], 0
    while i < len(fields) and fields[i].startswith(b":"):
        _old_mode, new_mode, old_oid, new_oid, status = fields[i][1:].decode().split()
        names = 2 if status[:1] in ("R", "C") else 1
        name = fields[i + names]  # the head's name (the second of a rename)
        i += 1 + names
        path = name.decode("utf-8", "replace")
        old = old_oid if set(old_oid) != {"0"} else ""  # "": an added file
        changes.append(RawChange(path=path, old_oid=old, new_oid=new_oid, new_mode=new_mode))
    return changes


def _added_file_diff(data: bytes) -> str:
    """The unified diff of a file the change adds: every line is added."""
    lines = data.decode("utf-8", "replace").splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n\\ No newline at end of file\n"
    body = "".join("+" + line for line in lines)
    return f"--- /dev/null\n+++ b/file\n@@ -0,0 +1,{len(lines)} @@\n{body}"


def review_changes(
    repo: Path, base: str, head: str, wanted: Callable[[str], bool]
) -> tuple[list[ChangedFile], list[Unreviewed]]:
    """The changed files `wanted` picks (by path), each with its hunks and head text, and those of them
    that could not be read: not a regular file, over MAX_REVIEW_BYTES, or a diff that does not parse.
    A file git calls binary because of a NUL byte is read as text all the same: code can hide behind one."""
    files: list[ChangedFile] = []
    unreviewed: list[Unreviewed] = []
    for change in raw_changes(repo, base, head):
        if not wanted(change.path):
            continue
        if change.new_mode not in _REGULAR_MODES:
            unreviewed.append(
                Unreviewed(path=change.path, reason=f"not a regular file (mode {change.new_mode})")
            )
            continue
        if change.new_oid == _EMPTY_BLOB:
            continue  # emptied, or added empty: no line to review
        size = int(run_git(repo, "cat-file", "-s", change.new_oid).strip() or 0)
        if size > MAX_REVIEW_BYTES:
            limit = MAX_REVIEW_BYTES // (1024 * 1024)
            unreviewed.append(
                Unreviewed(path=change.path, reason=f"{size:,} bytes, over the {limit} MiB limit")
            )
            continue
        try:
            if change.old_oid:
                diff = run_git(
                    repo, "diff", "--no-ext-diff", "--no-textconv", "--text", "--no-color", "--unified=3",
                    change.old_oid, change.new_oid,
                ).decode("utf-8", "replace")  # fmt: skip
            else:  # git diffs blobs only when both exist, and most repositories hold no empty blob
                diff = _added_file_diff(run_git(repo, "cat-file", "blob", change.new_oid))
            [patched] = PatchSet(diff) or [None]
        except Exception as error:  # one file's diff never loses the others
            log.warning("could not read the diff of %r: %s", change.path, error)
            unreviewed.append(Unreviewed(path=change.path, reason="its diff could not be read"))
            continue
        if patched is None:
            continue  # a rename with no change
        added = frozenset(
            line.target_line_no for h in patched for line in h if line.is_added and line.target_line_no
        )
        hunks = tuple(Hunk(start=h.target_start, length=h.target_length, text=str(h)) for h in patched)
        if added:
            data = run_git(repo, "cat-file", "blob", change.new_oid)
            text = data.decode("utf-8", "replace").replace("\0", " ")  # same length: offsets hold
            files.append(
                ChangedFile(path=change.path, added_lines=added, hunks=hunks, oid=change.new_oid, text=text)
            )
    return files, unreviewed


@dataclass(frozen=True)
class TreeEntry:
    """A regular file at some revision."""

    path: str
    oid: str
    size: int


def tree_entries(repo: Path, rev: str) -> list[TreeEntry]:
    """Regular files tracked at `rev` (symlinks and submodules left out)."""
    raw = run_git(repo, "ls-tree", "-r", "-z", "-l", "--full-tree", rev)
    entries = []
    for entry in raw.split(b"\0"):
        if not entry:
            continue
        meta, _, name = entry.partition(b"\t")
        mode, _kind, oid, size = meta.decode().split()
        path = safe_relpath(name.decode("utf-8", "replace"))
        if mode in _REGULAR_MODES and path is not None and size.isdigit():
            entries.append(TreeEntry(path, oid, int(size)))
    return entries


def list_files(repo: Path, rev: str) -> list[str]:
    """Paths of the regular files tracked at `rev`."""
    return [entry.path for entry in tree_entries(repo, rev)]


def read_blobs(repo: Path, entries: list[TreeEntry]) -> dict[str, str]:
    """Texts of many files at once (one `git cat-file --batch`); binaries and big files left out."""
    wanted = [e for e in entries if e.size <= MAX_FILE_BYTES]
    if not wanted:
        return {}
    env = {**os.environ, "GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
    done = subprocess.run(
        ["git", *_SAFE_CONFIG, "cat-file", "--batch"],
        cwd=repo, env=env, input="".join(f"{e.oid}\n" for e in wanted).encode(),
        capture_output=True, check=False, timeout=120,
    )  # fmt: skip
    if done.returncode != 0:
        raise GitError(done.stderr.decode("utf-8", "replace").strip() or "git cat-file failed")
    texts, data, position = {}, done.stdout, 0
    for entry in wanted:
        header_end = data.index(b"\n", position)
        size = int(data[position:header_end].split()[2])
        body = data[header_end + 1 : header_end + 1 + size]
        position = header_end + 1 + size + 1  # the object is followed by a newline
        if b"\0" not in body:
            texts[entry.path] = body.decode("utf-8", "replace")
    return texts
