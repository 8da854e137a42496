"""Cross-file context for the prompt: definitions, similar chunks and recent edits from other files.

The snippets come back in priority order (what the prompt builder should keep first when the budget is
short); `stable_order` then sorts the kept ones so that the most stable come first (definitions of
imported names, other definitions, similar chunks, recent edits; each by path), which keeps the token
prefix of consecutive prompts the same while the user types. The index is optional: with none, or one
that fails, completion goes on with whatever context could be had (the failure is logged).
"""

from __future__ import annotations

import inspect
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from daima.text import AppliedEdit, TextDocument

from .templates import Snippet

log = logging.getLogger(__name__)

_IDENTIFIER = re.compile(r"[^\W\d]\w*")
_KIND_ORDER = {"import": 0, "definition": 1, "similar": 2, "recent": 3}
WINDOW_BEFORE, WINDOW_AFTER = 40, 10  # lines around the cursor whose names are looked up
MAX_NAMES = 48  # index look-ups per prompt (nearest names first)
MAX_DEFINITIONS = 24
PER_NAME = 2  # definitions kept per name
SIMILAR_K = 3
DOC_LINES = 2  # docstring/comment head kept with a signature
# Imports in the languages daima indexes: Python `import a`/`from m import a, b`, JS/TS `import {a} from`,
# Java/Go/Rust `import`/`use` paths (the last component is the name).
_IMPORT_LINES = re.compile(r"^\s*(?:from\s+\S+\s+)?import\s+(.+)$|^\s*use\s+(.+);", re.MULTILINE)
# Keywords and very common builtins: looking them up in the index only adds noise.
_KEYWORD_TEXT = (
    "False None True and as assert async await break class continue def del elif else except finally "
    "for from global if import in is lambda nonlocal not or pass raise return try while with yield "
    "self cls const let var function new this return typeof void null undefined true false public "
    "private static int float str bool list dict set tuple print len range "
)
_KEYWORDS = frozenset(_KEYWORD_TEXT.split())


@dataclass(frozen=True)
class RecentEdit:
    """Lines of a file around a place the user edited, as they were right after the edit."""

    path: str
    start_line: int
    end_line: int  # exclusive
    text: str
    time: float


class RecentEdits:
    """A small in-memory store of recently edited ranges, fed by the server on every didChange."""

    def __init__(self, max_entries: int = 16, context_lines: int = 2) -> None:
        self._edits: OrderedDict[tuple[str, int], RecentEdit] = OrderedDict()
        self._max = max_entries
        self._context = context_lines
        self._lock = threading.Lock()  # fed on the event loop, read on the completion worker

    def record(self, path: str | Path, document: TextDocument, edit: AppliedEdit) -> None:
        """Remember the lines around `edit` (already applied to `document`)."""
        key_path = str(path)
        first = max(0, edit.start_point[0] - self._context)
        last = min(document.line_count, edit.new_end_point[0] + self._context + 1)
        with self._lock:
            # An edit next to an earlier one in the same file replaces it: typing a word is one range.
            for key, old in list(self._edits.items()):
                if old.path == key_path and old.start_line <= last and first <= old.end_line:
                    first, last = min(first, old.start_line), max(last, old.end_line)
                    last = min(last, document.line_count)
                    del self._edits[key]
            text = document.text_range(document.line_start(first), document.line_end(last - 1))
            self._edits[(key_path, first)] = RecentEdit(key_path, first, last, text, time.monotonic())
            while len(self._edits) > self._max:
                self._edits.popitem(last=False)

    def recent(self, *, exclude_path: str | Path | None = None, limit: int = 4) -> list[RecentEdit]:
        """The newest edits first, leaving out those of `exclude_path` (the prompt has that file)."""
        with self._lock:
            edits = list(self._edits.values())
        skip = str(exclude_path) if exclude_path is not None else None
        return [edit for edit in reversed(edits) if edit.path != skip][:limit]


