"""The language registry, the one place that knows a language: its grammar, tags query, file
extensions, LSP language ids, line comment marker, and whether the reviewer has rules for it.

Adding a language = one row here, one `queries/<name>.scm` file and one fixture; a
`queries/<name>.locals.scm` file gives it a scope model (bindings.py). The indexer, completion's syntax
checks and the reviewer all look languages up here. Grammars load lazily, so a missing grammar wheel
only disables its language.
"""

from __future__ import annotations

import importlib
import re
import threading
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import tree_sitter as ts


@dataclass(frozen=True)
class Language:
    """One language: its grammar, tags query and the file names and LSP language ids it covers."""

    name: str  # also the query file name: queries/<name>.scm
    module: str  # grammar wheel module
    function: str  # function of `module` returning the grammar pointer
    extensions: tuple[str, ...]
    language_ids: tuple[str, ...]  # the first is the one a file of this language gets without a client
    line_comment: str = "//"
    # The reviewer's rules for this language (review/rules/<reviewed_as>*), "" when it has none.
    reviewed_as: str = ""
    # JavaScript or TypeScript: ES modules and require(), exports, the globals of browsers and Node.
    script: bool = False
    # A `# -*- coding: gbk -*-` line in a file's first two lines names its encoding (PEP 263).
    coding_cookie: bool = False
    # The language whose per-language tables (completion/block_nodes.json, ...) this one reads when it
    # has no row of its own: TSX is TypeScript's grammar with JSX.
    shares: str = ""
    _local: threading.local = field(default_factory=threading.local, compare=False, repr=False)

    @property
    def table_key(self) -> str:
        """The key of this language's rows in per-language data tables."""
        return self.shares or self.name

    @property
    def ts_language(self) -> ts.Language:
        return _ts_language(self.module, self.function)

    @property
    def query(self) -> ts.Query:
        """The tags query without its reference patterns: definitions, scopes and imports (per match)."""
        return _query(self.name, self.module, self.function, references=False)

    @property
    def references_query(self) -> ts.Query:
        """Only the reference patterns of the tags query (read as one flat list of captures: cheaper)."""
        return _query(self.name, self.module, self.function, references=True)

    @property
    def locals_query(self) -> ts.Query | None:
        """The scopes, bindings and references query (queries/<name>.locals.scm), or None when the
        language has none."""
        return _locals_query(self.name, self.module, self.function)

    @property
    def parser(self) -> ts.Parser:
        """A parser for this language, cached per thread (parsers are not thread-safe)."""
        parser = getattr(self._local, "parser", None)
        if parser is None:
            parser = ts.Parser(self.ts_language)
            self._local.parser = parser
        return parser


LANGUAGES: tuple[Language, ...] = (
    Language(
        "python",
        "tree_sitter_python",
        "language",
        (".py", ".pyi"),
        ("python",),
        line_comment="#",
        reviewed_as="python",
        coding_cookie=True,
    ),
    Language(
        "javascript",
        "tree_sitter_javascript",
        "language",
        (".js", ".jsx", ".mjs", ".cjs"),
        ("javascript", "javascriptreact"),
        reviewed_as="javascript",
        script=True,
    ),
    Language(
        "typescript",
        "tree_sitter_typescript",
        "language_typescript",
        (".ts", ".mts", ".cts"),
        ("typescript",),
        script=True,
    ),
    Language(
        "tsx",
        "tree_sitter_typescript",
        "language_tsx",
        (".tsx",),
        ("typescriptreact",),
        script=True,
        shares="typescript",
    ),
    Language("java", "tree_sitter_java", "language", (".java",), ("java",), reviewed_as="java"),
    Language("go", "tree_sitter_go", "language", (".go",), ("go",)),
    Language("rust", "tree_sitter_rust", "language", (".rs",), ("rust",)),
    Language("c", "tree_sitter_c", "language", (".c", ".h"), ("c",)),
    Language(
        "cpp",
        "tree_sitter_cpp",
        "language",
        (".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx"),
        ("cpp", "cuda-cpp"),
    ),
)

_BY_EXTENSION = {ext: lang for lang in LANGUAGES for ext in lang.extensions}
_BY_ID = {lid: lang for lang in LANGUAGES for lid in lang.language_ids} | {
    lang.name: lang for lang in LANGUAGES
}
_BY_NAME = {lang.name: lang for lang in LANGUAGES}
# Languages daima has no grammar for still get context written as their own comments.
_OTHER_LINE_COMMENTS = {
    "ruby": "#", "shellscript": "#", "perl": "#", "r": "#", "yaml": "#", "toml": "#",
    "lua": "--", "sql": "--", "haskell": "--",
}  # fmt: skip


def language_for_path(path: Path | str) -> Language | None:
    """The language of a file by its extension, or None when daima does not index it."""
    return _BY_EXTENSION.get(Path(path).suffix.lower())


def language_for_id(language_id: str) -> Language | None:
    """The language for an LSP languageId (or a registry name), or None."""
    return _BY_ID.get(language_id)


def language_named(name: str) -> Language:
    """The language with this registry name (KeyError when unknown)."""
    return _BY_NAME[name]


def line_comment(language_id: str) -> str:
    """The line comment marker of an LSP language id or registry name ("//" when unknown)."""
    language = _BY_ID.get(language_id)
    return language.line_comment if language is not None else _OTHER_LINE_COMMENTS.get(language_id, "//")


def editor_language_id(path: Path | str) -> str:
    """The LSP language id a file gets from its extension when no client says ("" when unknown)."""
    language = language_for_path(path)
    return language.language_ids[0] if language is not None else ""


def indexed_extensions() -> frozenset[str]:
    """Every file extension some language handles."""
    return frozenset(_BY_EXTENSION)


@cache
def _ts_language(module: str, function: str) -> ts.Language:
    return ts.Language(getattr(importlib.import_module(module), function)())


@cache
def _locals_query(name: str, module: str, function: str) -> ts.Query | None:
    source = _locals_source(name)
    return ts.Query(_ts_language(module, function), source) if source is not None else None


def _locals_source(name: str) -> str | None:
    """The query text, with the file a first line `; inherits: <other>` names put before it."""
    file = resources.files("daima.indexer.queries").joinpath(f"{name}.locals.scm")
    if not file.is_file():
        return None
    source = file.read_text(encoding="utf-8")
    inherits = re.match(r"; inherits: (\w+)", source)
    base = _locals_source(inherits.group(1)) if inherits else None
    return f"{base}\n{source}" if base is not None else source


@cache
def _query(name: str, module: str, function: str, references: bool) -> ts.Query:
    source = resources.files("daima.indexer.queries").joinpath(f"{name}.scm").read_text(encoding="utf-8")
    query = ts.Query(_ts_language(module, function), source)
    data = source.encode("utf-8")
    for index in range(query.pattern_count):
        text = data[query.start_byte_for_pattern(index) : query.end_byte_for_pattern(index)]
        is_reference = b"@name.reference." in text and b"@name.definition." not in text
        if is_reference != references:
            query.disable_pattern(index)
    return query
