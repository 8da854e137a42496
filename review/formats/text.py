"""A readable terminal summary."""

from __future__ import annotations

from collections import Counter

from daima.review.findings import ReviewResult
from daima.review.formats.common import Positions, RenderOptions, message
from daima.text import PositionEncoding


def render(result: ReviewResult, options: RenderOptions) -> str:
    """Findings grouped by file, then a one-line summary."""
    positions = Positions(result)
    lines: list[str] = []
    current = None
    for finding in result.findings:
        if finding.path != current:
            current = finding.path
            lines.append(f"{finding.path}")
        line, column = positions.line_col(finding.path, finding.start, PositionEncoding.UTF32)
        origin = "model" if finding.source == "model" else "rule"
        first, *rest = message(finding, options).splitlines()
        lines.append(f"  {line}:{column}  {finding.severity.label:<7}  {finding.rule_id} ({origin})  {first}")
        lines.extend(f"  {'':>{len(str(line)) + len(str(column)) + 1}}  {extra}" for extra in rest)
        fixed = positions.fixed_lines(finding)
        if fixed is not None:
            lines.append(f"      fix: {fixed[2].strip()}")
    counts = Counter(f.severity.label for f in result.findings)
    files = len({f.path for f in result.findings})
    if result.findings:
        names = [s for s in ("error", "warning", "note") if counts[s]]
        parts = ", ".join(f"{counts[s]} {s}{'s' if counts[s] != 1 else ''}" for s in names)
        lines.append(f"{len(result.findings)} finding(s) in {files} file(s): {parts}")
    else:
        lines.append("No findings on the changed lines.")
    if result.dropped_model_outputs:
        lines.append(f"({result.dropped_model_outputs} model answer(s) were invalid and dropped)")
    return "\n".join(lines) + "\n"
