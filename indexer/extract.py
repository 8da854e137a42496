"""Facts about one file from its tree-sitter tree: definitions, references, imports and chunks.

Runs in worker processes during the first index, so its result is plain picklable tuples.
All positions come from `daima.text.TextDocument`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import tree_sitter as ts

from daima.text import PositionEncoding, TextDocument

from .languages import Language

CHUNK_LINES = 20  # lines per similarity chunk: about one function, small enough to fit many in a prompt
_IDENTIFIER = re.compile(r"[^\W\d]\w*")  # Unicode-aware, so Chinese identifiers are tokens too
# Keywords of the indexed languages say nothing about what a chunk is about; leaving them out keeps the
# similarity index smaller and its scores sharper.
_KEYWORD_TEXT = (
    "self this def return if else elif for while in is not and or None True False import from as class "
    "pass with try except finally raise lambda yield async await const let var function new null undefined "
    "true false public private protected static void int final package extends implements interface "
    "func go type struct fn pub impl mut use mod match loop include define typedef unsigned char return "
    "break continue switch case default do enum sizeof auto namespace template typename std"
)
_KEYWORDS = frozenset(_KEYWORD_TEXT.split())
_MAX_SIGNATURE = 400
_MAX_DOC = 300
# Wrappers whose leading comments document the definition inside them.
_WRAPPERS = frozenset(
    {"export_statement", "decorated_definition", "template_declaration", "declaration_list"}
)

# (name, kind, line, column_utf16, start_byte, end_byte, signature, doc, scope, column_utf8, column_utf32):
# the name's column in each LSP position encoding, so an answer never re-reads the file to count them.
SymbolRow = tuple[str, str, int, int, int, int, str, str, str, int, int]
# (module, name, line, column_utf16, original): `original` is the name the module defines when the
# import binds it under another (`from m import 原名 as 别名`), else ""
ImportRow = tuple[str, str, int, int, str]
# (start_line, end_line, space-separated distinct identifier tokens)
ChunkRow = tuple[int, int, str]


@dataclass
class FileFacts:
    """Everything the index stores about one file."""

    symbols: list[SymbolRow] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    imports: list[ImportRow] = field(default_factory=list)
    chunks: list[ChunkRow] = field(default_factory=list)


def identifier_tokens(text: str) -> list[str]:
    """Distinct identifier tokens of `text`, first-seen order, keywords left out (similarity terms)."""
    return [token for token in dict.fromkeys(_IDENTIFIER.findall(text)) if token not in _KEYWORDS]


def parse(language: Language, document: TextDocument) -> ts.Tree:
    """A fresh tree for the document (the caller keeps it for incremental re-parses)."""
    return language.parser.parse(document.source_bytes)


def extract(language: Language, document: TextDocument, tree: ts.Tree | None = None) -> FileFacts:
    """Definitions, references, imports and chunks of a document (parsing it unless `tree` is given)."""
    facts = extract_range(language, document, tree or parse(language, document))
    facts.chunks = chunk_rows(document.text)
    return facts


def extract_range(
    language: Language,
    document: TextDocument,
    tree: ts.Tree,
    byte_range: tuple[int, int] | None = None,
    scope: str = "",
    parent_kind: str = "",
) -> FileFacts:
    """Definitions, references and imports whose name starts inside `byte_range` (no chunks).

    `scope` and `parent_kind` describe the definition enclosing the range, for re-extracting one
    function after an edit without re-reading the rest of the file.
    """
    source = document.source_bytes
    low, high = byte_range or (0, len(source))
    facts = FileFacts()
    definitions: dict[int, tuple[ts.Node, ts.Node, str, str | None]] = {}
    scopes: list[tuple[int, int, str]] = []
    references: set[bytes] = set()

    def text_of(node: ts.Node) -> str:
        return source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    cursor = ts.QueryCursor(language.query)
    references_cursor = ts.QueryCursor(language.references_query)
    if byte_range is not None:
        cursor.set_byte_range(low, high)
        references_cursor.set_byte_range(low, high)
    for _, captures in cursor.matches(tree.root_node):
        explicit_scope = captures.get("name.scope")
        for capture, nodes in captures.items():
            if capture.startswith("name.definition."):
                kind = capture[len("name.definition.") :]
                outer = captures.get(f"definition.{kind}")
                for name in nodes:
                    if not low <= name.start_byte < high:
                        continue
                    node = outer[0] if outer else (name.parent or name)
                    explicit = text_of(explicit_scope[0]) if explicit_scope else None
                    definitions.setdefault(name.start_byte, (name, node, kind, explicit))
        if "scope" in captures and explicit_scope:
            region = captures["scope"][0]
            scopes.append((region.start_byte, region.end_byte, text_of(explicit_scope[0])))
        if "import.module" in captures and low <= captures["import.module"][0].start_byte < high:
            module = text_of(captures["import.module"][0]).strip("\"'<>")
            named = captures.get("import.name")
            original = text_of(captures["import.original"][0]) if "import.original" in captures else ""
            for node in named or captures["import.module"]:
                imported = text_of(node) if named else _bound_name(language.name, module)
                facts.imports.append((module, imported, *_position(document, node), original))

    for capture, nodes in references_cursor.captures(tree.root_node).items():
        if capture.startswith("name.reference."):
            references.update(source[node.start_byte : node.end_byte] for node in nodes)
    enclosing = [(1 << 62, scope, parent_kind)] if scope else []
    facts.symbols = _symbols(language, document, definitions, scopes, text_of, enclosing)
    facts.references = sorted(name.decode("utf-8", "replace") for name in references)
    return facts


def chunk_rows(text: str) -> list[ChunkRow]:
    """Fixed windows of CHUNK_LINES lines with their identifier tokens (windows without any are dropped)."""
    lines = text.splitlines()
    rows = []
    for start in range(0, len(lines), CHUNK_LINES):
        tokens = identifier_tokens("\n".join(lines[start : start + CHUNK_LINES]))
        if tokens:
            rows.append((start, min(start + CHUNK_LINES, len(lines)), " ".join(tokens)))
    return rows


def _bound_name(language: str, module: str) -> str:
    """The name an import without an explicit name binds: `import os.path` binds `os`, Go's "a/b" binds b."""
    if language == "python":
        return module.split(".")[0]
    if language in ("c", "cpp"):
        return module  # an include binds no name; keep the header
    return re.split(r"::|/|\.", module)[-1]