def gather_context(
    document: TextDocument,
    offset: int,
    *,
    index: Any = None,
    path: str | Path | None = None,
    recent_edits: RecentEdits | None = None,
    root: str | Path | None = None,
) -> list[Snippet]:
    """Context snippets from other files, in priority order (most useful first)."""
    current = str(path) if path is not None else None
    snippets: list[Snippet] = []
    if index is not None:
        try:
            snippets.extend(_definitions(document, offset, index, current, root))
        except Exception:
            log.exception("definitions for the completion context failed; going on without them")
        try:
            snippets.extend(_similar(document, offset, index, current, root))
        except Exception:
            log.exception("similar chunks for the completion context failed; going on without them")
    if recent_edits is not None:
        for edit in recent_edits.recent(exclude_path=current):
            snippets.append(Snippet(path=_label(edit.path, root), text=edit.text, kind="recent"))
    return snippets


def stable_order(snippets: Iterable[Snippet]) -> list[Snippet]:
    """The kept snippets, most stable first: imported-name definitions, definitions, similar, recent."""
    return sorted(snippets, key=lambda s: (_KIND_ORDER.get(s.kind, 9), s.path, s.text))


def names_near(document: TextDocument, offset: int) -> list[str]:
    """Identifiers around the cursor, nearest first, without keywords and common builtins."""
    line = document.line_of(offset)
    first = max(0, line - WINDOW_BEFORE)
    last = min(document.line_count - 1, line + WINDOW_AFTER)
    start, end = document.line_start(first), document.line_end(last)
    found: dict[str, int] = {}
    for match in _IDENTIFIER.finditer(document.text, start, end):
        name = match.group()
        if name in _KEYWORDS or (len(name) < 2 and not name.isascii()):
            continue
        distance = abs(match.start() - offset)
        if distance < found.get(name, 1 << 62):
            found[name] = distance
    return sorted(found, key=lambda name: found[name])


def imported_names(document: TextDocument) -> list[str]:
    """Names a file imports (Python, JS/TS, Java, Go, Rust import lines), in file order."""
    names: list[str] = []
    for match in _IMPORT_LINES.finditer(document.text):
        clause = match.group(1) or match.group(2) or ""
        clause = clause.split(" from ")[0]
        for part in re.split(r"[,{}()*\s]+", clause):
            name = part.split(".")[-1].split("::")[-1].strip("'\";")
            if _IDENTIFIER.fullmatch(name) and name not in _KEYWORDS and name not in names:
                names.append(name)
    return names


_FROM_IMPORT = re.compile(r"^\s*from\s+([\w.]+)\s+import\s+\(?([^)\n]+)", re.MULTILINE)
_JS_IMPORT = re.compile(r"^\s*import\s+\{?([^}\n]*?)\}?\s+from\s+['\"]([^'\"]+)['\"]", re.MULTILINE)


def _import_modules(document: TextDocument, current: str | None = None) -> dict[str, str]:
    """Imported name -> the module path it comes from, as a path fragment ("商店/价格")."""
    modules: dict[str, str] = {}
    for match in _FROM_IMPORT.finditer(document.text):
        module = match.group(1)
        fragment = module.lstrip(".").replace(".", "/")
        dots = len(module) - len(module.lstrip("."))
        if dots and current is not None:
            # `from .x import y` in a/b/c.py is a/b/x; each further dot goes one folder up.
            base = Path(current).parents[dots - 1] if dots <= len(Path(current).parents) else Path("/")
            fragment = (base / fragment).as_posix() if fragment else base.as_posix()
        for part in match.group(2).split(","):
            name = part.split(" as ")[0].strip()
            if fragment and _IDENTIFIER.fullmatch(name):
                modules.setdefault(name, fragment)
    for match in _JS_IMPORT.finditer(document.text):
        fragment = re.sub(r"\.[jt]sx?$", "", match.group(2)).lstrip("./")
        for part in match.group(1).split(","):
            name = part.split(" as ")[0].strip()
            if fragment and _IDENTIFIER.fullmatch(name):
                modules.setdefault(name, fragment)
    return modules


def _is_module(path: str, fragment: str) -> bool:
    """Whether a file is the module `fragment` ("商店/价格" is 商店/价格.py or 商店/价格/__init__.py)."""
    stem = (
        re.sub(r"\.[^./\\]+$", "", path.replace("\\", "/")).removesuffix("/__init__").removesuffix("/index")
    )
    fragment = fragment.strip("/")
    return stem == fragment or stem.endswith("/" + fragment)


