"""The real Qwen2.5-Coder-0.5B on CPU: cache identity and a sensible fill-in-the-middle answer."""

from __future__ import annotations

from typing import Any

import pytest

from daima.model.api import GenerationRequest

pytestmark = pytest.mark.slow

FIM_STOPS = (
    "<|endoftext|>",
    "<|fim_pad|>",
    "<|file_sep|>",
    "<|fim_prefix|>",
    "<|fim_suffix|>",
    "<|fim_middle|>",
)


def _fim(engine: Any, prefix: str, suffix: str, tokens: int = 8) -> tuple[str, Any]:
    stop_ids = tuple(engine.tokenize(s)[0] for s in FIM_STOPS)
    prompt = f"<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>"
    stream = engine.stream(GenerationRequest(prompt=prompt, max_tokens=tokens, stop_token_ids=stop_ids))
    return stream.text(), stream.stats


def test_real_model_output_with_the_cache_is_identical_and_sensible(real_engine: Any) -> None:
    prefix = "def add(a, b):\n    "
    suffix = "\n\nprint(add(1, 2))"
    real_engine.clear_cache()
    first, _ = _fim(real_engine, prefix, suffix)
    assert first.startswith("return a + b")
    typed = [_fim(real_engine, prefix + "re"[:n], suffix) for n in (1, 2)]
    again, stats = _fim(real_engine, prefix, suffix)
    assert stats.cached_tokens >= stats.prompt_tokens - 8  # only the tail after the cursor was recomputed
    assert again == first
    for n, (text, _) in zip((1, 2), typed, strict=True):
        real_engine.clear_cache()
        assert _fim(real_engine, prefix + "re"[:n], suffix)[0] == text


def test_real_model_speculation_is_identical(real_engine: Any) -> None:
    from daima.model.engine import LocalEngine

    speculative = LocalEngine(real_engine.lm.hf, real_engine.tokenizer, name="spec", speculative=True)
    try:
        code = "def f(x):\n    return x + 1\n\n\ndef g(x):\n    return x + 2\n\n\ndef h(x):\n"
        plain = real_engine.stream(GenerationRequest(prompt=code, max_tokens=12)).text()
        fast = speculative.stream(GenerationRequest(prompt=code, max_tokens=12)).text()
        assert fast == plain
        assert speculative.draft_accepted > 0
    finally:
        speculative.close()


def test_a_local_gguf_file_loads_and_completes() -> None:
    """The `.gguf` source: the same verified 0.5B file llama.cpp serves in the remote tests, loaded
    (dequantized) by the local engine, answers like the converted weights."""
    from remote_servers import gguf_path

    from daima.config import ModelOptions
    from daima.model.loader import load_engine

    engine: Any = load_engine(ModelOptions(name=str(gguf_path()), device="cpu", dtype="float32"))
    try:
        assert engine.info.name.endswith(".gguf")
        text, _ = _fim(engine, "def add(a, b):\n    ", "\n\nprint(add(1, 2))")
        assert text.startswith("return a + b")
    finally:
        engine.close()
