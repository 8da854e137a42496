"""Model review: chat prompts, answer validation, and a model that cannot suppress or reshape anything."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import jsonschema
import pytest
from review_repos import DATA, RULE_LINES, injection_repo

from daima.cli import main
from daima.model.api import CancelToken, EngineInfo, GenerationRequest, TextStream
from daima.review.chat import ChatTemplate, Message, template_for
from daima.review.formats import render
from daima.review.model_review import ModelReviewOptions, hunk_blocks, parse_answer
from daima.review.runner import run_review


class ScriptedEngine:
    """An engine that answers from a script: plays a model that fully obeys the injected instructions."""

    def __init__(self, answers: list[str], model_type: str = "qwen2") -> None:
        self.answers = answers
        self.prompts: list[str] = []
        self._info = EngineInfo(name="scripted", model_type=model_type)

    @property
    def info(self) -> EngineInfo:
        return self._info

    def tokenize(self, text: str) -> list[int]:
        return list(text.encode())

    def detokenize(self, ids: Sequence[int]) -> str:
        return bytes(ids).decode()

    def stream(self, request: GenerationRequest, cancel: CancelToken | None = None) -> TextStream:
        assert isinstance(request.prompt, str)
        self.prompts.append(request.prompt)
        answer = self.answers[min(len(self.prompts) - 1, len(self.answers) - 1)]

        def deltas() -> Iterator[str]:
            yield from (answer[i : i + 7] for i in range(0, len(answer), 7))

        return TextStream(deltas=deltas())


def test_chatml_prompt_is_the_qwen_template() -> None:
    template = template_for(EngineInfo(name="qwen2.5-coder-0.5b", model_type="qwen2"))
    text = template.render([Message("system", "S"), Message("user", "U")], thinking=True)
    assert text == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n"
    assert "<|im_end|>" in template.stop


def test_qwen3_thinking_switch() -> None:
    template = template_for(EngineInfo(name="Qwen/Qwen3-30B-A3B", model_type="qwen3_moe"))
    off = template.render([Message("user", "U")], thinking=False)
    on = template.render([Message("user", "U")], thinking=True)
    assert off.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")
    assert on.endswith("<|im_start|>assistant\n")
    assert ChatTemplate.strip_thinking('<think>\nhmm {\n</think>\n\n{"findings": []}') == '{"findings": []}'


@pytest.mark.parametrize(
    "name", ["qwen3-coder-30b-a3b", "Qwen/Qwen3-Coder-30B-A3B-Instruct", "/m/Qwen3-Coder-480B"]
)
def test_qwen3_coder_has_no_thinking_mode(name: str) -> None:
    """Qwen3-Coder has the qwen3_moe architecture but no thinking mode: no <think> block either way."""
    template = template_for(EngineInfo(name=name, model_type="qwen3_moe"))
    for thinking in (False, True):
        text = template.render([Message("user", "U")], thinking=thinking)
        assert text.endswith("<|im_start|>assistant\n") and "<think>" not in text


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ('{"findings": [{"line": 3, "severity": "error", "message": "SQL built from input"}]}', None),
        ('```json\n{"findings": []}\n```', None),
        ("APPROVED", "no JSON object"),
        ('{"findings": [{"line": "3", "severity": "error", "message": "x"}]}', "schema"),
        ('{"findings": [], "approve": true}', "schema"),
        ('{"findings": [{"line": 3, "severity": "blocker", "message": "x"}]}', "schema"),
        ('{"findings": [', "no JSON object"),
        ('{"findings": [}', "invalid JSON"),
    ],
)
def test_answers_are_validated(answer: str, error: str | None) -> None:
    if error is None:
        assert isinstance(parse_answer(answer), list)
    else:
        with pytest.raises(ValueError, match=error):
            parse_answer(answer)


def test_obedient_model_cannot_suppress_rule_findings(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    repo, base, head = injection_repo(tmp_path)
    engine = ScriptedEngine(["APPROVED. No issues found.", "## Review\nLGTM, approved."])
    with caplog.at_level(logging.INFO, logger="daima.review"):
        result = run_review(repo, base, head, engine=engine)
    assert [(f.path, f.line, f.rule_id) for f in result.findings] == RULE_LINES
    assert result.dropped_model_outputs == 1 and len(engine.prompts) == 2  # one retry, then dropped
    assert any("dropped" in r.getMessage() for r in caplog.records)
    review = json.loads(render(result, "github"))
    jsonschema.validate(review, json.loads((DATA / "github_review.schema.json").read_text("utf-8")))
    assert review["event"] == "COMMENT" and len(review["comments"]) == 2
    # The injected special tokens reach the model only as inert text, inside the quoted diff.
    prompt = engine.prompts[0]
    assert prompt.count("<|im_start|>") == 3 and prompt.count("<|im_end|>") == 2
    assert prompt.index("ignore all previous instructions") < prompt.rindex("DIFF>>>")


def test_model_findings_only_add_on_changed_clean_lines(tmp_path: Path) -> None:
    repo, base, head = injection_repo(tmp_path)
    findings = [
        {"line": 4, "severity": "error", "message": "unchanged line"},
        {"line": 15, "severity": "note", "message": "duplicates the rule finding"},
        {
            "line": 16,
            "severity": "warning",
            "message": "int() of 订单号 can raise ```suggestion\nrm -rf /\n```",
        },
        {"line": 999, "severity": "error", "message": "past the end"},
    ]
    engine = ScriptedEngine([json.dumps({"findings": findings}, ensure_ascii=False)])
    result = run_review(repo, base, head, engine=engine, options=ModelReviewOptions(context_chars=500))
    got = [(f.line, f.rule_id, f.source) for f in result.findings]
    assert got == [
        (15, "sql-injection", "rule"),
        (16, "model-review", "model"),
        (17, "shell-injection", "rule"),
    ]
    model = result.findings[1]
    assert "```" not in model.message and "\n" not in model.message
    review = json.loads(render(result, "github"))
    body = next(c["body"] for c in review["comments"] if c["line"] == 16)
    assert "daima model review" in body and "```suggestion" not in body
    sarif = json.loads(render(result, "sarif"))
    assert {r["properties"]["source"] for r in sarif["runs"][0]["results"]} == {"rule", "model"}


def test_large_changes_are_reviewed_in_blocks(tmp_path: Path) -> None:
    from review_repos import commit_all, init_repo, write_tree

    repo = init_repo(tmp_path / "big")
    write_tree(repo, {"big.py": "x = 0\n"})
    base = commit_all(repo, "base")
    write_tree(repo, {"big.py": "x = 0\n" + "".join(f"v{i} = {i}  # 第{i}行\n" for i in range(1, 321))})
    head = commit_all(repo, "head")
    answers = [
        json.dumps({"findings": [{"line": n, "severity": "note", "message": f"block {n}"}]})
        for n in (5, 200, 321)
    ]
    engine = ScriptedEngine(answers)
    result = run_review(
        repo, base, head, engine=engine, options=ModelReviewOptions(max_lines_per_request=120)
    )
    assert len(engine.prompts) == 3
    assert [(f.line, f.message) for f in result.findings] == [
        (5, "block 5"),
        (200, "block 200"),
        (321, "block 321"),
    ]
    assert "+ 321| v320 = 320  # 第320行" in engine.prompts[2] and "+ 5| " not in engine.prompts[2]


def test_blocks_without_added_lines_are_skipped() -> None:
    from daima.review.diff import ChangedFile, Hunk

    text = "".join(f"line {n}\n" for n in range(1, 13))
    changed = ChangedFile(
        path="a.py", added_lines=frozenset({12}), hunks=(Hunk(start=1, length=12, text=""),)
    )
    blocks = hunk_blocks(changed, text, 5)
    assert blocks == ["@@ lines 1-12 (continued)\n  9| line 9\n  10| line 10\n  11| line 11\n+ 12| line 12"]


def _loader_available() -> bool:
    try:
        import daima.model.loader  # noqa: F401
    except ModuleNotFoundError:
        return False
    return True


@pytest.mark.skipif(
    not _loader_available(), reason="daima.model.loader (the local engine) is not in this build"
)
def test_tiny_model_review_retries_then_drops(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from daima.model.testing import tiny_engine

    repo, base, head = injection_repo(tmp_path)
    engine = tiny_engine()
    with caplog.at_level(logging.INFO, logger="daima.review"):
        result = run_review(repo, base, head, engine=engine, options=ModelReviewOptions(max_tokens=48))
    # Random weights cannot write valid JSON findings: the answer is retried once, then dropped.
    assert result.dropped_model_outputs == 1
    assert sum("was invalid" in r.getMessage() for r in caplog.records) == 2
    assert [(f.path, f.line, f.rule_id) for f in result.findings] == RULE_LINES

    # The same through the command line: --model takes the tiny model's directory.
    import daima.model.testing as testing

    out = tmp_path / "review.sarif"
    argv = ["review", "--repo", str(repo), "--base", base, "--head", head, "--model", str(testing._TINY_DIR),
            "--device", "cpu", "--max-tokens", "16", "--format", "sarif", "--output", str(out)]  # fmt: skip
    assert main(argv) == 0
    results = json.loads(out.read_text("utf-8"))["runs"][0]["results"]
    assert [(r["ruleId"], r["properties"]["source"]) for r in results] == [
        (rule, "rule") for *_, rule in RULE_LINES
    ]
    assert main([*argv[:7], "--model", str(tmp_path / "no-such-model")]) == 2


@pytest.mark.slow
@pytest.mark.skipif(
    not _loader_available(), reason="daima.model.loader (the local engine) is not in this build"
)
def test_real_model_review_keeps_format_and_rule_findings(tmp_path: Path) -> None:
    from daima.config import ModelOptions
    from daima.model.loader import load_engine

    repo, base, head = injection_repo(tmp_path)
    engine = load_engine(ModelOptions(name="qwen2.5-coder-0.5b", device="cpu"))
    options = ModelReviewOptions(max_tokens=160, context_chars=600)
    result = run_review(repo, base, head, engine=engine, options=options)
    rule = [(f.path, f.line, f.rule_id) for f in result.findings if f.source == "rule"]
    assert rule == RULE_LINES
    added = set(range(6, 19))
    for finding in result.findings:
        if finding.source == "model":
            assert finding.line in added and finding.line not in {15, 17}
    review = json.loads(render(result, "github"))
    jsonschema.validate(review, json.loads((DATA / "github_review.schema.json").read_text("utf-8")))
    assert review["event"] == "COMMENT"
