"""Which files of a workspace are indexed, and how a file's bytes become text.

Rules: `.gitignore` files (root and nested, real gitignore semantics via pathspec) and the
`index.exclude` option; vendored/generated folders; symlinks are not followed (a link to a file
inside the workspace would index it twice, one outside leaves the workspace); only extensions a
language handles. Reading: over `max_file_kb` → skipped; a NUL byte in the first 8 KiB → binary,
skipped; minified (average line over 400 bytes) → skipped; text is UTF-16 when it starts with a UTF-16
BOM, else in the encoding a Python file's PEP 263 cookie names (`# -*- coding: gbk -*-`), else in the
first of `index.encodings` (UTF-8, then GB18030 by default: older Chinese code bases are GBK) whose
decoding gives back the very bytes when encoded again; anything else is skipped with a log line.
Positions are then counted in the UTF-8 re-encoding of that text, which is what an editor holding it
sees.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

from .languages import indexed_extensions

# Folders that hold other people's code or build output; never worth indexing.
VENDORED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "bower_components",
        "vendor",
        "third_party",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "site-packages",
        "dist",
        "build",
        "target",
        ".next",
        ".gradle",
        ".idea",
        ".vscode",
        "Pods",
    }
)
GENERATED_SUFFIXES = (".min.js", ".min.mjs", ".bundle.js", "_pb2.py", "_pb2_grpc.py", ".pb.go", ".d.ts.map")
_BINARY_PROBE = 8192
_MINIFIED_LINE_BYTES = 400


class SkipFile(Exception):
    """A file the index leaves out; the message says why."""


@dataclass(frozen=True)
class Candidate:
    """A file the walk found: its POSIX path relative to the root, and its stat."""

    rel: str
    mtime_ns: int
    size: int


class IgnoreRules:
    """gitignore-style rules for one workspace: nested .gitignore files plus extra patterns."""

    def __init__(self, root: Path, extra: list[str] | None = None) -> None:
        self.root = root
        self._specs: list[tuple[str, pathspec.PathSpec]] = []  # (directory prefix, spec)
        if extra:
            self._specs.append(("", pathspec.GitIgnoreSpec.from_lines(extra)))

    def add_gitignore(self, directory_rel: str, path: Path) -> None:
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return
        prefix = f"{directory_rel}/" if directory_rel else ""
        self._specs.append((prefix, pathspec.GitIgnoreSpec.from_lines(lines)))

    def ignored(self, rel: str, is_dir: bool) -> bool:
        """Whether a path (relative, POSIX) is ignored by a rule from its own or a parent folder."""
        target = f"{rel}/" if is_dir else rel
        for prefix, spec in self._specs:
            if target.startswith(prefix) and spec.match_file(target[len(prefix) :]):
                return True
        return False


def excluded_name(name: str, is_dir: bool) -> bool:
    """Vendored folders and generated files, by name alone."""
    return name in VENDORED_DIRS if is_dir else name.endswith(GENERATED_SUFFIXES)


def walk(root: Path, rules: IgnoreRules, skipped: list[str] | None = None) -> Iterator[Candidate]:
    """Indexable files under `root`, pruning ignored folders without entering them."""
    extensions = indexed_extensions()
    stack = [""]
    while stack:
        directory = stack.pop()
        absolute = root / directory if directory else root
        try:
            entries = list(os.scandir(absolute))
        except OSError as error:  # permission denied, deleted meanwhile
            if skipped is not None:
                skipped.append(f"{directory or '.'}: {error.strerror or error}")
            continue
        if any(entry.name == ".gitignore" for entry in entries):
            rules.add_gitignore(directory, absolute / ".gitignore")
        for entry in entries:
            rel = f"{directory}/{entry.name}" if directory else entry.name
            try:
                if entry.is_symlink():
                    if skipped is not None and Path(entry.name).suffix in extensions:
                        skipped.append(f"{rel}: symlink not followed")
                    continue
                is_dir = entry.is_dir(follow_symlinks=False)
                if excluded_name(entry.name, is_dir) or rules.ignored(rel, is_dir):
                    continue
                if is_dir:
                    stack.append(rel)
                    continue
                if os.path.splitext(entry.name)[1].lower() not in extensions:
                    continue
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue  # vanished between listing and stat
            if stat.S_ISREG(info.st_mode):
                yield Candidate(rel, info.st_mtime_ns, info.st_size)


class OutsideWorkspace(OSError):
    """A path that is a link, goes through one, or is no regular file: the index never reads it."""


def is_regular_inside(root: str | Path, rel: str) -> bool:
    """Whether `rel` is a regular file under `root` reached without a link (what read_inside reads)."""
    path = os.path.join(os.path.realpath(root), rel)
    try:
        return os.path.realpath(path) == os.path.normpath(path) and stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def read_inside(root: str | Path, rel: str, max_bytes: int) -> tuple[bytes, os.stat_result]:
    """The bytes of the regular file `rel` under `root` (at most max_bytes + 1 of them, so the caller
    sees it is too large), refusing links anywhere below the root as the walk does: a link made after
    the walk (a `git pull`, an editor opening a linked path) must not lead the index outside the
    workspace, nor to a device like /dev/zero. Raises FileNotFoundError or OutsideWorkspace."""
    real_root = os.path.realpath(root)
    path = os.path.join(real_root, rel)
    if os.path.realpath(path) != os.path.normpath(path):
        raise OutsideWorkspace(f"{rel} is or goes through a link; links are not followed")
    # O_NOFOLLOW: the last part cannot have become a link since the check above.
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(handle, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise OutsideWorkspace(f"{rel} is not a regular file")
        return file.read(max_bytes + 1), info


def content_hash(data: bytes) -> str:
    """The content part of the (mtime, size, hash) change key."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


