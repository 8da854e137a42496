"""The global names of JavaScript and TypeScript environments (browsers, Node, the language's own),
which a read may name without any binding in the workspace (script_globals.json). The names the code
itself binds are the scope model's (indexer/bindings.py, from queries/ecma.locals.scm)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path


@cache
def script_globals() -> frozenset[str]:
    """Global names of JavaScript environments (script_globals.json)."""
    data = json.loads(Path(__file__).with_name("script_globals.json").read_text(encoding="utf-8"))
    return frozenset(data["names"])
