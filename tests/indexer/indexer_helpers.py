"""Shared helpers of the index tests (a uniquely named module: the test folders are not packages)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parents[1] / "data" / "indexer"


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write `files` (relative path -> text or bytes) under root."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root
