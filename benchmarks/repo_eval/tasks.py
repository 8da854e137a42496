"""Holes in real files, derived from a source's tree by a seeded sampler.

Three cursor kinds, each on a one-line statement inside a function:
- "line_start": the cursor after the line's indentation, the rest of the file below it;
- "mid_line": the cursor inside the line, after part of its first identifier or after a `(`, `=` or `.`;
- "typing": the cursor after the indentation with the rest of the enclosing function removed, as when
  code is written top-down (the file goes on after that function).
The expected text is the rest of the line. A file's half (development or held-out) comes from a salted hash
of the repository and path alone, so every hole of a file is on one side.
"""

from __future__ import annotations

import ast
import hashlib
import io
import random
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

from .sources import Source

KINDS = ("line_start", "mid_line", "typing")
SPLITS = ("dev", "heldout")
_SALT = b"daima-repo-eval-split-v1"
MAX_FILE_BYTES = 200_000
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_PAUSE = re.compile(r"[(=.]")
_SKIPPED_DIRS = {".git", "node_modules", "build", "dist", "venv", ".venv", "site-packages"}


@dataclass(frozen=True)
class RepoTask:
    source: str  # owner/name
    identifiers: str  # the source's "zh" or "en"
    path: str  # relative to the tree, with "/"
    kind: str
    line: int  # 0-based line of the hole
    prefix: str
    suffix: str
    expected: str  # the rest of the line after the cursor

    @property
    def task_id(self) -> str:
        return f"{self.source}:{self.path}:{self.line + 1}:{self.kind}"


def split_of(repo: str, path: str) -> str:
    """'dev' or 'heldout' for a file of a repository."""
    digest = hashlib.blake2b(_SALT + f"{repo}:{path}".encode(), digest_size=8).digest()
    return SPLITS[digest[0] & 1]


def python_files(tree: Path) -> list[Path]:
    found = []
    for path in sorted(tree.rglob("*.py")):
        relative = path.relative_to(tree)
        if _SKIPPED_DIRS.intersection(relative.parts[:-1]) or not path.is_file() or path.is_symlink():
            continue
        if path.stat().st_size <= MAX_FILE_BYTES:
            found.append(path)
    return found


def _statement_lines(text: str) -> list[tuple[int, int]]:
    """(line, end of the outermost enclosing function's last line) for one-line statements in functions."""
    try:
        module = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    found: dict[int, int] = {}

    def visit(node: ast.AST, outer_end: int | None) -> None:
        for child in ast.iter_child_nodes(node):
            end = outer_end
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) and outer_end is None:
                end = child.end_lineno
            if end is not None and isinstance(child, ast.stmt) and child.lineno == child.end_lineno:
                docstring = isinstance(child, ast.Expr) and isinstance(child.value, ast.Constant)
                if not docstring and not isinstance(child, (ast.Pass, ast.FunctionDef, ast.AsyncFunctionDef)):
                    found.setdefault(child.lineno - 1, end)
            visit(child, end)

    visit(module, None)
    return sorted(found.items())


def _identifiers(line: str) -> list[tuple[int, str]]:
    """(column, name) of the identifiers in one line of code (strings and comments left out)."""
    names = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(line).readline):
            if token.type == tokenize.NAME:
                names.append((token.start[1], token.string))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []
    return names


def _code_part(content: str) -> str:
    """`content` without a trailing comment (the expected text is the code the author wrote)."""
    end = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(content).readline):
            if token.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER):
                end = max(end, token.end[1] if token.end[0] == 1 else len(content))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return content
    return content[:end].rstrip()


def _usable(content: str, identifiers: str) -> bool:
    if not 6 <= len(content) <= 100 or content.startswith(("#", "@")) or content.endswith(("\\", ",")):
        return False
    names = _identifiers(content)
    if not names:
        return False
    # In code written with Chinese names, the holes are where those names are read or written.
    return identifiers != "zh" or any(_CJK.search(name) for _, name in names)


def _mid_line_columns(content: str) -> list[int]:
    """Cursor columns inside `content`: after a `(`, `=` or `.`, or inside its first identifier."""
    columns = [m.end() for m in _PAUSE.finditer(content) if 2 <= m.end() < len(content) - 1]
    names = _identifiers(content)
    if names:
        start, name = names[0]
        columns += [start + cut for cut in range(1, len(name))]
    return sorted(set(columns))


def file_tasks(source: Source, tree: Path, path: Path, rng: random.Random) -> list[RepoTask]:
    """Every kind of hole on the usable lines of one file (the sampler picks among them)."""
    text = path.read_bytes().decode("utf-8", errors="replace").replace("\r\n", "\n")
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    relative = path.relative_to(tree).as_posix()
    tasks = []
    for number, function_end in _statement_lines(text):
        raw = lines[number]
        content = _code_part(raw.strip())
        if not _usable(content, source.identifiers):
            continue
        indent = len(raw) - len(raw.lstrip())
        at = starts[number] + indent
        line_end = at + len(content)
        rest = text[starts[number] + len(raw) :]
        common = {"source": source.repo, "identifiers": source.identifiers, "path": relative, "line": number}
        tasks.append(RepoTask(kind="line_start", prefix=text[:at], suffix=rest, expected=content, **common))
        columns = _mid_line_columns(content)
        if columns:
            cut = rng.choice(columns)
            tasks.append(RepoTask(kind="mid_line", prefix=text[: at + cut], suffix=rest,
                                  expected=text[at + cut : line_end], **common))  # fmt: skip
        after_function = text[starts[function_end] - 1 :] if function_end < len(starts) else ""
        tasks.append(
            RepoTask(kind="typing", prefix=text[:at], suffix=after_function, expected=content, **common)
        )
    return tasks


def sample_tasks(
    sources: list[tuple[Source, Path]], per_kind: int, seed: int, split: str = "heldout"
) -> list[RepoTask]:
    """A seeded sample: `per_kind` holes of each kind from each source (fewer where it has fewer), from
    the files of one half ("dev", "heldout") or of both ("all"); at most one hole per line and kind."""
    chosen: list[RepoTask] = []
    for source, tree in sources:
        rng = random.Random(f"{seed}:{source.repo}")
        pool: dict[str, list[RepoTask]] = {kind: [] for kind in KINDS}
        for path in python_files(tree):
            relative = path.relative_to(tree).as_posix()
            if split != "all" and split_of(source.repo, relative) != split:
                continue
            for task in file_tasks(source, tree, path, rng):
                pool[task.kind].append(task)
        for kind in KINDS:
            # Lines a file repeats (the same call in many tests) would weigh one habit many times.
            distinct = list({(t.path, t.expected): t for t in pool[kind]}.values())
            chosen += rng.sample(distinct, min(per_kind, len(distinct)))
    return chosen
