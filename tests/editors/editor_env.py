"""Paths and helpers shared by the editor-client tests (a unique name: not imported as `conftest`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VSCODE = REPO / "editors" / "vscode"
NEOVIM = REPO / "editors" / "neovim"


def overhead_stats(output: str) -> dict:
    """The `STATS {...}` line a client test prints (client-side overhead in milliseconds)."""
    match = re.search(r"^#? ?STATS (\{.*\})$", output, re.MULTILINE)
    assert match, "the test printed no STATS line"
    return json.loads(match.group(1))
