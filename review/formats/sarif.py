"""SARIF 2.1.0 (what GitHub code scanning and most security dashboards read).

Columns are UTF-16 code units (`columnKind: utf16CodeUnits`), 1-based; regions end exclusively.
Artifact URIs are relative references, percent-encoded as RFC 3986 asks (SARIF §3.10.4): `商店/用户.py`
is `%E5%95%86%E5%BA%97/%E7%94%A8%E6%88%B7.py`, and a space, `#` or `%` in a name cannot break the URI.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from daima import __version__
from daima.review.findings import NOT_REVIEWED_RULE_ID, ReviewResult
from daima.review.formats.common import (
    MODEL_LABEL,
    MODEL_RULE_ID,
    SARIF_LEVELS,
    Positions,
    RenderOptions,
    message,
)
from daima.review.rules import rules_table
from daima.text import PositionEncoding

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def artifact_uri(path: str) -> str:
    """A repository path as a percent-encoded relative URI reference (UTF-8, `/` kept)."""
    return quote(path, safe="/")


def _region(positions: Positions, path: str, start: int, end: int) -> dict[str, int]:
    start_line, start_col = positions.line_col(path, start, PositionEncoding.UTF16)
    end_line, end_col = positions.line_col(path, end, PositionEncoding.UTF16)
    return {"startLine": start_line, "startColumn": start_col, "endLine": end_line, "endColumn": end_col}


def _rules() -> list[dict[str, Any]]:
    table = rules_table()["rules"]
    rules = [
        {
            "id": rule_id,
            "name": "".join(part.title() for part in rule_id.split("-")),
            "shortDescription": {"text": rule["name"]},
            "fullDescription": {"text": rule["message"].format(sink="the sink")},
            "helpUri": rule["help"],
            "defaultConfiguration": {"level": SARIF_LEVELS[rule["severity"]]},
            "properties": {"tags": ["security", rule["cwe"]], "messageZh": rule["message_zh"]},
        }
        for rule_id, rule in table.items()
    ]
    rules.append(
        {
            "id": MODEL_RULE_ID,
            "name": "ModelReview",
            "shortDescription": {"text": MODEL_LABEL},
            "defaultConfiguration": {"level": "warning"},
        }
    )
    rules.append(
        {
            "id": NOT_REVIEWED_RULE_ID,
            "name": "NotReviewed",
            "shortDescription": {"text": "A changed file the review could not read"},
            "defaultConfiguration": {"level": "warning"},
        }
    )
    return rules


def render(result: ReviewResult, options: RenderOptions) -> str:
    """One run with the rule catalogue and the results."""
    positions = Positions(result)
    rules = _rules()
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = []
    for finding in result.findings:
        location = {
            "physicalLocation": {
                "artifactLocation": {"uri": artifact_uri(finding.path), "uriBaseId": "%SRCROOT%"},
                "region": _region(positions, finding.path, finding.start, finding.end),
            }
        }
        item: dict[str, Any] = {
            "ruleId": finding.rule_id,
            "level": SARIF_LEVELS[finding.severity.label],
            "message": {"text": message(finding, options)},
            "locations": [location],
            "properties": {"source": finding.source},
        }
        if finding.rule_id in index:
            item["ruleIndex"] = index[finding.rule_id]
        if finding.fix is not None:
            item["fixes"] = [
                {
                    "description": {"text": finding.fix.description or "Suggested fix"},
                    "artifactChanges": [
                        {
                            "artifactLocation": {"uri": artifact_uri(finding.path), "uriBaseId": "%SRCROOT%"},
                            "replacements": [
                                {
                                    "deletedRegion": _region(
                                        positions, finding.path, finding.fix.start, finding.fix.end
                                    ),
                                    "insertedContent": {"text": finding.fix.replacement},
                                }
                            ],
                        }
                    ],
                }
            ]
        results.append(item)
    run = {
        "tool": {
            "driver": {
                "name": "daima",
                "version": options.tool_version or __version__,
                "informationUri": "https://github.com/daima-dev/daima",
                "rules": rules,
            }
        },
        "columnKind": "utf16CodeUnits",
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The repository root."}}},
        "results": results,
    }
    if result.head:
        run["properties"] = {"base": result.base, "head": result.head}
    return (
        json.dumps({"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}, ensure_ascii=False, indent=2)
        + "\n"
    )
