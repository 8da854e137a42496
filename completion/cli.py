"""`daima complete FILE:LINE:COL`: one suggestion on stdout."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from daima.cli import CliError
from daima.config import CompletionOptions, IndexOptions, ModelOptions
from daima.text import PositionEncoding, PositionError, TextDocument

if TYPE_CHECKING:
    from .pipeline import Tried

log = logging.getLogger(__name__)

_CHEAP_INDEX_FILES = 400  # index the file's workspace for `daima complete` only when it is this small


def add_parser(subparsers: Any) -> None:
    """Register `complete`."""
    complete = subparsers.add_parser(
        "complete", help="print one completion for a position in a file (the README demo)"
    )
    complete.add_argument("location", metavar="FILE:LINE:COL", help="1-based line and column (characters)")
    complete.add_argument("--model", default="auto", help="alias, model dir, .gguf file, HF id, or 'none'")
    complete.add_argument("--device", default="auto")
    complete.add_argument("--max-tokens", type=int, default=64)
    complete.add_argument("--no-index", action="store_true", help="do not index the file's workspace")
    complete.add_argument("--json", action="store_true", help="print the suggestion and its stats as JSON")
    complete.set_defaults(func=run_complete)


def _close(engine: Any) -> None:
    """Stop the engine's worker thread before the interpreter exits (engines without one have no close)."""
    close = getattr(engine, "close", None)
    if close is not None:
        close()


def _load_engine(name: str, device: str) -> Any:
    if name == "none":
        return None
    from daima.model.api import EngineError
    from daima.model.loader import load_engine

    try:
        return load_engine(ModelOptions(name=name, device=device))
    except EngineError as error:
        raise CliError(f"the model could not be loaded: {error}") from error


def _parse_location(location: str) -> tuple[Path, int, int]:
    path_text, _, rest = location.rpartition(":")
    path_text, _, line_text = path_text.rpartition(":")
    if not path_text or not line_text.isdigit() or not rest.isdigit():
        raise CliError(f"expected FILE:LINE:COL with a 1-based line and column, got {location!r}")
    return Path(path_text), int(line_text), int(rest)


# What makes a folder a project, as the editors' clients take it (editors/neovim `root_markers`).
WORKSPACE_MARKERS = (".git", "pyproject.toml", "package.json", "go.mod", "Cargo.toml")


def _workspace_root(path: Path) -> Path:
    """The nearest folder above the file that is a project of its own: the workspace to index."""
    for folder in [path.parent, *path.parent.parents]:
        if any((folder / marker).exists() for marker in WORKSPACE_MARKERS):
            return folder
    return path.parent


def _cheap_index(path: Path) -> Any:
    """An up-to-date index of the file's workspace when it is small; None otherwise or on any failure."""
    root = _workspace_root(path)
    try:
        from daima.indexer.walk import IgnoreRules, walk
        from daima.indexer.workspace import WorkspaceIndex

        # Count what the index would index (gitignore rules, vendored folders, languages it knows), not
        # every file: build output beside the sources (a bundle, a venv) must not change the answer.
        for count, _candidate in enumerate(walk(root, IgnoreRules(root)), start=1):
            if count > _CHEAP_INDEX_FILES:
                return None
        index = WorkspaceIndex.open(root, IndexOptions(watch=False))
        index.index_all()
        return index
    except Exception:  # the index is optional: complete without it
        log.warning("could not index %s; completing without cross-file context", root, exc_info=True)
        return None


def run_complete(args: argparse.Namespace) -> int:
    """`daima complete FILE:LINE:COL`."""
    from .pipeline import complete
    from .syntax import language_for

    given, line, column = _parse_location(args.location)
    try:
        text = given.read_text(encoding="utf-8")
        # One spelling of the file from here on, whether it was given relative, with `..` or through a
        # linked folder: the index, its lookups and the document URI all see the same absolute path.
        path = given.resolve(strict=True)
    except (OSError, UnicodeDecodeError) as error:
        raise CliError(f"cannot read {given}: {error}") from error
    language = language_for("", path)
    document = TextDocument(path.as_uri(), text, language_id=language)
    try:
        offset = document.offset_from_line_col(line, column)
    except PositionError as error:
        raise CliError(str(error)) from error
    engine = _load_engine(args.model, args.device)
    index = None if args.no_index else _cheap_index(path)
    tried: list[Tried] = []
    try:
        suggestion = complete(
            document, offset, engine=engine, index=index, path=path, language_id=language,
            options=CompletionOptions(max_tokens=args.max_tokens, max_time_ms=0), trace=tried,
        )  # fmt: skip
    finally:
        _close(engine)
        if index is not None:
            index.close()
    if args.json:
        print(json.dumps(_as_json(document, suggestion, tried), ensure_ascii=False, indent=1))
    elif suggestion is not None:
        sys.stdout.write(suggestion.text + "\n")
    return 0 if suggestion is not None else 1


def _as_json(document: TextDocument, suggestion: Any, tried: list[Tried]) -> dict[str, Any] | None:
    if suggestion is None:
        return None

    def human(offset: int) -> dict[str, int]:
        position = document.position_at(offset, PositionEncoding.UTF32)
        return {"line": position.line + 1, "column": position.character + 1}

    data = {k: v for k, v in vars(suggestion).items() if k not in ("start", "end")}
    data["notes"] = list(suggestion.notes)
    data["alternatives"] = [other.text for other in suggestion.alternatives]
    # Every candidate generated and the rules that refused it: why this suggestion and not another.
    data["tried"] = [{"text": t.text, "refused_by": list(t.rules), "parses": t.parses} for t in tried]
    return {**data, "start": human(suggestion.start), "end": human(suggestion.end)}
