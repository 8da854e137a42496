"""The index's read side: the queries completion and the server ask.

A file open in the editor answers from its buffer's facts in memory, never from its stored rows:
the store holds what the disk (or the buffer at open) said, and keystrokes do not rewrite it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from daima.text import TextDocument

from .extract import FileFacts, SymbolRow, extract_range, identifier_tokens, parse
from .languages import language_for_path
from .model import Chunk, Symbol
from .modules import normalize_imports, normalize_query_module
from .store import CHUNK_ID_BITS

if TYPE_CHECKING:
    from .workspace import WorkspaceIndex

_SYMBOL_COLUMNS = (
    "s.name, s.kind, f.path, s.line, s.col, s.start_byte, s.end_byte, s.signature, s.doc, s.scope, s.col8, "
    "s.col32"
)
_FROM = "FROM symbols s JOIN files f ON f.id = s.file_id"
_NOT_OPEN = "f.path NOT IN (SELECT value FROM json_each(?))"  # the open buffers answer for these paths
_MAX_QUERY_TOKENS = 64  # enough to characterize a code window; bounds the FTS query size
_FUZZY_CANDIDATES = 5000


def _symbol(index: WorkspaceIndex, row: tuple) -> Symbol:
    name, kind, rel, *rest = row
    return Symbol(name, kind, index.root / rel, *rest)


def _open_rows(open_docs: dict[str, FileFacts], keep: Callable[[SymbolRow], bool]) -> list[tuple]:
    """Rows shaped like `_SYMBOL_COLUMNS` from the open buffers' symbols that `keep` accepts."""
    return [(s[0], s[1], rel, *s[2:]) for rel, facts in open_docs.items() for s in facts.symbols if keep(s)]


def _open_paths(open_docs: dict[str, FileFacts]) -> str:
    return json.dumps(sorted(open_docs))


def definitions(index: WorkspaceIndex, name: str) -> list[Symbol]:
    open_docs = index.open_facts()
    rows = index.store.query(
        f"SELECT {_SYMBOL_COLUMNS} {_FROM} WHERE s.name = ? AND {_NOT_OPEN}", (name, _open_paths(open_docs))
    )
    rows += _open_rows(open_docs, lambda s: s[0] == name)
    rows.sort(key=lambda row: (row[2], row[3]))
    return [_symbol(index, row) for row in rows]


def definitions_with_prefix(index: WorkspaceIndex, prefix: str, limit: int = 50) -> list[Symbol]:
    if not prefix:
        return []
    open_docs = index.open_facts()
    rows = index.store.query(
        f"SELECT {_SYMBOL_COLUMNS} {_FROM} WHERE s.name >= ? AND s.name < ? AND {_NOT_OPEN} "
        "ORDER BY length(s.name), s.name, f.path LIMIT ?",
        (prefix, prefix + "\U0010ffff", _open_paths(open_docs), limit),
    )
    rows += _open_rows(open_docs, lambda s: s[0].startswith(prefix))
    rows.sort(key=lambda row: (len(row[0]), row[0], row[2]))
    return [_symbol(index, row) for row in rows[:limit]]


def search_symbols(index: WorkspaceIndex, query: str, limit: int = 100) -> list[Symbol]:
    query = query.strip()
    open_docs = index.open_facts()
    paths = _open_paths(open_docs)
    if not query:
        rows = index.store.query(
            f"SELECT {_SYMBOL_COLUMNS} {_FROM} WHERE {_NOT_OPEN} ORDER BY s.name LIMIT ?", (paths, limit)
        )
        rows += _open_rows(open_docs, lambda s: True)
        rows.sort(key=lambda row: (row[0], row[2]))
        return [_symbol(index, row) for row in rows[:limit]]
    escaped = [ch.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for ch in query]
    pattern = "%" + "%".join(escaped) + "%"  # subsequence; SQLite LIKE ignores ASCII case
    rows = index.store.query(
        f"SELECT {_SYMBOL_COLUMNS} {_FROM} WHERE s.name LIKE ? ESCAPE '\\' AND {_NOT_OPEN} LIMIT ?",
        (pattern, paths, _FUZZY_CANDIDATES),
    )
    folded = _ascii_lower(query)
    rows += _open_rows(open_docs, lambda s: _is_subsequence(folded, _ascii_lower(s[0])))
    lowered = query.lower()
    ranked = sorted(rows, key=lambda row: (_fuzzy_rank(row[0], query, lowered), len(row[0]), row[0], row[2]))
    return [_symbol(index, row) for row in ranked[:limit]]