def _definitions(
    document: TextDocument, offset: int, index: Any, current: str | None, root: str | Path | None
) -> list[Snippet]:
    imported = imported_names(document)
    near = [name for name in names_near(document, offset) if name not in imported]
    by_path: dict[str, list[Any]] = {}
    kinds: dict[str, str] = {}
    count = 0
    modules = _import_modules(document, current)
    for position, name in enumerate((imported + near)[:MAX_NAMES]):
        found = [s for s in index.definitions(name) or () if str(getattr(s, "path", "")) not in ("", current)]
        # Only the definition in the module the name is imported from when there is one; else by path,
        # and a name defined in many files (`__init__`, `get`) contributes only a couple of them.
        hint = modules.get(name, "")
        from_module = [s for s in found if hint and _is_module(str(s.path), hint)]
        found = from_module or sorted(found, key=lambda s: (str(s.path), getattr(s, "line", 0)))
        for symbol in found[:PER_NAME]:
            symbol_path = str(symbol.path)
            if count >= MAX_DEFINITIONS:
                break
            label = _label(symbol_path, root)
            by_path.setdefault(label, []).append(symbol)
            # A file that defines an imported name is the most stable context there is.
            kinds.setdefault(label, "import" if position < len(imported) else "definition")
            count += 1
    snippets = []
    for label, symbols in by_path.items():
        unique = {(getattr(s, "line", 0), getattr(s, "name", "")): s for s in symbols}
        body = "\n".join(_describe(unique[key], label) for key in sorted(unique))
        snippets.append(Snippet(path=label, text=body, kind=kinds[label]))
    return snippets


def _describe(symbol: Any, path: str) -> str:
    """Signature plus the head of the docstring, as the symbol's own language writes it."""
    signature = (getattr(symbol, "signature", "") or getattr(symbol, "name", "")).rstrip()
    doc_lines = [
        line.strip() for line in (getattr(symbol, "doc", "") or "").strip().splitlines() if line.strip()
    ]
    doc = doc_lines[:DOC_LINES]
    if path.endswith((".py", ".pyi")):
        # Written as valid Python (header, colon, docstring body) so the model reads it as code.
        header = (
            signature
            if signature.endswith(":") or not signature.startswith(("def ", "class ", "async def "))
            else signature + ":"
        )
        indent = re.match(r"\s*", signature)
        pad = (indent.group() if indent else "") + "    "
        if not doc:
            return f"{header}\n{pad}..." if header.endswith(":") else header
        if len(doc) == 1:
            return f'{header}\n{pad}"""{doc[0]}"""'
        quoted = "\n".join(pad + line for line in doc)
        return f'{header}\n{pad}"""\n{quoted}\n{pad}"""'
    if not doc:
        return signature
    comment = "".join(f"// {line}\n" for line in doc)
    return comment + signature


def _similar(
    document: TextDocument, offset: int, index: Any, current: str | None, root: str | Path | None
) -> list[Snippet]:
    line = document.line_of(offset)
    first = max(0, line - 12)
    window = document.text[document.line_start(first) : offset]
    if not window.strip():
        return []
    chunks = _call_similar(index, window, current)
    snippets = []
    for chunk in chunks:
        chunk_path = str(getattr(chunk, "path", ""))
        if not chunk_path or chunk_path == current:
            continue
        snippets.append(
            Snippet(path=_label(chunk_path, root), text=str(getattr(chunk, "text", "")), kind="similar")
        )
        if len(snippets) >= SIMILAR_K:
            break
    return snippets


def _call_similar(index: Any, window: str, current: str | None) -> Sequence[Any]:
    """Call `index.similar_chunks` with the keywords its signature has (k, and a path to leave out)."""
    method = index.similar_chunks
    try:
        parameters = inspect.signature(method).parameters
    except (TypeError, ValueError):
        parameters = {}  # type: ignore[assignment]
    kwargs: dict[str, Any] = {}
    for name in ("k", "limit", "top_k"):
        if name in parameters:
            kwargs[name] = SIMILAR_K + 2
            break
    for name in ("exclude_path", "exclude", "path"):
        if name in parameters and current is not None:
            kwargs[name] = Path(current)
            break
    return list(method(window, **kwargs) or ())


def _label(path: str, root: str | Path | None) -> str:
    """The path shown to the model: relative to the workspace root when it is inside it."""
    if root is not None:
        try:
            return Path(path).relative_to(root).as_posix()
        except ValueError:
            pass
    return Path(path).as_posix()
