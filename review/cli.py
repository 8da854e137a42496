"""`daima review`: findings on a change's added lines, as text, GitHub review JSON, SARIF or rdjsonl."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from pathlib import Path
from typing import Any

from daima.config import ModelOptions
from daima.review.diff import GitError
from daima.review.findings import Severity
from daima.review.formats import FORMATS, render
from daima.review.formats.common import RenderOptions
from daima.review.model_review import ModelReviewOptions
from daima.review.runner import run_review

log = logging.getLogger(__name__)


def add_parser(subparsers: Any) -> None:
    """Register `daima review`."""
    parser = subparsers.add_parser(
        "review",
        help="review a change: security rules (and optionally a model) on the added lines",
        description="Review the lines HEAD adds since its merge base with BASE. Rule findings come from "
        "tree-sitter queries; with --model, a local or remote model adds findings of its own.",
    )
    parser.add_argument("--repo", default=".", help="repository to review (default: the current directory)")
    parser.add_argument("--base", required=True, help="base revision, e.g. origin/main or a commit id")
    parser.add_argument("--head", default="HEAD", help="head revision (default: HEAD)")
    parser.add_argument(
        "--format", choices=sorted(FORMATS), default="text", help="output format (default: text)"
    )
    parser.add_argument("--output", help="write the report to this file instead of stdout")
    parser.add_argument(
        "--fail-on",
        choices=["error", "warning", "note", "never"],
        default="never",
        help="exit with code 1 when a finding is at least this severe (default: never)",
    )
    parser.add_argument(
        "--messages",
        choices=["en", "zh", "both"],
        default="en",
        help="language of rule messages (default: en)",
    )
    parser.add_argument(
        "--model",
        default="none",
        help='model for the model review: "none" (rules only, the default), an alias such as '
        '"qwen2.5-coder-0.5b", "auto", a model directory or .gguf file',
    )
    parser.add_argument(
        "--remote-url", default="", help="OpenAI-compatible server to use instead of a local model"
    )
    parser.add_argument("--remote-model", default="", help="model name sent to the remote server")
    parser.add_argument(
        "--remote-timeout-s",
        type=float,
        default=120.0,
        help="read timeout for the remote server (default: 120)",
    )
    parser.add_argument("--device", default="auto", help='device of a local model ("auto", "cpu", "cuda")')
    parser.add_argument(
        "--thinking", choices=["on", "off"], default="off", help="thinking mode, for models that have it"
    )
    parser.add_argument(
        "--max-tokens", type=int, default=ModelReviewOptions.max_tokens, help="tokens per model answer"
    )
    parser.add_argument(
        "--context-chars",
        type=int,
        default=ModelReviewOptions.context_chars,
        help="context budget for the model",
    )
    parser.set_defaults(func=run)


def _engine(args: argparse.Namespace) -> Any:
    """The engine for --model / --remote-url, or None for a rules-only review."""
    from daima.cli import CliError

    if args.model == "none" and not args.remote_url:
        return None
    try:
        loader = importlib.import_module("daima.model.loader")
    except ModuleNotFoundError:
        raise CliError("this build of daima cannot load models; run the review without --model") from None
    options = ModelOptions(
        name=args.model if args.model != "none" else "auto",
        device=args.device,
        remote_url=args.remote_url,
        remote_model=args.remote_model,
        # A review is a batch job: a long prompt may take a while before its first token.
        remote_timeout_ms=int(args.remote_timeout_s * 1000),
    )
    try:
        return loader.load_engine(options)
    except Exception as error:  # a model that will not load is the user's to fix: say so in one line
        raise CliError(f"could not load the model {options.name!r}: {error}") from error


def run(args: argparse.Namespace) -> int:
    """Run the review and write the report; exit 1 when --fail-on is reached."""
    from daima.cli import CliError

    repo = Path(args.repo).expanduser()
    engine = _engine(args)
    options = ModelReviewOptions(
        thinking=args.thinking == "on", max_tokens=args.max_tokens, context_chars=args.context_chars
    )
    try:
        result = run_review(repo, args.base, args.head, engine=engine, options=options)
    except GitError as error:
        raise CliError(str(error)) from None
    finally:
        close = getattr(engine, "close", None)  # local engines hold a worker thread and the model
        if callable(close):
            close()
    report = render(result, args.format, RenderOptions(messages=args.messages))
    if args.output:
        Path(args.output).write_text(report, encoding="utf-8")
    else:
        sys.stdout.write(report)
        sys.stdout.flush()
    worst = result.worst()
    if args.fail_on != "never" and worst is not None and worst >= Severity.parse(args.fail_on):
        return 1
    return 0
