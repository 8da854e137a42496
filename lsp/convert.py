"""The one place where lsprotocol types meet daima's plain dataclasses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import converters
from lsprotocol import types as lsp
from pygls import uris
from pygls.exceptions import JsonRpcInvalidParams

from daima.indexer import Symbol
from daima.text import Position, PositionEncoding, Range, TextDocument

from .documents import ContentChange

_ENCODINGS = {
    lsp.PositionEncodingKind.Utf8: PositionEncoding.UTF8,
    lsp.PositionEncodingKind.Utf16: PositionEncoding.UTF16,
    lsp.PositionEncodingKind.Utf32: PositionEncoding.UTF32,
}

_SYMBOL_KINDS = {
    "function": lsp.SymbolKind.Function,
    "method": lsp.SymbolKind.Method,
    "class": lsp.SymbolKind.Class,
    "struct": lsp.SymbolKind.Struct,
    "interface": lsp.SymbolKind.Interface,
    "enum": lsp.SymbolKind.Enum,
    "constant": lsp.SymbolKind.Constant,
    "variable": lsp.SymbolKind.Variable,
    "module": lsp.SymbolKind.Module,
    "type": lsp.SymbolKind.TypeParameter,
    "field": lsp.SymbolKind.Field,
    "macro": lsp.SymbolKind.Function,
}


_CONVERTER = converters.get_converter()


def to_json(value: object) -> Any:
    """An lsprotocol value as the JSON the wire carries, for notifications and results of our own
    methods (`daima/*`): lsprotocol's public converter, the one pygls uses for the standard ones."""
    return _CONVERTER.unstructure(value)


def encoding(kind: str | lsp.PositionEncodingKind | None) -> PositionEncoding:
    return _ENCODINGS.get(kind, PositionEncoding.UTF16)  # type: ignore[arg-type]


def position(p: lsp.Position) -> Position:
    return Position(p.line, p.character)


def range_(r: lsp.Range) -> Range:
    return Range(position(r.start), position(r.end))


def to_lsp_position(p: Position) -> lsp.Position:
    return lsp.Position(line=p.line, character=p.character)


def to_lsp_range(r: Range) -> lsp.Range:
    return lsp.Range(start=to_lsp_position(r.start), end=to_lsp_position(r.end))


def content_change(change: lsp.TextDocumentContentChangeEvent) -> ContentChange:
    if isinstance(change, lsp.TextDocumentContentChangePartial):
        return ContentChange(change.text, range_(change.range))
    return ContentChange(change.text)


def offsets_to_lsp_range(document: TextDocument, start: int, end: int, enc: PositionEncoding) -> lsp.Range:
    return to_lsp_range(document.range_at(start, end, enc))


def uri_to_path(uri: str) -> Path | None:
    path = uris.to_fs_path(uri)
    return Path(path) if path else None


def path_to_uri(path: Path) -> str:
    return uris.from_fs_path(str(path)) or path.as_uri()


def symbol_location(symbol: Symbol, enc: PositionEncoding, text: str | None) -> lsp.Location:
    """Location of a symbol's name; columns are re-counted in the negotiated encoding over `text`, the
    file's text as the index knows it (the open buffer, else the indexed file), never read here."""
    start = symbol_position(symbol, enc, text)
    return lsp.Location(uri=path_to_uri(symbol.path), range=lsp.Range(start=start, end=start))


def symbol_position(symbol: Symbol, enc: PositionEncoding, text: str | None) -> lsp.Position:
    known = {
        PositionEncoding.UTF16: symbol.column,
        PositionEncoding.UTF8: symbol.column_utf8,
        PositionEncoding.UTF32: symbol.column_utf32,
    }[enc]
    if known >= 0 or text is None:
        return lsp.Position(line=symbol.line, character=known if known >= 0 else symbol.column)
    document = TextDocument(path_to_uri(symbol.path), text)
    offset = document.offset_at(Position(symbol.line, symbol.column), PositionEncoding.UTF16, strict=False)
    return to_lsp_position(document.position_at(offset, enc))


def symbol_information(symbol: Symbol, enc: PositionEncoding, text: str | None) -> lsp.WorkspaceSymbol:
    return lsp.WorkspaceSymbol(
        name=symbol.name,
        kind=_SYMBOL_KINDS.get(symbol.kind, lsp.SymbolKind.Variable),
        location=symbol_location(symbol, enc, text),
        container_name=symbol.scope or None,
    )


def document_position(params: Any, method: str) -> tuple[str, int | None, int, int]:
    """(uri, version or None, line, character) from the params of one of daima's own methods
    ({textDocument: {uri, version?}, position}), or an invalid-params error that names `method`."""

    def field(value: Any, name: str) -> Any:
        return value.get(name) if isinstance(value, dict) else getattr(value, name, None)

    document = field(params, "textDocument")
    position = field(params, "position")
    uri, version = field(document, "uri"), field(document, "version")
    line, character = field(position, "line"), field(position, "character")
    if not isinstance(uri, str) or not all(_natural(value) for value in (line, character)):
        raise JsonRpcInvalidParams(f"{method} needs textDocument.uri and position {{line, character}}")
    if version is not None and not _natural(version):
        raise JsonRpcInvalidParams(f"{method}: textDocument.version must be an integer")
    return uri, version, line, character


def _natural(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
