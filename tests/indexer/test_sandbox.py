"""The index never reads outside its workspace: links made after the walk, linked paths the editor opens,
devices and pipes are refused wherever the index reads a file (worker, watcher refresh, lookups)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from daima.config import IndexOptions
from daima.indexer import WorkspaceIndex


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path]:
    root, outside = tmp_path / "工作区", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "inside.py").write_text("def inside():\n    pass\n", encoding="utf-8")
    (outside / "secret.py").write_text("def secret_outside():\n    pass\n", encoding="utf-8")
    return root, outside


def open_index(root: Path) -> WorkspaceIndex:
    index = WorkspaceIndex.open(root, IndexOptions(watch=False), db_path=root.parent / "db.sqlite")
    index.index_all()
    return index


def test_a_link_made_after_the_walk_is_not_read(layout: tuple[Path, Path]) -> None:
    root, outside = layout
    index = open_index(root)
    try:
        os.symlink(outside / "secret.py", root / "pulled.py")  # as a `git pull` can
        os.symlink(outside, root / "linked_folder")
        index.refresh_paths([root / "pulled.py", root / "linked_folder" / "secret.py"])
        assert not index.definitions("secret_outside")
        assert index.file_text(root / "pulled.py") is None
        assert index.file_text(root / "linked_folder" / "secret.py") is None
        assert index.file_text(root / "inside.py") == "def inside():\n    pass\n"
    finally:
        index.close()


def test_closing_a_buffer_opened_through_a_linked_path(layout: tuple[Path, Path]) -> None:
    root, outside = layout
    os.symlink(outside, root / "linked_folder")
    index = open_index(root)
    try:
        linked = root / "linked_folder" / "secret.py"
        index.update_document(linked, "def edited():\n    pass\n")
        index.close_document(linked)
        assert not index.definitions("secret_outside") and not index.definitions("edited")
        assert not index.search_symbols("secret", 10)
    finally:
        index.close()


def test_a_file_that_became_a_device_or_a_pipe(layout: tuple[Path, Path]) -> None:
    root, _ = layout
    index = open_index(root)
    try:
        (root / "inside.py").unlink()
        os.symlink("/dev/zero", root / "inside.py")
        os.mkfifo(root / "pipe.py")  # opening a pipe for reading would wait for a writer forever
        index.refresh_paths([root / "inside.py", root / "pipe.py"])
        assert index.file_text(root / "inside.py") is None and index.file_text(root / "pipe.py") is None
        assert not index.definitions("inside")
        assert index.similar_chunks("inside pass", 4) == []
    finally:
        index.close()


def test_no_file_outside_the_workspace_is_opened(layout: tuple[Path, Path]) -> None:
    """An audit hook records every file the index opens, in a process of its own."""
    root, outside = layout
    script = textwrap.dedent(
        f"""
        import json, os, sys
        from pathlib import Path
        outside = {str(outside)!r}
        opened = []
        def hook(event, args):
            if event == "open" and isinstance(args[0], (str, bytes)):
                path = os.fsdecode(args[0])
                if os.path.realpath(path).startswith(outside):
                    opened.append(path)
        sys.addaudithook(hook)
        from daima.config import IndexOptions
        from daima.indexer import WorkspaceIndex
        root = Path({str(root)!r})
        os.symlink(Path(outside) / "secret.py", root / "pulled.py")
        os.symlink(outside, root / "linked_folder")
        index = WorkspaceIndex.open(root, IndexOptions(watch=False), db_path=root.parent / "audit.sqlite")
        index.index_all()
        index.refresh_paths([root / "pulled.py", root / "linked_folder" / "secret.py"])
        index.update_document(root / "linked_folder" / "secret.py", "x = 1\\n")
        index.close_document(root / "linked_folder" / "secret.py")
        index.similar_chunks("secret_outside pass", 4)
        index.file_text(root / "pulled.py")
        index.close()
        print(json.dumps(opened))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
