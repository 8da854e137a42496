"""Engine fixtures: a tiny random-weight Qwen2 model with the real tokenizer, and the real 0.5B."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Qwen2 model directory (random weights, real Qwen tokenizer)."""
    from daima.model.testing import tiny_model_dir

    return tiny_model_dir(tmp_path_factory.mktemp("tiny") / "tiny")


@pytest.fixture(scope="session")
def tiny_engine(tiny_dir: Path) -> Iterator[Any]:
    """A LocalEngine over the tiny model on CPU, shared by the session (clear its cache if it matters)."""
    from daima.config import ModelOptions
    from daima.model.loader import load_engine

    engine: Any = load_engine(
        ModelOptions(name=str(tiny_dir), device="cpu", dtype="float32", quantize="none")
    )
    yield engine
    engine.close()


@pytest.fixture
def engine_like(tiny_engine: Any) -> Any:
    """Build another LocalEngine over the tiny model's weights with different settings."""
    from daima.model.engine import LocalEngine

    made: list[Any] = []

    def build(**settings: Any) -> Any:
        engine = LocalEngine(tiny_engine.lm.hf, tiny_engine.tokenizer, name="tiny", **settings)
        made.append(engine)
        return engine

    yield build
    for engine in made:
        engine.close()


@pytest.fixture(scope="session")
def real_engine() -> Iterator[Any]:
    """The real Qwen2.5-Coder-0.5B-Instruct on CPU (fetched and converted on first use)."""
    from daima.config import ModelOptions
    from daima.model.fetch import ensure_model
    from daima.model.loader import load_engine

    ensure_model("qwen2.5-coder-0.5b")
    # The float weights: these tests hold the engine's own paths (cache, speculation) to the float
    # forward, and build more engines over the same weights (int8 frees them).
    engine: Any = load_engine(ModelOptions(name="qwen2.5-coder-0.5b", device="cpu", quantize="none"))
    yield engine
    engine.close()
