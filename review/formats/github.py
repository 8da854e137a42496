"""A GitHub pull request review (the body of POST /repos/{owner}/{repo}/pulls/{n}/reviews).

Comments sit on the RIGHT side (the head version) of lines the change added; a mechanical fix becomes a
```suggestion block that GitHub can apply with one click. The review event is always COMMENT: approving
or requesting changes is the workflow's decision (`--fail-on`), never the model's.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from daima.review.findings import NOT_REVIEWED_RULE_ID, ReviewResult
from daima.review.formats.common import Positions, RenderOptions, message


def render(result: ReviewResult, options: RenderOptions) -> str:
    """The review as JSON."""
    positions = Positions(result)
    comments: list[dict[str, Any]] = []
    unreviewed: list[str] = []
    for finding in result.findings:
        text = message(finding, options).replace("\n", "\n\n")  # English and Chinese as two paragraphs
        if finding.rule_id == NOT_REVIEWED_RULE_ID:  # no changed line to sit on: said in the review body
            unreviewed.append(f"- `{finding.path}`: {text}")
            continue
        body = f"**{finding.severity.label}** `{finding.rule_id}`: {text}"
        comment: dict[str, Any] = {"path": finding.path, "line": finding.line, "side": "RIGHT"}
        fixed = positions.fixed_lines(finding)
        added = result.added_lines.get(finding.path)
        # GitHub applies a suggestion to whole lines: offer it only when every line it replaces was added.
        if fixed is not None and (added is None or all(n in added for n in range(fixed[0], fixed[1] + 1))):
            first, last, text = fixed
            body += f"\n\n```suggestion\n{text}\n```"
            comment["line"] = last
            if first != last:
                comment["start_line"], comment["start_side"] = first, "RIGHT"
        comment["body"] = body
        comments.append(comment)
    counts = Counter(f.severity.label for f in result.findings)
    names = [s for s in ("error", "warning", "note") if counts[s]]
    summary = ", ".join(f"{counts[s]} {s}{'s' if counts[s] != 1 else ''}" for s in names) or "no findings"
    body = f"daima review: {summary} on the changed lines."
    if unreviewed:
        body += "\n\nFiles the review could not read:\n" + "\n".join(unreviewed)
    review: dict[str, Any] = {
        "body": body,
        "event": "COMMENT",
        "comments": comments,
    }
    if result.head:
        review["commit_id"] = result.head
    return json.dumps(review, ensure_ascii=False, indent=2) + "\n"