DEFAULT_ENCODINGS = ("utf-8", "gb18030")
# PEP 263: a comment on the first or second line naming the encoding.
_CODING_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def coding_cookie(data: bytes) -> str | None:
    """The encoding a Python file's PEP 263 cookie names (normalised by `codecs`), or None."""
    for line in data.split(b"\n", 2)[:2]:
        match = _CODING_COOKIE.match(line)
        if match:
            try:
                return codecs.lookup(match[1].decode("ascii")).name
            except (LookupError, UnicodeDecodeError):
                return None
        if line.strip() and not line.lstrip().startswith(b"#"):
            return None  # the cookie must come before any code
    return None


def decode_source(
    data: bytes, max_bytes: int, encodings: Sequence[str] = DEFAULT_ENCODINGS, *, cookie: bool = False
) -> str:
    """The text of a source file, or SkipFile saying why it is left out (rules in the module doc).
    `cookie`: the file's language reads a coding cookie (Python's PEP 263), which decides its encoding."""
    if len(data) > max_bytes:
        raise SkipFile(f"larger than {max_bytes // 1024} KiB")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise SkipFile(f"invalid UTF-16 ({error.reason})") from None
    if b"\0" in data[:_BINARY_PROBE]:
        raise SkipFile("binary")
    head = data[:65536]
    if len(head) > 4 * _MINIFIED_LINE_BYTES and len(head) / (head.count(b"\n") + 1) > _MINIFIED_LINE_BYTES:
        raise SkipFile("minified or generated (very long lines)")
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data[len(codecs.BOM_UTF8) :], "utf-8")
    named = coding_cookie(data) if cookie else None
    if named is not None:
        return _decode(data, named)
    first_error = ""
    for encoding in encodings:
        try:
            return _decode(data, encoding)
        except SkipFile as reason:
            first_error = first_error or str(reason)
    raise SkipFile(first_error or "no encoding given (index.encodings is empty)")


def _decode(data: bytes, encoding: str) -> str:
    """`data` in `encoding`, only when encoding the text again gives back the same bytes."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise SkipFile(f"not {_name(encoding)} (byte {error.start})") from None
    except LookupError:
        raise SkipFile(f"unknown encoding {encoding!r}") from None
    if encoding.replace("_", "-").lower() not in ("utf-8", "utf8") and text.encode(encoding) != data:
        raise SkipFile(f"not {_name(encoding)} (its bytes do not round-trip)")
    return text


def _name(encoding: str) -> str:
    return "UTF-8" if encoding.replace("_", "-").lower() in ("utf-8", "utf8") else encoding
