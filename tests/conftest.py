"""Fixtures every test folder may use: the fetched default model and the tiny engine built on it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ALIAS = "qwen2.5-coder-0.5b"


@pytest.fixture(scope="session")
def fetched_model_dir() -> Path:
    """The converted default model (`daima model fetch`, which `make test` runs first)."""
    from daima.model.fetch import is_complete, model_dir

    if not is_complete(ALIAS):
        pytest.skip(f"the Qwen tokenizer is not available: run `daima model fetch {ALIAS}` first")
    return model_dir(ALIAS)


@pytest.fixture(scope="session")
def tiny_engine(fetched_model_dir: Path) -> Any:
    """The model team's LocalEngine over a tiny random-weight Qwen2 with the real tokenizer."""
    from daima.model.testing import tiny_engine as make

    return make()
