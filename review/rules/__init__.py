"""Review rules kept as data: `rules.json` (ids, severities, messages, fixes) and one `.scm` per language."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def rules_table() -> dict[str, Any]:
    """The rule table (`rules.json`)."""
    return json.loads(resources.files(__name__).joinpath("rules.json").read_text("utf-8"))


def query_source(language: str) -> str:
    """The tree-sitter query text of one language's rules."""
    return resources.files(__name__).joinpath(f"{language}.scm").read_text("utf-8")
