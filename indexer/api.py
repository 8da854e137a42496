"""The index as completion/ and the server's features see it: a small Protocol, like `model/api.py` for
engines. `WorkspaceIndex` implements it; tests may hand in any object that does (checked by mypy, and at
run time by `isinstance`, since the Protocol is runtime-checkable)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from .model import Chunk, Symbol


@runtime_checkable
class CodeIndex(Protocol):
    """The queries a completion asks of the workspace index. Every method may raise (a locked or broken
    database); callers go on without what failed and log it."""

    root: Path

    def relative(self, path: Path) -> str | None:
        """`path` relative to the workspace root (POSIX), or None outside it."""
        ...

    def definitions(self, name: str) -> list[Symbol]:
        """Definitions named exactly `name`, anywhere in the workspace."""
        ...

    def definitions_with_prefix(self, prefix: str, limit: int = 50) -> list[Symbol]:
        """Definitions whose name starts with `prefix`, shortest names first."""
        ...

    def visible_names(self, path: Path, text: str, byte_offset: int) -> list[Symbol]:
        """Names visible at a position of `text` (the editor's copy of `path`): enclosing scopes',
        module-level ones, and imports resolved to the module they come from."""
        ...

    def similar_chunks(self, text: str, k: int = 4, exclude: Path | None = None) -> list[Chunk]:
        """The `k` chunks of other files most like `text`, best first."""
        ...
