"""load_engine: name resolution, device and dtype choice, and one clear sentence for every failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from daima.config import ModelOptions
from daima.model.api import EngineError
from daima.model.loader import load_engine, pick_device, pick_dtype, resolve_name


def test_auto_picks_the_small_model_on_cpu_and_the_larger_on_cuda() -> None:
    assert resolve_name("auto", "cpu") == "qwen2.5-coder-0.5b"
    assert resolve_name("auto", "cuda") == "qwen2.5-coder-1.5b"
    assert resolve_name("/some/dir", "cuda") == "/some/dir"
    assert pick_dtype("auto", "cpu") == torch.float32
    assert pick_dtype("auto", "cuda:0") == torch.bfloat16
    assert pick_dtype("fp16", "cpu") == torch.float16


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (ModelOptions(name="/nonexistent/model/dir"), "neither a model directory nor a .gguf file"),
        (ModelOptions(name="/nonexistent/weights.gguf"), "does not exist"),
        (ModelOptions(name="none"), "no model is configured"),
        (ModelOptions(name="auto", dtype="int3"), "unknown dtype"),
        (ModelOptions(name="auto", context_tokens=16), "contextTokens is 16; it must be at least 256"),
        # A typo of an alias fails at once, naming the aliases (not after the hub's retries).
        (
            ModelOptions(name="qwen2.5-coder-05b"),
            r"unknown model 'qwen2\.5-coder-05b': not an alias \(.*qwen2\.5-coder-0\.5b",
        ),
    ],
)
def test_failures_are_one_clear_sentence(options: ModelOptions, message: str) -> None:
    with pytest.raises(EngineError, match=message) as caught:
        load_engine(options)
    assert "\n" not in str(caught.value)


def test_a_directory_without_config_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match=r"has no config\.json"):
        load_engine(ModelOptions(name=str(tmp_path), device="cpu"))


def test_a_hub_id_that_cannot_be_fetched_fails_cleanly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    with pytest.raises(EngineError, match="could not load model 'nobody/no-such-model'"):
        load_engine(ModelOptions(name="nobody/no-such-model", device="cpu"))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_cuda_requested_without_cuda() -> None:
    with pytest.raises(EngineError, match="has no CUDA"):
        pick_device("cuda")


def test_the_tiny_directory_loads_as_a_local_engine(tiny_engine: Any) -> None:
    assert tiny_engine.info.model_type == "qwen2"
    assert tiny_engine.lm.dtype == torch.float32 and tiny_engine.graphs is None  # eager on CPU


def test_context_tokens_sizes_the_engine_and_the_prompt_fits_it(tiny_dir: Path) -> None:
    from daima.completion.prompt import build_prompt
    from daima.config import CompletionOptions
    from daima.model.api import GenerationRequest
    from daima.text import TextDocument

    engine: Any = load_engine(ModelOptions(name=str(tiny_dir), device="cpu", context_tokens=300))
    try:
        assert engine.info.context_length == 300 and engine.lm.k_cache.shape[2] == 300
        text = "def 函数(参数):\n    return 参数 + 1\n" * 400
        document = TextDocument("file:///long.py", text, language_id="python")
        options = CompletionOptions(prompt_tokens=4096, max_tokens=16)
        prompt = build_prompt(document, len(text) // 2, engine=engine, options=options, language_id="python")
        assert 200 < len(prompt.token_ids) <= 300 - 16 - 1
        stream = engine.stream(GenerationRequest(prompt=list(prompt.token_ids), max_tokens=16))
        stream.text()
        assert stream.stats.prompt_tokens == len(prompt.token_ids) and stream.stats.finish_reason
    finally:
        engine.close()


def test_remote_url_selects_the_remote_engine() -> None:
    pytest.importorskip("daima.model.remote", reason="the remote engine is another module's")
    engine = load_engine(ModelOptions(remote_url="http://127.0.0.1:9", remote_timeout_ms=200))
    assert type(engine).__name__ == "RemoteEngine"


def test_the_engine_is_built_on_the_thread_that_runs_its_generations(monkeypatch: pytest.MonkeyPatch) -> None:
    # One thread must do all of the model's work: a second thread that ran torch ops (the loading
    # thread) keeps its own OpenMP team, and beside it every decode step ran 1.7x slower (worker.py).
    import threading

    import daima.model.engine as engine_module
    from daima.model.testing import tiny_engine

    threads: dict[str, threading.Thread] = {}
    build = engine_module.DecoderLM

    def recording(*args: Any, **kwargs: Any) -> Any:
        threads["model"] = threading.current_thread()
        return build(*args, **kwargs)

    monkeypatch.setattr(engine_module, "DecoderLM", recording)
    engine = tiny_engine()
    try:
        ran_on = engine.worker.call(threading.current_thread)
        assert threads["model"] is ran_on
        assert ran_on is not threading.current_thread()
    finally:
        engine.close()


def test_a_failed_build_stops_its_worker_thread(tmp_path: Path) -> None:
    import threading

    (tmp_path / "config.json").write_text('{"model_type": "qwen2"}', encoding="utf-8")
    before = {thread for thread in threading.enumerate() if thread.name == "daima-engine"}
    with pytest.raises(EngineError):
        load_engine(ModelOptions(name=str(tmp_path), device="cpu"))
    after = {thread for thread in threading.enumerate() if thread.name == "daima-engine"}
    assert after <= before


def test_the_prefix_cache_budget_is_smaller_on_a_cpu_unless_set() -> None:
    from daima.model.loader import pick_cache_budget

    assert pick_cache_budget(0, "cpu") == 512 and pick_cache_budget(0, "cuda:0") == 2048
    assert pick_cache_budget(3000, "cpu") == 3000
    with pytest.raises(EngineError, match="cacheBudgetMb is -1"):
        pick_cache_budget(-1, "cpu")
