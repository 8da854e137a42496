"""FIM prompt templates: one data table (`templates.json`) keyed by model family, and how to render it.

A template names the family's special tokens (prefix/suffix/middle, repository and file separators), its
stop tokens and its order (PSM: prefix, suffix, middle; SPM: suffix first). Rendering puts cross-file
context first and in the caller's order, so consecutive prompts share the longest token prefix.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from daima.model.api import EngineInfo

log = logging.getLogger(__name__)

DEFAULT_FAMILY = "qwen"  # the built-in models are Qwen2.5-Coder
DEFAULT_REPO_NAME = "workspace"


@dataclass(frozen=True, kw_only=True)
class Snippet:
    """A piece of cross-file context, labelled with the path it comes from."""

    path: str  # shown to the model, relative to the workspace where possible
    text: str
    kind: str = "definition"  # "definition", "similar", "recent"


@dataclass(frozen=True, kw_only=True)
class FimTemplate:
    """One family's FIM format."""

    family: str
    description: str
    prefix: str
    suffix: str
    middle: str
    order: str  # "PSM" or "SPM"
    stop: tuple[str, ...]
    repo_name: str = ""
    file_sep: str = ""
    special_tokens: tuple[str, ...] = ()
    names: str = ""  # regex matched against EngineInfo.name (case-insensitive)
    model_types: tuple[str, ...] = ()

    @property
    def repo_level(self) -> bool:
        """True when the family has a file separator, so context goes in as whole files."""
        return bool(self.file_sep)

    def render(
        self,
        *,
        prefix: str,
        suffix: str,
        context: Sequence[Snippet] = (),
        path: str = "",
        repo: str = DEFAULT_REPO_NAME,
        comment: str = "#",
    ) -> str:
        """The prompt text: context (stable first), then the hole in this family's order."""
        head = self.context_text(context, path=path, repo=repo, comment=comment)
        if self.order == "SPM":
            return f"{self.suffix}{suffix}{self.prefix}{head}{prefix}{self.middle}"
        if self.repo_level and head:
            return f"{head}{self.prefix}{prefix}{self.suffix}{suffix}{self.middle}"
        return f"{self.prefix}{head}{prefix}{self.suffix}{suffix}{self.middle}"

    def context_text(
        self, context: Sequence[Snippet], *, path: str = "", repo: str = DEFAULT_REPO_NAME, comment: str = "#"
    ) -> str:
        """Cross-file context as the family expects it ('' when there is none)."""
        if not context:
            return ""
        if self.repo_level:
            parts = [f"{self.repo_name}{repo}\n"] if self.repo_name else []
            parts.extend(self.snippet_text(snippet, comment=comment) for snippet in context)
            parts.append(f"{self.file_sep}{path}\n")
            return "".join(parts)
        return "".join(self.snippet_text(snippet, comment=comment) for snippet in context)

    def snippet_text(self, snippet: Snippet, *, comment: str = "#") -> str:
        """One snippet: a `file_sep path` section, or a commented block labelled with its path."""
        body = snippet.text if snippet.text.endswith("\n") else snippet.text + "\n"
        if self.repo_level:
            return f"{self.file_sep}{snippet.path}\n{body}"
        # Without a file separator the context lives inside the current file: comment it out so the
        # model does not take it for code of this file.
        lines = "".join(f"{comment} {line}".rstrip() + "\n" for line in body.splitlines())
        return f"{comment} Path: {snippet.path}\n{lines}"

    def overhead(self, *, path: str = "", repo: str = DEFAULT_REPO_NAME) -> str:
        """The text the template adds around the sections (for the token budget)."""
        frame = f"{self.prefix}{self.suffix}{self.middle}"
        if self.repo_level:
            frame += f"{self.repo_name}{repo}\n{self.file_sep}{path}\n"
        return frame


@cache
def _table() -> dict[str, FimTemplate]:
    raw = json.loads(resources.files("daima.completion").joinpath("templates.json").read_text("utf-8"))
    templates = {}
    for family, entry in raw.items():
        if family.startswith("_"):
            continue
        templates[family] = FimTemplate(
            family=family,
            description=entry.get("description", ""),
            prefix=entry["prefix"],
            suffix=entry["suffix"],
            middle=entry.get("middle", ""),
            order=entry.get("order", "PSM"),
            stop=tuple(entry.get("stop", ())),
            repo_name=entry.get("repo_name", ""),
            file_sep=entry.get("file_sep", ""),
            special_tokens=tuple(entry.get("special_tokens", ())),
            names=entry.get("names", ""),
            model_types=tuple(entry.get("model_types", ())),
        )
    return templates


def templates() -> dict[str, FimTemplate]:
    """Every template in the table, by family."""
    return dict(_table())


def _normalise(token: str) -> str:
    # SentencePiece vocabularies spell `<PRE>` as `▁<PRE>`.
    return token.removeprefix("▁").strip()


def match_template(info: EngineInfo | None, override: str = "auto") -> FimTemplate:
    """The template for a model: the explicit override, else by special tokens, name, model type."""
    table = _table()
    if override and override != "auto":
        if override in table:
            return table[override]
        log.warning(
            "unknown FIM template %r (known: %s); matching the model instead", override, ", ".join(table)
        )
    if info is None:
        return table[DEFAULT_FAMILY]
    vocabulary = {_normalise(token) for token in info.special_tokens}
    if vocabulary:
        # The most specific family whose tokens are all present wins (CodeGemma's tokens are a superset
        # of the plain FIM three, so more required tokens means a more certain match).
        found = [
            t for t in table.values() if t.special_tokens and all(s in vocabulary for s in t.special_tokens)
        ]
        if found:
            return max(found, key=lambda t: len(t.special_tokens))
    for template in table.values():
        if template.names and re.search(template.names, info.name, re.IGNORECASE):
            return template
    for template in table.values():
        if info.model_type and info.model_type in template.model_types:
            return template
    log.info("no FIM template matches model %r (%s); using %s", info.name, info.model_type, DEFAULT_FAMILY)
    return table[DEFAULT_FAMILY]
