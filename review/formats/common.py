"""What every format shares: message wording, rule metadata, and positions through TextDocument."""

from __future__ import annotations

from dataclasses import dataclass, field

from daima.review.findings import MODEL_RULE_ID, Finding, ReviewResult
from daima.text import PositionEncoding, TextDocument

__all__ = ["MODEL_LABEL", "MODEL_RULE_ID", "Positions", "RenderOptions", "message"]

MODEL_LABEL = "daima model review (unverified, from a language model)"


@dataclass(frozen=True, kw_only=True)
class RenderOptions:
    """How findings are worded."""

    messages: str = "en"  # "en", "zh" or "both"
    tool_version: str = ""


def message(finding: Finding, options: RenderOptions) -> str:
    """The finding's message in the configured language(s); model findings carry their label."""
    english, chinese = finding.message, finding.message_zh
    if options.messages == "zh" and chinese:
        text = chinese
    elif options.messages == "both" and chinese:
        text = f"{english}\n{chinese}"
    else:
        text = english
    return f"[{MODEL_LABEL}] {text}" if finding.source == "model" else text


@dataclass
class Positions:
    """Line/column conversions for the head texts of one review."""

    result: ReviewResult
    _documents: dict[str, TextDocument] = field(default_factory=dict)

    def document(self, path: str) -> TextDocument:
        if path not in self._documents:
            self._documents[path] = TextDocument(path, self.result.texts.get(path, ""))
        return self._documents[path]

    def line_col(self, path: str, offset: int, encoding: PositionEncoding) -> tuple[int, int]:
        """1-based line and 1-based column of a str index, the column counted in `encoding` units."""
        document = self.document(path)
        offset = max(0, min(offset, len(document.text)))
        position = document.position_at(offset, encoding)
        return position.line + 1, position.character + 1

    def fixed_lines(self, finding: Finding) -> tuple[int, int, str] | None:
        """(first line, last line, new text of those lines) for a finding's fix, 1-based lines."""
        if finding.fix is None:
            return None
        document = self.document(finding.path)
        first, last = document.line_of(finding.fix.start), document.line_of(finding.fix.end)
        head = document.text[document.line_start(first) : finding.fix.start]
        tail = document.text[finding.fix.end : document.line_end(last)]
        return first + 1, last + 1, head + finding.fix.replacement + tail


# Severity names in each format's vocabulary.
SARIF_LEVELS = {"error": "error", "warning": "warning", "note": "note"}
RDJSON_SEVERITIES = {"error": "ERROR", "warning": "WARNING", "note": "INFO"}