def _ascii_lower(text: str) -> str:
    """Lower-case ASCII letters only, as SQLite's LIKE compares them."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _is_subsequence(needle: str, haystack: str) -> bool:
    letters = iter(haystack)
    return all(ch in letters for ch in needle)


def _fuzzy_rank(name: str, query: str, lowered: str) -> int:
    """0 exact, 1 exact ignoring case, 2 prefix, 3 substring, 4 subsequence only."""
    if name == query:
        return 0
    low = name.lower()
    if low == lowered:
        return 1
    if low.startswith(lowered):
        return 2
    return 3 if lowered in low else 4


def importers(index: WorkspaceIndex, module: str) -> list[Path]:
    exact = normalize_query_module(module)
    separator = "/" if "/" in exact else "."
    open_docs = index.open_facts()
    rows = index.store.query(
        "SELECT DISTINCT f.path FROM imports i JOIN files f ON f.id = i.file_id "
        "WHERE (i.module = ? OR i.module LIKE ? ESCAPE '\\' OR i.module LIKE ? ESCAPE '\\') "
        f"AND {_NOT_OPEN}",
        (
            exact,
            _like_escape(exact + separator) + "%",
            "%" + _like_escape(separator + exact),
            _open_paths(open_docs),
        ),
    )
    paths = {rel for (rel,) in rows}
    for rel, facts in open_docs.items():
        modules = {row[0] for row in facts.imports}
        if any(
            m == exact or m.startswith(exact + separator) or m.endswith(separator + exact) for m in modules
        ):
            paths.add(rel)
    return [index.root / rel for rel in sorted(paths)]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def similar_chunks(index: WorkspaceIndex, text: str, k: int = 4, exclude: Path | None = None) -> list[Chunk]:
    tokens = [token for token in identifier_tokens(text) if len(token) > 1][:_MAX_QUERY_TOKENS]
    if not tokens or k <= 0:
        return []
    match = " OR ".join('"' + token.replace('"', '""') + '"' for token in tokens)
    excluded = index.relative(exclude) if exclude is not None else None
    rows = index.store.query(
        "SELECT f.path, chunks_fts.start_line, chunks_fts.end_line, bm25(chunks_fts) AS rank FROM chunks_fts "
        f"JOIN files f ON f.id = (chunks_fts.rowid >> {CHUNK_ID_BITS}) "
        "WHERE chunks_fts MATCH ? AND f.path IS NOT ? ORDER BY rank LIMIT ?",
        (match, excluded, k),
    )
    chunks = []
    for rel, start, end, rank in rows:
        lines = _file_lines(index, rel)
        if lines is None:
            continue
        chunks.append(Chunk(index.root / rel, start, end, "\n".join(lines[start:end]), -rank))
    return chunks


def _file_lines(index: WorkspaceIndex, rel: str) -> list[str] | None:
    text = index.file_text(index.root / rel)  # never a link out of the workspace, never unbounded
    return None if text is None else text.splitlines()


def visible_names(index: WorkspaceIndex, path: Path, text: str, byte_offset: int) -> list[Symbol]:
    language = language_for_path(path)
    if language is None:
        return []
    path = Path(os.path.abspath(path))  # a relative or `..` path from the command line has no file URI
    rel = index.relative(path) or path.name
    facts = index.document_facts(rel, text)  # an open buffer's facts may be current already
    if facts is None and index.document_text(rel) is not None:
        # Typed since the buffer was last re-indexed (the server waits for a pause): catch up
        # incrementally from its previous tree rather than parsing the whole text again.
        index.update_document(path, text)
        facts = index.document_facts(rel, text)
    if facts is None:
        document = TextDocument(path.as_uri(), text)
        facts = extract_range(language, document, parse(language, document))
        facts.imports = normalize_imports(language.name, rel, facts.imports)
    here = [Symbol(row[0], row[1], path, *row[2:]) for row in facts.symbols]
    enclosing = [s for s in here if s.start_byte <= byte_offset < s.end_byte]
    scopes = {""} | {_join(s.scope, s.name) for s in enclosing}
    visible = [s for s in here if s.scope in scopes]
    seen = {(s.path, s.start_byte) for s in visible}
    for module, name, line, column, original in facts.imports:
        wanted = original or name
        found = [s for s in definitions(index, wanted) if _from_module(index, s, module)] or definitions(
            index, wanted
        )
        if original and original != name:  # `from m import 原名 as 别名` binds 别名 to m's 原名
            found = [replace(s, name=name) for s in found]
        if not found:
            found = [Symbol(name, "module", path, line, column, 0, 0, f"import {module}", "", "")]
        for symbol in found:
            if (symbol.path, symbol.start_byte) not in seen:
                seen.add((symbol.path, symbol.start_byte))
                visible.append(symbol)
    return visible


def _join(scope: str, name: str) -> str:
    return f"{scope}.{name}" if scope else name


def _from_module(index: WorkspaceIndex, symbol: Symbol, module: str) -> bool:
    """Whether a symbol's file plausibly is `module` (pkg.mod -> pkg/mod.py, src/x -> src/x.js)."""
    rel = index.relative(symbol.path) or ""
    stem = re.sub(r"\.[^./]+$", "", rel).removesuffix("/__init__")
    dotted = stem.replace("/", ".")
    return stem == module or dotted == module or dotted.endswith("." + module) or stem.endswith("/" + module)


def definition_at(index: WorkspaceIndex, path: Path, text: str, byte_offset: int, name: str) -> list[Symbol]:
    """Where `name`, used at `byte_offset` of `path`, is defined: local scopes and imports first."""
    visible = [
        s for s in visible_names(index, path, text, byte_offset) if s.name == name and s.kind != "module"
    ]
    return visible or definitions(index, name)
