"""Shared fixtures for completion tests: engines with the real Qwen2.5-Coder tokenizer.

Prompt building only needs `Engine.tokenize/detokenize/info`, so most tests use `qwen_engine`, an engine
over the real tokenizer file of the fetched 0.5B model (`daima model fetch`, which `make test` runs
first) without its weights: it loads in a second or two. `tiny_engine` is the model team's real
LocalEngine (tiny random weights, same tokenizer) for the tests that must go through a real engine.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from daima.completion.names import candidate_table, name_scope
from daima.completion.syntax import SpliceChecker
from daima.config import IndexOptions
from daima.indexer import WorkspaceIndex
from daima.model.api import CancelToken, EngineInfo, GenerationRequest, TextStream

ALIAS = "qwen2.5-coder-0.5b"


@dataclass(frozen=True)
class SplicedCase:
    """A check case's completion spliced into its document: the tree, the completion's byte range and
    the scope table around it, as the pipeline's rules get them."""

    tree: Any
    start_byte: int
    end_byte: int
    scopes: Any


def _splice_marked(document: str) -> SplicedCase:
    """Splice the text between ⟦ and ⟧ into the rest of `document`, as the pipeline's checks see it."""
    start, end = document.index("⟦"), document.index("⟧")
    completion = document[start + 1 : end]
    checker = SpliceChecker(document[:start] + document[end + 1 :], start, start, "python")
    assert checker.parses(completion), f"the case's completion must parse: {completion!r}"
    end_byte = checker.hole_byte + len(completion.encode("utf-8"))
    line_before = document[document.rfind("\n", 0, start) + 1 : start]
    scopes = candidate_table(name_scope(checker, "python"), checker, completion, line_before)
    return SplicedCase(checker.spliced_tree(completion), checker.hole_byte, end_byte, scopes)


@pytest.fixture(scope="session")
def splice_marked() -> Callable[[str], SplicedCase]:
    """For data-driven check tests: a document with its completion marked ⟦like this⟧, spliced."""
    return _splice_marked


class TokenizerEngine:
    """An Engine with a real tokenizer and no model: enough for prompt building."""

    def __init__(self, tokenizer: Any, name: str = ALIAS, context_length: int = 32768) -> None:
        self._tokenizer = tokenizer
        special = {token.content for token in tokenizer.get_added_tokens_decoder().values() if token.special}
        self._info = EngineInfo(
            name=name, model_type="qwen2", context_length=context_length, special_tokens=frozenset(special)
        )

    @property
    def info(self) -> EngineInfo:
        return self._info

    def with_context_length(self, context_length: int) -> TokenizerEngine:
        """A copy that reports a different context length (for budget tests)."""
        return TokenizerEngine(self._tokenizer, self._info.name, context_length)

    def tokenize(self, text: str) -> list[int]:
        return list(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def detokenize(self, ids: Sequence[int]) -> str:
        return str(self._tokenizer.decode(list(ids), skip_special_tokens=False))

    def stream(self, request: GenerationRequest, cancel: CancelToken | None = None) -> TextStream:
        raise NotImplementedError("a tokenizer-only engine does not generate")


@pytest.fixture(scope="session")
def qwen_engine(fetched_model_dir: Path) -> TokenizerEngine:
    """A tokenizer-only engine with the real Qwen2.5-Coder vocabulary (tokenizer.json of the 0.5B)."""
    tokenizers = pytest.importorskip("tokenizers")
    return TokenizerEngine(tokenizers.Tokenizer.from_file(str(fetched_model_dir / "tokenizer.json")))


WORKSPACE = Path(__file__).parents[1] / "data" / "prompt" / "workspace"


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkspaceIndex]:
    """A real, indexed copy of tests/data/prompt/workspace (Chinese file names and identifiers)."""
    root = tmp_path_factory.mktemp("ws") / "商店项目"
    shutil.copytree(WORKSPACE, root)
    index = WorkspaceIndex.open(root, IndexOptions(watch=False), db_path=root.parent / "index.sqlite")
    index.index_all()
    yield index
    index.close()


@pytest.fixture(scope="session")
def real_engine(fetched_model_dir: Path) -> Any:
    """The real Qwen2.5-Coder-0.5B on CPU (for @pytest.mark.slow tests; loaded once per session)."""
    from daima.config import ModelOptions
    from daima.model.loader import load_engine

    return load_engine(ModelOptions(name=ALIAS, device="cpu"))
