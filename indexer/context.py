"""Cross-file context for a completion, answered from the index (what the prompt builder asks for)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from daima.text import TextDocument

from .extract import identifier_tokens
from .model import Chunk, Symbol

if TYPE_CHECKING:
    from .workspace import WorkspaceIndex

_AMBIGUOUS = 6  # a name defined this often (`__init__`, `run`) says little about what the code uses


@dataclass(frozen=True)
class CompletionContext:
    """Definitions of names used near the cursor but defined in other files, and similar code elsewhere."""

    definitions: list[Symbol]
    chunks: list[Chunk]


def gather_context(
    index: WorkspaceIndex,
    path: Path,
    text: str,
    byte_offset: int,
    window_lines: int = 30,
    max_definitions: int = 8,
    max_chunks: int = 4,
) -> CompletionContext:
    """Context for a cursor at `byte_offset` of `text` (the editor's copy of `path`), most relevant first.

    Names are taken from the lines before the cursor, nearest first; each resolves through the
    file's imports and scopes (`visible_names`) before the whole workspace. Definitions in the file
    itself are left out: the prompt already holds that file.
    """
    document = TextDocument(path.as_uri(), text)
    offset = document.offset_from_byte(min(max(byte_offset, 0), len(document.source_bytes)))
    first_line = max(0, document.line_of(offset) - window_lines)
    window = text[document.line_start(first_line) : offset]
    visible: dict[str, list[Symbol]] = {}
    for symbol in index.visible_names(path, text, byte_offset):
        if symbol.kind != "module":
            visible.setdefault(symbol.name, []).append(symbol)
    here = index.relative(path)
    definitions: list[Symbol] = []
    seen: set[tuple[Path, int]] = set()
    for name in reversed(identifier_tokens(window)):
        candidates = visible.get(name) or index.definitions(name)
        elsewhere = [s for s in candidates if index.relative(s.path) != here]
        if not elsewhere or len(elsewhere) >= _AMBIGUOUS:
            continue
        for symbol in elsewhere[:2]:
            if (symbol.path, symbol.start_byte) not in seen:
                seen.add((symbol.path, symbol.start_byte))
                definitions.append(symbol)
        if len(definitions) >= max_definitions:
            break
    chunks = index.similar_chunks(window, max_chunks, exclude=path) if window.strip() else []
    own = {s.name for symbols in visible.values() for s in symbols if index.relative(s.path) == here}
    chunks = [chunk for chunk in chunks if not _redefines(index, chunk, own)]
    return CompletionContext(definitions[:max_definitions], chunks)


def _redefines(index: WorkspaceIndex, chunk: Chunk, own: set[str]) -> bool:
    """The chunk defines a class or function that this file also defines: another file's `class 商品`
    with other fields, shown beside this file's, is code the model copies with the wrong fields
    (`商品.价格` where this 商品 has 单价)."""
    for name in own.intersection(identifier_tokens(chunk.text)):  # a chunk is a few lines: few queries
        for symbol in index.definitions(name):
            inside = chunk.start_line <= symbol.line < chunk.end_line
            if symbol.path == chunk.path and inside and symbol.kind in ("class", "function", "struct"):
                return True
    return False
