"""The FIM template table: rendering per family and matching a model to its family (data-driven)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daima.completion.templates import Snippet, match_template, templates
from daima.indexer.languages import line_comment
from daima.model.api import EngineInfo

DATA = json.loads((Path(__file__).parents[1] / "data" / "prompt" / "templates.json").read_text("utf-8"))


def check_render(case: dict) -> None:
    template = templates()[case["family"]]
    context = [Snippet(path=s["path"], text=s["text"]) for s in case["context"]]
    text = template.render(
        prefix=case["prefix"],
        suffix=case["suffix"],
        context=context,
        path=case.get("path", ""),
        comment=case.get("comment", "#"),
    )
    assert text == case["expected"]


@pytest.mark.parametrize(
    "case", DATA["render"], ids=[f"{c['family']}-{i}" for i, c in enumerate(DATA["render"])]
)
def test_render(case: dict) -> None:
    check_render(case)


@pytest.mark.parametrize("case", DATA["match"], ids=[f"{c['name']}-{c['expected']}" for c in DATA["match"]])
def test_match(case: dict) -> None:
    info = EngineInfo(
        name=case["name"], model_type=case["model_type"], special_tokens=frozenset(case["special_tokens"])
    )
    assert match_template(info, case.get("override", "auto")).family == case["expected"]


def test_every_family_is_complete() -> None:
    table = templates()
    assert set(table) >= {"qwen", "deepseek", "starcoder2", "codellama", "codegemma", "codestral"}
    for template in table.values():
        assert template.prefix and template.suffix and template.stop, template.family
        assert template.order in {"PSM", "SPM"}
        assert template.middle or template.order == "SPM"  # Codestral needs no middle token
    assert table["codestral"].order == "SPM"
    assert table["qwen"].repo_name == "<|repo_name|>" and table["qwen"].file_sep == "<|file_sep|>"


def test_qwen_stop_tokens_cover_the_fim_specials() -> None:
    # MODELS.md: the instruct model runs past the hole unless these stop it.
    stops = set(templates()["qwen"].stop)
    assert {"<|endoftext|>", "<|fim_pad|>", "<|file_sep|>", "<|fim_prefix|>", "<|fim_middle|>"} <= stops


def test_qwen_tokens_are_single_special_tokens(qwen_engine) -> None:
    template = templates()["qwen"]
    for token in (template.prefix, template.suffix, template.middle, template.repo_name, template.file_sep):
        assert len(qwen_engine.tokenize(token)) == 1, token
    assert match_template(qwen_engine.info).family == "qwen"


@pytest.mark.parametrize(
    ("language", "marker"), [("python", "#"), ("javascript", "//"), ("lua", "--"), ("", "//")]
)
def test_line_comment(language: str, marker: str) -> None:
    assert line_comment(language) == marker