def _position(document: TextDocument, node: ts.Node) -> tuple[int, int]:
    position = document.position_at(document.offset_from_point(node.start_point))
    return position.line, position.character


def _columns(document: TextDocument, node: ts.Node) -> tuple[int, int, int, int]:
    """The node's line and its column in UTF-16, UTF-8 and UTF-32."""
    offset = document.offset_from_point(node.start_point)
    utf16 = document.position_at(offset)
    return (
        utf16.line,
        utf16.character,
        document.position_at(offset, PositionEncoding.UTF8).character,
        document.position_at(offset, PositionEncoding.UTF32).character,
    )


def _symbols(language, document, definitions, scopes, text_of, enclosing) -> list[SymbolRow]:
    # Walk definitions and scope regions in source order with a stack of open containers, so each
    # definition's scope is the dotted path of the definitions around it.
    events = [(node.start_byte, -node.end_byte, 0, key) for key, (_, node, _, _) in definitions.items()]
    events += [(start, -end, 1, index) for index, (start, end, _) in enumerate(scopes)]
    events.sort()
    stack: list[tuple[int, str, str]] = list(enclosing)  # (end_byte, name, kind)
    rows: list[SymbolRow] = []
    for start, negative_end, is_scope, key in events:
        while stack and stack[-1][0] <= start:
            stack.pop()
        if is_scope:
            stack.append((-negative_end, scopes[key][2], "scope"))
            continue
        name_node, node, kind, explicit_scope = definitions[key]
        name = text_of(name_node)
        parent_kind = stack[-1][2] if stack else ""
        if kind == "function" and parent_kind in ("class", "struct", "interface", "scope"):
            kind = "method"
        if kind == "variable" and name.isupper():
            kind = "constant"
        scope = explicit_scope if explicit_scope is not None else ".".join(entry[1] for entry in stack)
        line, column, column_utf8, column_utf32 = _columns(document, name_node)
        rows.append(
            (
                name,
                kind,
                line,
                column,
                node.start_byte,
                node.end_byte,
                _signature(document.source_bytes, node, name_node),
                _doc(language, node, text_of),
                scope,
                column_utf8,
                column_utf32,
            )
        )
        stack.append((node.end_byte, name, kind))
    return rows


def _signature(source: bytes, node: ts.Node, name_node: ts.Node) -> str:
    """The definition's head: everything before its body, or its first line."""
    body = node.child_by_field_name("body")
    if body is None and name_node.parent is not None:
        value = name_node.parent.child_by_field_name("value")  # const f = (a) => {...}
        body = value.child_by_field_name("body") if value is not None else None
    if body is not None and body.start_byte > node.start_byte:
        lines = source[node.start_byte : body.start_byte].decode("utf-8", "replace").splitlines()
        while lines and (not lines[-1].strip() or lines[-1].strip().startswith(("#", "//", "/*", "*"))):
            lines.pop()  # comments between the head and the body's first statement
        head = "\n".join(lines).rstrip().removesuffix("{").removesuffix(":").rstrip()
    else:
        end = source.find(b"\n", node.start_byte, node.end_byte)
        head = source[node.start_byte : end if end >= 0 else node.end_byte].decode("utf-8", "replace")
        head = head.rstrip().removesuffix("{").rstrip()
    lines = [line.rstrip() for line in head.splitlines()]
    return "\n".join(lines)[:_MAX_SIGNATURE]


def _doc(language: Language, node: ts.Node, text_of) -> str:
    """The head of the definition's docstring (Python) or of the comment right above it."""
    if language.name == "python":
        body = node.child_by_field_name("body")
        first = body.named_children[0] if body is not None and body.named_children else None
        if first is not None and first.type == "expression_statement" and first.named_children:
            string = first.named_children[0]
            if string.type == "string":
                return _head(text_of(string).strip("\"'rbuRBU \n"))
    outer = node
    while outer.parent is not None and outer.parent.type in _WRAPPERS and outer.prev_named_sibling is None:
        outer = outer.parent
    comments: list[str] = []
    sibling, row = outer.prev_named_sibling, outer.start_point.row
    while sibling is not None and "comment" in sibling.type and sibling.end_point.row >= row - 1:
        comments.append(text_of(sibling))
        row = sibling.start_point.row
        sibling = sibling.prev_named_sibling
    return _head(_strip_comment("\n".join(reversed(comments)))) if comments else ""


def _strip_comment(text: str) -> str:
    lines = []
    for line in text.splitlines():
        line = line.strip()
        for marker in ("/**", "/*", "*/", "///", "//!", "//", "#", "*"):
            line = line.removeprefix(marker) if line.startswith(marker) else line
        lines.append(line.removesuffix("*/").strip())
    return "\n".join(lines).strip()


def _head(doc: str) -> str:
    """The first paragraph, trimmed."""
    paragraph = doc.strip().split("\n\n", 1)[0]
    return " ".join(line.strip() for line in paragraph.splitlines())[:_MAX_DOC]
