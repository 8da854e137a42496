"""The GitHub Actions review bot: its files are well-formed and its scripts run `daima review` for real."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import yaml
from review_repos import DATA, case_repo

BOT = Path(__file__).resolve().parents[2] / "editors" / "review-bot"
BIN = Path(sys.executable).parent  # the venv that has the `daima` entry point


def test_action_and_workflow_are_well_formed() -> None:
    action = yaml.safe_load((BOT / "action.yml").read_text("utf-8"))
    assert action["runs"]["using"] == "composite"
    scripts = [s["run"] for s in action["runs"]["steps"] if "run" in s]
    assert any("run-review.sh" in s for s in scripts) and any("post-review.sh" in s for s in scripts)
    assert {"model", "remote-url", "fail-on", "thinking", "messages"} <= set(action["inputs"])
    workflow = yaml.safe_load((BOT / "review.yml").read_text("utf-8"))
    steps = workflow["jobs"]["review"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    assert any(str(s.get("uses", "")).endswith("editors/review-bot@main") for s in steps)
    assert workflow["permissions"]["pull-requests"] == "write"
    assert True in workflow and "pull_request" in workflow[True]  # YAML 1.1 reads the key `on` as True


def test_run_then_post(tmp_path: Path) -> None:
    repo, base, head, expected = case_repo("js_vuln", tmp_path)
    outputs, sarif = tmp_path / "outputs", tmp_path / "out.sarif"
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "RUNNER_TEMP": str(tmp_path),
           "GITHUB_OUTPUT": str(outputs), "BASE": base, "HEAD": head, "FAIL_ON": "error",
           "MESSAGES": "both", "SARIF_FILE": str(sarif)}  # fmt: skip
    done = subprocess.run(
        ["bash", str(BOT / "run-review.sh")], cwd=repo, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "lib/users.js" in done.stdout  # the readable summary goes to the job log
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert values["exit-code"] == "1"
    review = json.loads(Path(values["review-file"]).read_text("utf-8"))
    jsonschema.validate(review, json.loads((DATA / "github_review.schema.json").read_text("utf-8")))
    assert [c["line"] for c in review["comments"]] == [e["line"] for e in expected]
    assert json.loads(sarif.read_text("utf-8"))["version"] == "2.1.0"

    # `gh` stands in for the GitHub API, which tests cannot reach: it records how it was called.
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "gh").write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "$GH_LOG"\n', encoding="utf-8")
    (fake / "gh").chmod(0o755)
    log = tmp_path / "gh.log"
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}", "GH_TOKEN": "t", "GH_LOG": str(log),
           "REPOSITORY": "octo/app", "PULL_NUMBER": "7", "REVIEW_FILE": values["review-file"]}  # fmt: skip
    done = subprocess.run(["bash", str(BOT / "post-review.sh")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    args = log.read_text().splitlines()
    assert args[:3] == ["api", "--method", "POST"]
    assert "repos/octo/app/pulls/7/reviews" in args and args[-2:] == ["--input", values["review-file"]]
    assert f"posted {len(expected)} comment(s)" in done.stdout
