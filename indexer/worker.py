"""Index one file from disk: the unit of work the first index spreads across processes."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

from daima.text import TextDocument

from .extract import extract
from .languages import language_for_path
from .modules import normalize_imports
from .walk import DEFAULT_ENCODINGS, OutsideWorkspace, SkipFile, content_hash, decode_source, read_inside

# Results are plain tuples so they pickle cheaply between processes:
#   ("ok", rel, language, mtime_ns, size, hash, facts)   parsed
#   ("same", rel, mtime_ns, size)                         content unchanged, only the mtime moved
#   ("skip", rel, reason, mtime_ns, size, hash)           left out for good (binary, too large, ...)
#   ("error", rel, reason)                                could not read now (permission denied)
#   ("gone", rel)                                         deleted or renamed since the walk
Result = tuple

log = logging.getLogger(__name__)
_PARALLEL_MIN_FILES = 64  # below this, starting worker processes costs more than it saves
_BATCH = 16  # files per task sent to a worker process


def index_file(
    root: str, rel: str, known_hash: str | None, max_bytes: int, encodings: Sequence[str] = DEFAULT_ENCODINGS
) -> Result:
    """Read, hash, decode, parse and extract one file; never raises."""
    try:
        data, info = read_inside(root, rel, max_bytes)
    except FileNotFoundError:
        return ("gone", rel)
    except OutsideWorkspace:
        return ("gone", rel)  # as the walk sees it: links are not part of the workspace
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
        text = decode_source(data, max_bytes, encodings, cookie=language.coding_cookie)
    except SkipFile as reason:
        return ("skip", rel, str(reason), mtime_ns, size, digest)
    try:
        facts = extract(language, TextDocument(rel, text))
    except Exception as error:
        return ("skip", rel, f"extraction failed: {error}", mtime_ns, size, digest)
    facts.imports = normalize_imports(language.name, rel, facts.imports)
    return ("ok", rel, language.name, mtime_ns, size, digest, facts)


def index_files(
    root: str,
    jobs: list[tuple[str, str | None]],
    max_bytes: int,
    encodings: Sequence[str] = DEFAULT_ENCODINGS,
) -> list[Result]:
    """A batch of `index_file` calls (fewer round trips between processes)."""
    return [index_file(root, rel, known, max_bytes, encodings) for rel, known in jobs]


def run_jobs(
    root: str,
    todo: list[tuple[str, str | None]],
    max_bytes: int,
    encodings: Sequence[str] = DEFAULT_ENCODINGS,
) -> Iterator[Result]:
    """Results of `index_file` for each (path, known hash), in order; across processes when it pays."""
    if len(todo) < _PARALLEL_MIN_FILES or _usable_cores() < 2:
        for rel, known in todo:
            yield index_file(root, rel, known, max_bytes, encodings)
        return
    batches = [todo[i : i + _BATCH] for i in range(0, len(todo), _BATCH)]
    # fork is cheapest, but forking a process that runs other threads (the server) could copy a
    # held lock into the child, so then the workers come from a clean forkserver.
    method = "fork" if threading.active_count() == 1 else "forkserver"
    finished = 0
    try:
        with ProcessPoolExecutor(max_workers=_usable_cores(), mp_context=get_context(method)) as pool:
            futures = [pool.submit(index_files, root, batch, max_bytes, encodings) for batch in batches]
            for future in futures:
                yield from future.result()
                finished += 1
    except (BrokenProcessPool, OSError, RuntimeError) as error:
        log.warning("parallel indexing failed (%s); going on in this process", error)
        for batch in batches[finished:]:
            yield from index_files(root, batch, max_bytes, encodings)


def _usable_cores() -> int:
    """Cores this process may run on (respects taskset/cgroup affinity, unlike os.cpu_count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1
