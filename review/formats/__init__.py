"""Output formats for `daima review`: one module per format, one `render(result, options)` each."""

from __future__ import annotations

from collections.abc import Callable

from daima.review.findings import ReviewResult
from daima.review.formats import github, rdjsonl, sarif, text
from daima.review.formats.common import RenderOptions

FORMATS: dict[str, Callable[[ReviewResult, RenderOptions], str]] = {
    "text": text.render,
    "github": github.render,
    "sarif": sarif.render,
    "rdjsonl": rdjsonl.render,
}


def render(result: ReviewResult, format_name: str, options: RenderOptions | None = None) -> str:
    """The review in one of FORMATS."""
    return FORMATS[format_name](result, options or RenderOptions())
