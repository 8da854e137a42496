"""Shared fixtures for completion tests: an engine with the real Qwen2.5-Coder tokenizer.

Prompt building only needs `Engine.tokenize/detokenize/info`, so `qwen_engine` is a tokenizer-only
engine (generation raises). The tokenizer comes from the fetched model (`daima model fetch`, which
`make test` runs first) or, failing that, from the GGUF beside the team notes; without either the tests
that need it skip and say why.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from daima.model.api import CancelToken, EngineInfo, GenerationRequest, TextStream

ALIAS = "qwen2.5-coder-0.5b"
_GGUF = Path(os.environ.get("DAIMA_TEST_GGUF", "/tmp/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"))


class TokenizerEngine:
    """An Engine with a real tokenizer and no model: enough for prompt building."""

    def __init__(self, tokenizer: Any, name: str = ALIAS, context_length: int = 32768) -> None:
        self._tokenizer = tokenizer
        self._info = EngineInfo(
            name=name,
            model_type="qwen2",
            context_length=context_length,
            special_tokens=frozenset(tokenizer.get_added_vocab()),
        )
        self.tokenize_calls = 0

    @property
    def info(self) -> EngineInfo:
        return self._info

    def with_context_length(self, context_length: int) -> TokenizerEngine:
        """A copy that reports a different context length (for budget tests)."""
        return TokenizerEngine(self._tokenizer, self._info.name, context_length)

    def tokenize(self, text: str) -> list[int]:
        self.tokenize_calls += 1
        return list(self._tokenizer.encode(text, add_special_tokens=False))

    def detokenize(self, ids: Sequence[int]) -> str:
        return str(self._tokenizer.decode(list(ids)))

    def stream(self, request: GenerationRequest, cancel: CancelToken | None = None) -> TextStream:
        raise NotImplementedError("a tokenizer-only engine does not generate")


def _load_tokenizer() -> Any:
    transformers = pytest.importorskip("transformers")
    try:
        from daima.model.fetch import is_complete, model_dir

        if is_complete(ALIAS):
            return transformers.AutoTokenizer.from_pretrained(str(model_dir(ALIAS)))
    except ImportError:
        pass
    if _GGUF.is_file():
        return transformers.AutoTokenizer.from_pretrained(str(_GGUF.parent), gguf_file=_GGUF.name)
    pytest.skip(f"the Qwen tokenizer is not available: run `daima model fetch {ALIAS}` first")


@pytest.fixture(scope="session")
def qwen_tokenizer() -> Any:
    """The real Qwen2.5-Coder tokenizer."""
    return _load_tokenizer()


@pytest.fixture(scope="session")
def qwen_engine(qwen_tokenizer: Any) -> TokenizerEngine:
    """A tokenizer-only engine with the real Qwen2.5-Coder vocabulary."""
    return TokenizerEngine(qwen_tokenizer)
