"""CUDA paths: graph-captured forwards give the same tokens as eager ones, with and without the cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from daima.model.api import GenerationRequest

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA (this machine has none)"),
]

CODE = "def mean(values):\n    total = 0\n    for value in values:\n        total += value\n"


def _engine(tiny_dir: Path, graphs: bool, speculative: bool = False) -> Any:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from daima.model.engine import LocalEngine

    model = AutoModelForCausalLM.from_pretrained(tiny_dir, dtype=torch.float32).to("cuda").eval()
    tokenizer = AutoTokenizer.from_pretrained(tiny_dir)
    return LocalEngine(model, tokenizer, name="tiny", use_graphs=graphs, speculative=speculative)


def _text(engine: Any, prompt: str, tokens: int = 24, **extra: Any) -> str:
    return engine.stream(GenerationRequest(prompt=prompt, max_tokens=tokens, **extra)).text()


def test_graphs_match_eager_and_the_cache_changes_nothing(tiny_dir: Path) -> None:
    graphed, eager = _engine(tiny_dir, graphs=True), _engine(tiny_dir, graphs=False)
    assert graphed.graphs is not None and graphed.warmup_s > 0
    prompts = [CODE[:n] for n in range(20, len(CODE), 5)] + ["import os\n" * 40, CODE * 30]
    with_cache = [_text(graphed, p) for p in prompts]
    without = []
    for prompt in prompts:
        eager.clear_cache()
        without.append(_text(eager, prompt))
    assert with_cache == without
    assert graphed.cache.stats.reused_tokens > 0


def test_speculation_on_cuda_is_identical(tiny_dir: Path) -> None:
    speculative, plain = _engine(tiny_dir, graphs=True, speculative=True), _engine(tiny_dir, graphs=True)
    few = {speculative.tokenize(t)[0]: 50.0 for t in (" a", " b", " c")}
    for prompt, extra in ((CODE * 4, {}), ("a b c a b c", {"logit_bias": few})):
        assert _text(speculative, prompt, 40, **extra) == _text(plain, prompt, 40, **extra)
    assert speculative.draft_accepted > 0
