"""Index one file from disk: the unit of work the first index spreads across processes."""

from __future__ import annotations

import os

from daima.text import TextDocument

from .extract import extract
from .languages import language_for_path
from .modules import normalize_imports
from .walk import SkipFile, content_hash, decode_source

# Results are plain tuples so they pickle cheaply between processes:
#   ("ok", rel, language, mtime_ns, size, hash, facts)   parsed
#   ("same", rel, mtime_ns, size)                         content unchanged, only the mtime moved
#   ("skip", rel, reason, mtime_ns, size, hash)           left out for good (binary, too large, ...)
#   ("error", rel, reason)                                could not read now (permission denied)
#   ("gone", rel)                                         deleted or renamed since the walk
Result = tuple


def index_file(root: str, rel: str, known_hash: str | None, max_bytes: int) -> Result:
    """Read, hash, decode, parse and extract one file; never raises."""
    try:
        with open(os.path.join(root, rel), "rb") as handle:
            info = os.fstat(handle.fileno())
            data = handle.read(max_bytes + 1) if info.st_size > max_bytes else handle.read()
    except FileNotFoundError:
        return ("gone", rel)
    except OSError as error:
        return ("error", rel, error.strerror or str(error))
    mtime_ns, size = info.st_mtime_ns, info.st_size
    digest = content_hash(data)
    if digest == known_hash:
        return ("same", rel, mtime_ns, size)
    language = language_for_path(rel)
    try:
        if language is None:
            raise SkipFile("no language for this extension")
        text = decode_source(data, max_bytes)
    except SkipFile as reason:
        return ("skip", rel, str(reason), mtime_ns, size, digest)
    try:
        facts = extract(language, TextDocument(rel, text))
    except Exception as error:
        return ("skip", rel, f"extraction failed: {error}", mtime_ns, size, digest)
    facts.imports = normalize_imports(language.name, rel, facts.imports)
    return ("ok", rel, language.name, mtime_ns, size, digest, facts)


def index_files(root: str, jobs: list[tuple[str, str | None]], max_bytes: int) -> list[Result]:
    """A batch of `index_file` calls (fewer round trips between processes)."""
    return [index_file(root, rel, known, max_bytes) for rel, known in jobs]
