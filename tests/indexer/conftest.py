"""Helpers for the index tests: small workspaces written into tmp_path, each with its own database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from indexer_helpers import write_tree

from daima.config import IndexOptions
from daima.indexer import WorkspaceIndex


@pytest.fixture
def make_index(tmp_path: Path) -> Callable[..., WorkspaceIndex]:
    """Build a workspace from a dict of files and open its index (database inside tmp_path)."""
    opened: list[WorkspaceIndex] = []

    def make(files: dict[str, str | bytes], options: IndexOptions | None = None, root: Path | None = None):
        root = write_tree(root or tmp_path / "ws", files)
        index = WorkspaceIndex.open(root, options, db_path=tmp_path / "index.sqlite3")
        opened.append(index)
        return index

    yield make
    for index in opened:
        index.close()
