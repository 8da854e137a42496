"""Cross-file context for the prompt: definitions, similar chunks and recent edits from other files.

The snippets come back in priority order (what the prompt builder should keep first when the budget is
short); `stable_order` then sorts the kept ones so that the most stable come first (definitions of
imported names, other definitions, similar chunks, recent edits; each by path), which keeps the token
prefix of consecutive prompts the same while the user types. The index is optional: with none, or one
that fails, completion goes on with whatever context could be had (the failure is logged).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from daima.indexer.api import CodeIndex
from daima.indexer.extract import identifier_tokens
from daima.indexer.model import Chunk, Symbol
from daima.text import AppliedEdit, TextDocument

from .templates import Snippet

log = logging.getLogger(__name__)

_IDENTIFIER = re.compile(r"[^\W\d]\w*")
_KIND_ORDER = {"import": 0, "definition": 1, "similar": 2, "recent": 3}
WINDOW_BEFORE, WINDOW_AFTER = 40, 10  # lines around the cursor whose names are looked up
MAX_NAMES = 48  # index look-ups per prompt (nearest names first)
MAX_DEFINITIONS = 24
PER_NAME = 2  # definitions kept per name
AMBIGUOUS = 6  # a name defined in this many other files is not looked up
SIMILAR_K = 3
DOC_LINES = 2  # docstring/comment head kept with a signature
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
    index: CodeIndex | None = None,
    path: str | Path | None = None,
    recent_edits: RecentEdits | None = None,
    root: str | Path | None = None,
) -> list[Snippet]:
    """Context snippets from other files, in priority order (most useful first).

    Names resolve as the code at the cursor sees them (`index.visible_names`): an imported name to the
    definition in the module it is imported from, a name this file binds to nothing (the prompt already
    holds this file); only other names near the cursor are looked up in the whole workspace."""
    current = Path(path) if path is not None else None
    snippets: list[Snippet] = []
    if index is not None:
        own: set[str] = set()
        try:
            found, own = _definitions(document, offset, index, current, root)
            snippets.extend(found)
        except Exception:
            log.exception("definitions for the completion context failed; going on without them")
        try:
            snippets.extend(_similar(document, offset, index, current, root, own))
        except Exception:
            log.exception("similar chunks for the completion context failed; going on without them")
    if recent_edits is not None:
        for edit in recent_edits.recent(exclude_path=path):
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


def _definitions(
    document: TextDocument, offset: int, index: CodeIndex, path: Path | None, root: str | Path | None
) -> tuple[list[Snippet], set[str]]:
    """Definition snippets, one per file, and the names this file binds at the cursor (an untitled
    buffer has no path: its names near the cursor are looked up in the whole workspace)."""
    here = index.relative(path) if path is not None else None
    visible: dict[str, list[Symbol]] = {}
    listed = index.visible_names(path, document.text, document.byte_offset(offset)) if path else []
    for symbol in listed:
        if symbol.kind != "module":  # an import the index could not resolve to a definition
            visible.setdefault(symbol.name, []).append(symbol)
    own = {name for name, symbols in visible.items() if any(_is_here(index, s, path, here) for s in symbols)}
    # Imported names in import order (visible_names lists the file's own names first, then its imports).
    imported = [name for name in visible if name not in own]
    # What the imports resolved to: a name near the cursor defined there is that definition, not its
    # namesakes elsewhere (`from m import 原名 as 别名` leaves 原名 on the import line).
    resolved = {(s.path, s.start_byte) for name in imported for s in visible[name]}
    near = [name for name in names_near(document, offset) if name not in visible]
    by_path: dict[str, list[Symbol]] = {}
    kinds: dict[str, str] = {}
    count = 0
    for position, name in enumerate((imported + near)[:MAX_NAMES]):
        if position < len(imported):
            found = visible[name]
        else:
            found = [s for s in index.definitions(name) if not _is_here(index, s, path, here)]
            found = [s for s in found if (s.path, s.start_byte) in resolved] or found
            if len(found) >= AMBIGUOUS:
                continue  # `__init__`, `run`, `get`: a name defined this often says little
            found.sort(key=lambda s: (str(s.path), s.line))
        for symbol in found[:PER_NAME]:
            if count >= MAX_DEFINITIONS:
                break
            label = _label(str(symbol.path), root)
            by_path.setdefault(label, []).append(symbol)
            # A file that defines an imported name is the most stable context there is.
            kinds.setdefault(label, "import" if position < len(imported) else "definition")
            count += 1
    snippets = []
    for label, symbols in by_path.items():
        unique = {(s.line, s.start_byte): s for s in symbols}  # an aliased import is its definition
        body = "\n".join(_describe(unique[key], label) for key in sorted(unique))
        snippets.append(Snippet(path=label, text=body, kind=kinds[label]))
    return snippets, own


def _is_here(index: CodeIndex, symbol: Symbol, path: Path | None, here: str | None) -> bool:
    """Whether a symbol is defined in the file being completed."""
    return symbol.path == path or (here is not None and index.relative(symbol.path) == here)


def _describe(symbol: Symbol, path: str) -> str:
    """Signature plus the head of the docstring, as the symbol's own language writes it."""
    signature = (symbol.signature or symbol.name).rstrip()
    doc_lines = [line.strip() for line in symbol.doc.strip().splitlines() if line.strip()]
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
    document: TextDocument,
    offset: int,
    index: CodeIndex,
    path: Path | None,
    root: str | Path | None,
    own: set[str],
) -> list[Snippet]:
    line = document.line_of(offset)
    first = max(0, line - 12)
    window = document.text[document.line_start(first) : offset]
    if not window.strip():
        return []
    snippets = []
    for chunk in index.similar_chunks(window, SIMILAR_K + 2, exclude=path):
        if (path is not None and chunk.path == path) or _redefines(index, chunk, own):
            continue
        snippets.append(Snippet(path=_label(str(chunk.path), root), text=chunk.text, kind="similar"))
        if len(snippets) >= SIMILAR_K:
            break
    return snippets


def _redefines(index: CodeIndex, chunk: Chunk, own: set[str]) -> bool:
    """The chunk defines a class or function that this file also defines: another file's `class 商品`
    with other fields, shown beside this file's, is code the model copies with the wrong fields
    (`商品.价格` where this 商品 has 单价)."""
    for name in own.intersection(identifier_tokens(chunk.text)):  # a chunk is a few lines: few queries
        for symbol in index.definitions(name):
            inside = chunk.start_line <= symbol.line < chunk.end_line
            if symbol.path == chunk.path and inside and symbol.kind in ("class", "function", "struct"):
                return True
    return False


def _label(path: str, root: str | Path | None) -> str:
    """The path shown to the model: relative to the workspace root when it is inside it."""
    if root is not None:
        try:
            return Path(path).relative_to(root).as_posix()
        except ValueError:
            pass
    return Path(path).as_posix()
