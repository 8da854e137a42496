"""The English reading of a document whose identifiers are Chinese: what the model is shown instead.

Every identifier with non-ASCII letters that occurs as code (tree-sitter identifier nodes, so strings
and comments keep their text) is shown under a short English name from the dictionary (glossary.py):
`for 丙 in 字符串:` reads `for third_in_order in string:`. The model's answer is mapped back, so the
user only ever sees their own names. Measured with the HumanEval eval (benchmarks/humaneval) on the real
0.5B model, the model picks the right existing name more often this way (figures in the README).

The mapping is a bijection over the document's names: an English name that the document already uses,
or a builtin or keyword, gets a trailing `_`. While the cursor is in a Chinese name there is no reading:
completing `计算总` to `计算总价` needs the document's own names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, cached_property

import tree_sitter as ts

from daima.text import TextDocument

from .glossary import english_name
from .names import IDENTIFIER_TYPES, PYTHON_BUILTINS
from .syntax import language_for_tree, parser_for

# The reading is rebuilt from the whole text on every request; past this size a keystroke would pay too
# much for it (benchmarks/prompt_bench.py: about 225 ms for 10,000 lines with 5,000 Chinese names on a
# 2-core VM), so larger files are completed in their own names.
MAX_BYTES = 128 * 1024


@dataclass(frozen=True)
class Reading:
    """A document shown under other names: `text`, and how offsets and answers map back."""

    text: str
    aliases: dict[str, str]  # native name → the name the model sees
    # The stretches both texts share, in order: (reading start, reading end, native start, native end).
    shared: tuple[tuple[int, int, int, int], ...]
    # The document's own names written in ASCII (they read the same in both texts).
    ascii_names: frozenset[str] = frozenset()

    def reading_offset(self, native: int) -> int:
        """Where a native offset lies in the reading (inside a renamed name: the name's start)."""
        return _map(native, [(n0, n1, r0, r1) for r0, r1, n0, n1 in self.shared])

    def native_offset(self, reading: int) -> int:
        """Where a reading offset lies in the native text (inside a renamed name: the name's start)."""
        return _map(reading, list(self.shared))

    @cached_property  # compiled once: partials are mapped back on every streamed token
    def _to_native(self) -> _Renamer:
        return _Renamer({alias: name for name, alias in self.aliases.items()})

    @cached_property
    def _to_reading(self) -> _Renamer:
        return _Renamer(self.aliases)

    def to_native(self, text: str, comment: str = "#") -> str:
        """The model's text with the reading's names replaced by the document's own, in its code only:
        `# the total` stays English, while `f"{total}"` gets the name back."""
        pieces: list[str] = []
        done = 0
        for start, end in _code_stretches(text, comment):
            pieces.append(text[done:start])
            pieces.append(self._to_native.replace(text[start:end]))
            done = end
        pieces.append(text[done:])
        return "".join(pieces)

    def to_reading(self, text: str) -> str:
        """Other text (context from other files) under the reading's names."""
        return self._to_reading.replace(text)

    @cached_property
    def _alias_words(self) -> frozenset[str]:
        return frozenset(word for alias in self.aliases.values() for word in alias.lower().split("_") if word)

    def made_up_names(self, text: str, comment: str = "#", known: frozenset[str] = frozenset()) -> list[str]:
        """Names in an answer written in the reading's names that exist neither in the document nor in
        `known` (the index) and are built from the reading's English words: `total` where the document's
        总价 reads `total_price`, `商品.price` for its field 单价 (`unit_price`). Mapping back cannot
        turn them into the user's names, so an answer that has one is never shown."""
        found: list[str] = []
        for start, end in _code_stretches(text, comment):
            for word in _WORD.findall(text[start:end]):
                if word in found or word in known or word in _BUILTIN_ATTRIBUTES:
                    continue
                if word in self._to_native.mapping or word in self.ascii_names:
                    continue
                parts = [part for part in word.lower().split("_") if part]
                if parts and all(part in self._alias_words for part in parts):
                    found.append(word)
        return found

    def stable_partial(self, text: str, comment: str = "#") -> str:
        """A streamed partial answer in native names, without a trailing word that may still grow into
        one of the reading's names."""
        match = re.search(r"\w+$", text)
        if match is not None and any(alias.startswith(match.group()) for alias in self.aliases.values()):
            text = text[: match.start()]
        return self.to_native(text, comment)


def english_reading(
    document: TextDocument, cursor: int, language_id: str, tree: ts.Tree | None = None
) -> Reading | None:
    """The English reading of the document, or None when it has no non-ASCII identifier the dictionary
    can gloss, no grammar for the language, or more than MAX_BYTES. `tree`: the document's, when the
    caller has parsed it."""
    text = document.text
    if text.isascii():
        return None
    parser = parser_for(language_id)
    if parser is None or len(document.source_bytes) > MAX_BYTES:
        return None
    tree = tree or parser.parse(document.source_bytes)
    cursor_point = document.point_at(cursor)
    taken = set(PYTHON_BUILTINS) if language_id == "python" else set()
    byte_spans: list[tuple[int, int, str]] = []
    for node in _identifiers(tree.root_node, language_id):
        name = node.text.decode("utf-8", "replace") if node.text is not None else ""
        if name.isascii():
            taken.add(name)
        elif node.start_point < cursor_point <= node.end_point:
            return None  # a Chinese name being typed: only the document's own names can complete it
        else:
            byte_spans.append((node.start_byte, node.end_byte, name))
    byte_spans.sort()  # the first name in the document gets the plain word when two gloss alike
    aliases: dict[str, str] = {}
    used: set[str] = set()
    for _, _, name in byte_spans:
        if name in aliases:
            continue
        alias = english_name(name)
        if alias is None or not alias.isidentifier():
            continue
        while alias in taken or alias in used:
            alias += "_"
        aliases[name] = alias
        used.add(alias)
    if not aliases:
        return None
    taken -= PYTHON_BUILTINS
    renamed = [(start, end, name) for start, end, name in byte_spans if name in aliases]
    bounds: list[int] = []
    for start, end, _ in renamed:
        bounds += (start, end)
    offsets = document.offsets_from_bytes(bounds)
    spans = [(offsets[2 * i], offsets[2 * i + 1], aliases[name]) for i, (_, _, name) in enumerate(renamed)]
    return _render(text, spans, aliases, frozenset(taken))


def _render(
    text: str, spans: list[tuple[int, int, str]], aliases: dict[str, str], ascii_names: frozenset[str]
) -> Reading:
    pieces: list[str] = []
    shared: list[tuple[int, int, int, int]] = []
    native = shown = 0
    for start, end, alias in spans:
        pieces.append(text[native:start])
        shared.append((shown, shown + start - native, native, start))
        shown += start - native
        pieces.append(alias)
        shown += len(alias)
        native = end
    pieces.append(text[native:])
    shared.append((shown, shown + len(text) - native, native, len(text)))
    return Reading("".join(pieces), aliases, tuple(shared), ascii_names)


def _map(offset: int, stretches: list[tuple[int, int, int, int]]) -> int:
    """Map `offset` through stretches (from start, from end, to start, to end)."""
    mapped = 0
    for from_start, from_end, to_start, to_end in stretches:
        if from_start > offset:
            break
        mapped = to_start + (offset - from_start) if offset <= from_end else to_end
    return mapped


_QUOTES = ('"""', "'''", '"', "'", "`")
_WORD = re.compile(r"(?<!\w)[A-Za-z_][A-Za-z0-9_]*")
# Methods of the builtin types (`.items()`, `.append`) are no made-up names even where a gloss uses the word.
_BUILTIN_ATTRIBUTES = PYTHON_BUILTINS | frozenset(
    name for kind in (str, bytes, list, dict, set, tuple, int, float, object) for name in dir(kind)
)
_INTERPOLATION = re.compile(r"\{[^{}\n]*\}")  # f"{x}", `${x}`: code inside a string


def _code_stretches(text: str, comment: str) -> list[tuple[int, int]]:
    """Where a model's answer is code: outside its string literals (but inside their `{…}`) and line
    comments. A light scan, enough for a few lines the model wrote."""
    stretches: list[tuple[int, int]] = []
    start = i = 0
    while i < len(text):
        if text.startswith(comment, i):
            stretches.append((start, i))
            line_end = text.find("\n", i)
            i = start = len(text) if line_end < 0 else line_end
            continue
        quote = next((q for q in _QUOTES if text.startswith(q, i)), None)
        if quote is None:
            i += 1
            continue
        stretches.append((start, i))
        j = i + len(quote)
        while j < len(text) and not text.startswith(quote, j):
            if len(quote) == 1 and quote != "`" and text[j] == "\n":
                break
            j += 2 if text[j] == "\\" else 1
        end = min(len(text), j + len(quote))
        stretches.extend((i + m.start(), i + m.end()) for m in _INTERPOLATION.finditer(text[i:end]))
        i = start = end
    stretches.append((start, len(text)))
    return [(a, b) for a, b in stretches if a < b]


def _identifiers(root: ts.Node, language_id: str) -> list[ts.Node]:
    query = _identifiers_query(language_id)
    if query is None:
        return []
    captures = ts.QueryCursor(query).captures(root)
    return [node for nodes in captures.values() for node in nodes]


@cache
def _identifiers_query(language_id: str) -> ts.Query | None:
    """One query for every identifier node type the grammar has (the walk runs in tree-sitter's C)."""
    language = language_for_tree(language_id)
    if language is None:
        return None
    kinds = [kind for kind in sorted(IDENTIFIER_TYPES) if language.id_for_node_kind(kind, True)]
    return ts.Query(language, " ".join(f"({kind}) @name" for kind in kinds)) if kinds else None


class _Renamer:
    """Replaces whole words by the mapping's values."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping
        words = "|".join(re.escape(word) for word in sorted(mapping, key=len, reverse=True))
        self._pattern = re.compile(rf"(?<!\w)({words})(?!\w)") if mapping else None

    def replace(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda match: self.mapping[match.group(1)], text)
