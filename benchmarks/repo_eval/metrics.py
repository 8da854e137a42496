"""How one suggestion compares with the line the author wrote, and whether it names anything that exists
nowhere in the repository."""

from __future__ import annotations

import builtins
import io
import keyword
import re
import tokenize
from pathlib import Path

_WORD = re.compile(r"\w+")
_TEXT_SUFFIXES = {
    ".py",
    ".pyi",
    ".md",
    ".rst",
    ".txt",
    ".cfg",
    ".toml",
    ".ini",
    ".json",
    ".yaml",
    ".yml",
    ".ul",
}
KNOWN_EVERYWHERE = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)


def first_line(text: str) -> str:
    return text.split("\n", 1)[0].rstrip()


def exact(suggestion: str, expected: str) -> bool:
    return suggestion.strip() == expected.strip()


def edit_similarity(suggestion: str, expected: str) -> float:
    """1 - Levenshtein distance / the longer length (1.0 for equal texts, 0.0 for an empty suggestion)."""
    a, b = suggestion.strip(), expected.strip()
    if not a and not b:
        return 1.0
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        previous = current
    return 1.0 - previous[-1] / max(len(a), len(b))


def repository_words(tree: Path) -> frozenset[str]:
    """Every word written anywhere in the repository's text files (code, docs, data)."""
    words: set[str] = set()
    for path in tree.rglob("*"):
        if path.suffix in _TEXT_SUFFIXES and path.is_file() and not path.is_symlink():
            words.update(_WORD.findall(path.read_bytes()[:2_000_000].decode("utf-8", errors="replace")))
    return frozenset(words)


def unknown_names(code: str, known: frozenset[str]) -> list[str]:
    """Identifiers in `code` (one line or more; strings and comments left out) that are neither in
    `known` nor Python's builtins and keywords."""
    names = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type == tokenize.NAME:
                names.append(token.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        names = _WORD.findall(re.sub(r"(\"[^\"]*\"|'[^']*'|#.*)", " ", code))
    return [
        n for n in dict.fromkeys(names) if n not in known and n not in KNOWN_EVERYWHERE and not n.isdigit()
    ]
