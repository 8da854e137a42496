"""reviewdog Diagnostic Format, one JSON object per line (`reviewdog -f=rdjsonl`).

Columns are 1-based UTF-8 byte counts, as the format specifies; ends are exclusive.
"""

from __future__ import annotations

import json
from typing import Any

from daima.review.findings import ReviewResult
from daima.review.formats.common import RDJSON_SEVERITIES, Positions, RenderOptions, message
from daima.review.rules import rules_table
from daima.text import PositionEncoding


def _range(positions: Positions, path: str, start: int, end: int) -> dict[str, Any]:
    start_line, start_col = positions.line_col(path, start, PositionEncoding.UTF8)
    end_line, end_col = positions.line_col(path, end, PositionEncoding.UTF8)
    return {"start": {"line": start_line, "column": start_col}, "end": {"line": end_line, "column": end_col}}


def render(result: ReviewResult, options: RenderOptions) -> str:
    """One diagnostic per line."""
    positions = Positions(result)
    rules = rules_table()["rules"]
    out = []
    for finding in result.findings:
        diagnostic: dict[str, Any] = {
            "message": message(finding, options),
            "location": {
                "path": finding.path,
                "range": _range(positions, finding.path, finding.start, finding.end),
            },
            "severity": RDJSON_SEVERITIES[finding.severity.label],
            "source": {"name": "daima-model" if finding.source == "model" else "daima"},
            "code": {"value": finding.rule_id},
        }
        if finding.rule_id in rules:
            diagnostic["code"]["url"] = rules[finding.rule_id]["help"]
        if finding.fix is not None:
            fix = finding.fix
            diagnostic["suggestions"] = [
                {"range": _range(positions, finding.path, fix.start, fix.end), "text": fix.replacement}
            ]
        out.append(json.dumps(diagnostic, ensure_ascii=False))
    return "".join(line + "\n" for line in out)
