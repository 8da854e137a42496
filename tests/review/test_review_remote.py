"""`daima review` with a remote engine: llama-cpp-python serving the real 0.5B GGUF over HTTP."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import jsonschema
import pytest
from review_repos import DATA, RULE_LINES, injection_repo

from daima.cli import main

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None,
        reason="llama-cpp-python[server] is not installed (it builds from source, minutes on 2 cores)",
    ),
]


def test_review_with_a_remote_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "model"))
    from remote_servers import LlamaServer, gguf_path  # the model tests' server harness

    server = LlamaServer(gguf_path(), api_key="daima-review-key")
    try:
        server.wait_ready()
        monkeypatch.setenv("DAIMA_API_KEY", server.api_key)
        repo, base, head = injection_repo(tmp_path)
        out = tmp_path / "review.json"
        argv = ["review", "--repo", str(repo), "--base", base, "--head", head, "--format", "github"]
        argv += ["--remote-url", server.url, "--remote-model", "qwen2.5-coder-0.5b", "--max-tokens", "160"]
        code = main([*argv, "--output", str(out), "--fail-on", "error"])
    finally:
        server.stop()
    assert code == 1  # the rule findings are errors, whatever the model said
    review = json.loads(out.read_text("utf-8"))
    jsonschema.validate(review, json.loads((DATA / "github_review.schema.json").read_text("utf-8")))
    rule_comments = [
        (c["path"], c["line"]) for c in review["comments"] if "daima model review" not in c["body"]
    ]
    assert rule_comments == [(path, line) for path, line, _ in RULE_LINES]
    assert all(6 <= c["line"] <= 18 for c in review["comments"])
