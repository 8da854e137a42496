"""The GitHub Actions review bot: its files are well-formed and its scripts run `daima review` for real."""

from __future__ import annotations

import json
import os
import re
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


def _actions_and_workflows() -> list[tuple[Path, dict]]:
    return [
        (path, yaml.safe_load(path.read_text("utf-8"))) for path in (BOT / "action.yml", BOT / "review.yml")
    ]


def _steps(document: dict) -> list[dict]:
    if "runs" in document:
        return list(document["runs"]["steps"])
    return [step for job in document["jobs"].values() for step in job["steps"]]


def test_action_and_workflow_match_github_s_schemas() -> None:
    # actionlint has no wheel to install here; check-jsonschema carries GitHub's schemas for both files.
    for path, schema in (
        (BOT / "action.yml", "vendor.github-actions"),
        (BOT / "review.yml", "vendor.github-workflows"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
            capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr


def test_third_party_actions_are_pinned_by_commit_and_inputs_never_reach_a_script() -> None:
    for path, document in _actions_and_workflows():
        for step in _steps(document):
            uses = str(step.get("uses", ""))
            if uses and not uses.startswith(("daima-dev/daima/", "./")):
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses), (path.name, uses)
            # `${{ }}` inside `run:` is pasted into the script before bash reads it: a crafted input
            # or branch name would be code. Values go through `env:` instead.
            assert "${{" not in str(step.get("run", "")), (path.name, step.get("name"))


def test_the_scripts_pass_shellcheck(tmp_path: Path) -> None:
    scripts = sorted(BOT.glob("*.sh"))
    for index, (_, document) in enumerate(_actions_and_workflows()):
        for number, step in enumerate(_steps(document)):
            if "run" in step:
                script = tmp_path / f"step-{index}-{number}.sh"
                script.write_text("#!/usr/bin/env bash\n" + step["run"], encoding="utf-8")
                scripts.append(script)
    done = subprocess.run(
        [str(BIN / "shellcheck"), "--severity=style", *map(str, scripts)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout


def test_a_review_that_cannot_be_posted_goes_to_the_job_summary(tmp_path: Path) -> None:
    review = {
        "body": "daima review: 1 error on the changed lines.",
        "event": "COMMENT",
        "comments": [
            {"path": "服务/订单.py", "line": 7, "side": "RIGHT", "body": "**error** `sql-injection`: …"}
        ],
    }
    review_file = tmp_path / "review.json"
    review_file.write_text(json.dumps(review, ensure_ascii=False), encoding="utf-8")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "gh").write_text(
        "#!/usr/bin/env bash\necho 'gh: Resource not accessible by integration (HTTP 403)' >&2\nexit 1\n",
        encoding="utf-8",
    )
    (fake / "gh").chmod(0o755)
    summary = tmp_path / "summary.md"
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}", "GH_TOKEN": "t", "REPOSITORY": "o/a",
           "PULL_NUMBER": "7", "REVIEW_FILE": str(review_file)}  # fmt: skip
    env["GITHUB_STEP_SUMMARY"] = str(summary)
    done = subprocess.run(["bash", str(BOT / "post-review.sh")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "::warning title=daima review not posted::" in done.stdout and "HTTP 403" in done.stderr
    written = summary.read_text("utf-8")
    assert "### `服务/订单.py:7`" in written and "sql-injection" in written and review["body"] in written


def test_a_shallow_checkout_fails_with_what_to_do(tmp_path: Path) -> None:
    repo, base, head, _ = case_repo("js_vuln", tmp_path / "full")
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow)], check=True)
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "RUNNER_TEMP": str(tmp_path),
           "GITHUB_OUTPUT": str(tmp_path / "outputs"), "BASE": base, "HEAD": head}  # fmt: skip
    done = subprocess.run(
        ["bash", str(BOT / "run-review.sh")], cwd=shallow, env=env, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "::error title=daima review failed::" in done.stdout and "fetch-depth: 0" in done.stdout
