"""Documents open in the editor: tree.edit + incremental re-parse, and re-extraction of only the
definition the edit landed in.

After an edit inside a function body, the function is re-read (its range only, queries limited
with `set_byte_range`) and every other definition keeps its facts, shifted by the edit's size.
An edit outside any definition re-reads the top-level statements it touches. References of an open
document only grow until it is fully re-read (on close or save); chunks are refreshed lazily.
"""

from __future__ import annotations

from dataclasses import dataclass

import tree_sitter as ts

from daima.text import AppliedEdit, TextDocument, utf8_length

from .extract import FileFacts, ImportRow, SymbolRow, extract, extract_range
from .languages import Language
from .modules import normalize_imports

_FULL_REREAD_SHARE = 0.5  # re-read the whole file when the dirty range is at least this share of it


@dataclass
class OpenDocument:
    """An editor buffer the index tracks: its text, current tree and current facts."""

    language: Language
    document: TextDocument
    tree: ts.Tree
    facts: FileFacts
    rel: str  # workspace-relative path, for resolving relative imports
    chunks_stale: bool = False

    @classmethod
    def parse(cls, language: Language, rel: str, uri: str, text: str) -> OpenDocument:
        document = TextDocument(uri, text)
        tree = language.parser.parse(document.source_bytes)
        facts = extract(language, document, tree)
        facts.imports = normalize_imports(language.name, rel, facts.imports)
        return cls(language, document, tree, facts, rel)

    def update(self, text: str) -> bool:
        """Move to `text`; False when nothing changed."""
        old = self.document.text
        if old == text:
            return False
        start, old_end, new_end = diff_span(old, text)
        edit = self.document.replace(start, old_end, text[start:new_end])
        old_tree = self.tree
        old_tree.edit(
            start_byte=edit.start_byte,
            old_end_byte=edit.old_end_byte,
            new_end_byte=edit.new_end_byte,
            start_point=edit.start_point,
            old_end_point=edit.old_end_point,
            new_end_point=edit.new_end_point,
        )
        self.tree = self.language.parser.parse(self.document.source_bytes, old_tree)
        changed = [(r.start_byte, r.end_byte) for r in old_tree.changed_ranges(self.tree)]
        changed.append((edit.start_byte, edit.new_end_byte))
        low, high = min(r[0] for r in changed), max(r[1] for r in changed)
        self.facts = self._refresh(edit, low, high)
        self.chunks_stale = True
        return True

    def _refresh(self, edit: AppliedEdit, low: int, high: int) -> FileFacts:
        shifted = [s for s in (_shift_symbol(s, edit) for s in self.facts.symbols) if s is not None]
        # A definition after the edit on the edit's last row moved sideways: re-read it too.
        same_row = [s[4] + 1 for s in shifted if s[2] == edit.new_end_point[0] and s[4] >= edit.new_end_byte]
        high = max([high, *same_row])
        container = _container(shifted, low, high)
        if container is not None:
            start, end = container[4], container[5]
            parent = _container(shifted, start, end, strict=True)
            scope, parent_kind = container[8], (parent[1] if parent else "")
        else:
            start, end = self._top_level_span(low, high)
            scope, parent_kind = "", ""
        size = len(self.document.source_bytes)
        if size and (end - start) / size >= _FULL_REREAD_SHARE:
            facts = extract(self.language, self.document, self.tree)
            facts.imports = normalize_imports(self.language.name, self.rel, facts.imports)
            return facts
        fresh = extract_range(self.language, self.document, self.tree, (start, end), scope, parent_kind)
        fresh.imports = normalize_imports(self.language.name, self.rel, fresh.imports)
        document = self.document  # rows as the imports count them: the document's lines
        first_row = document.line_of(document.offset_from_byte(start))
        last_row = document.line_of(document.offset_from_byte(max(start, end - 1)))
        kept = [s for s in shifted if not start <= s[4] < end]
        symbols = sorted(kept + fresh.symbols, key=lambda s: s[4])
        imports = [i for i in (_shift_import(i, edit) for i in self.facts.imports) if i is not None]
        imports = [i for i in imports if not first_row <= i[2] <= last_row] + fresh.imports
        references = sorted(set(self.facts.references) | set(fresh.references))
        return FileFacts(symbols, references, sorted(imports, key=lambda i: (i[2], i[3])), self.facts.chunks)

    def _top_level_span(self, low: int, high: int) -> tuple[int, int]:
        """Bytes of the top-level statements touching [low, high], plus a definition a comment documents."""
        children = self.tree.root_node.children
        touched = [i for i, c in enumerate(children) if c.end_byte >= low and c.start_byte <= high]
        if not touched:
            return low, high
        first, last = touched[0], touched[-1]
        if "comment" in children[last].type and last + 1 < len(children):
            last += 1  # the comment is the next definition's doc
        return min(low, children[first].start_byte), max(high, children[last].end_byte)


def _shift_symbol(symbol: SymbolRow, edit: AppliedEdit) -> SymbolRow | None:
    """The symbol in the edited text's coordinates; None when the edit removed its start."""
    name, kind, line, column, start, end, signature, doc, scope, *columns = symbol
    if edit.start_byte <= start < edit.old_end_byte:
        return None
    delta = edit.new_end_byte - edit.old_end_byte
    if start >= edit.old_end_byte:
        start += delta
        line += edit.new_end_point[0] - edit.old_end_point[0]
    if end >= edit.old_end_byte:
        end += delta
    elif end > edit.start_byte:
        end = edit.new_end_byte
    # A name after the edit on the edit's own row is re-read (its columns moved), others keep theirs.
    return (name, kind, line, column, start, end, signature, doc, scope, *columns)  # type: ignore[return-value]


def _shift_import(row: ImportRow, edit: AppliedEdit) -> ImportRow | None:
    module, name, line, column, original = row
    if edit.start_point[0] <= line <= edit.old_end_point[0]:
        return None
    if line > edit.old_end_point[0]:
        line += edit.new_end_point[0] - edit.old_end_point[0]
    return (module, name, line, column, original)


def _container(symbols: list[SymbolRow], low: int, high: int, strict: bool = False) -> SymbolRow | None:
    """The smallest definition holding [low, high] whose head (signature) the range does not touch."""
    best = None
    for symbol in symbols:
        start, end, signature = symbol[4], symbol[5], symbol[6]
        head_end = start + utf8_length(signature)
        inside = start < low and high <= end if strict else head_end <= low and high <= end
        if inside and (best is None or end - start < best[5] - best[4]):
            best = symbol
    return best


def diff_span(old: str, new: str) -> tuple[int, int, int]:
    """(start, old_end, new_end): the one region where `old` and `new` differ (common prefix/suffix)."""
    limit = min(len(old), len(new))
    low, high = 0, limit  # binary search on slice equality: C-speed compares, O(log n) of them
    while low < high:
        middle = (low + high + 1) // 2
        if old[:middle] == new[:middle]:
            low = middle
        else:
            high = middle - 1
    start = low
    low, high = 0, limit - start
    while low < high:
        middle = (low + high + 1) // 2
        if old[len(old) - middle :] == new[len(new) - middle :]:
            low = middle
        else:
            high = middle - 1
    return start, len(old) - low, len(new) - low
