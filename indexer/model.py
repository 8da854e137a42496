"""Plain dataclasses the index hands to its callers (completion, the server, the CLI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Symbol:
    """A definition found in a file.

    `line` is 0-based; `column` counts UTF-16 code units (LSP's default), computed with
    `daima.text.TextDocument`; `start_byte`/`end_byte` span the whole definition node in UTF-8 bytes.
    `scope` is the dotted path of enclosing definitions ("" at module level). `column_utf8` and
    `column_utf32` are the same column in the other position encodings (-1: not known, as for an import).
    """

    name: str
    # function, method, class, struct, interface, enum, constant, variable, type, field, macro, module
    kind: str
    path: Path
    line: int
    column: int
    start_byte: int
    end_byte: int
    signature: str = ""
    doc: str = ""
    scope: str = ""
    column_utf8: int = -1
    column_utf32: int = -1


@dataclass(frozen=True)
class Chunk:
    """A window of lines from a file, ranked by similarity to a query window (higher score is closer)."""

    path: Path
    start_line: int  # 0-based, inclusive
    end_line: int  # 0-based, exclusive
    text: str
    score: float


@dataclass
class IndexReport:
    """What `index_all` did, for the CLI and the server log."""

    files_seen: int = 0
    files_parsed: int = 0  # re-parsed because (mtime, size, hash) changed or the file was new
    files_unchanged: int = 0
    files_removed: int = 0
    files_skipped: int = 0  # binary, too large, undecodable, unreadable
    symbols: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # "path: reason", at most a few hundred

    def summary(self) -> str:
        """One human line."""
        return (
            f"{self.files_seen} files ({self.files_parsed} parsed, {self.files_unchanged} unchanged, "
            f"{self.files_removed} removed, {self.files_skipped} skipped), {self.symbols} symbols "
            f"in {self.seconds:.2f}s"
        )
