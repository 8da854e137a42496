"""Test helpers other teams may use: a tiny random-weight Qwen2 model with the real Qwen tokenizer.

The tiny model produces nonsense but is deterministic and loads in well under a second, so tests of
anything that streams from an engine run fast on CPU. Its vocabulary and tokenizer are the real 0.5B's
(fetched with `ensure_model`), so token ids, special tokens and UTF-8 splits are the real ones.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja")
REAL_ALIAS = "qwen2.5-coder-0.5b"


def tiny_model_dir(directory: Path | str, *, seed: int = 0, layers: int = 2, hidden: int = 64) -> Path:
    """Write a tiny random-weight Qwen2 model (real Qwen tokenizer) into `directory`; returns it."""
    import torch
    from safetensors.torch import save_file
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from daima.model.fetch import ensure_model

    directory = Path(directory)
    if (directory / "config.json").is_file():
        return directory
    source = ensure_model(REAL_ALIAS)
    directory.mkdir(parents=True, exist_ok=True)
    for name in TOKENIZER_FILES:
        if (source / name).is_file():
            shutil.copy(source / name, directory / name)
    config = Qwen2Config(
        vocab_size=151936,
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        bos_token_id=151643,
        eos_token_id=151645,
        # A larger init spreads the logits so greedy output varies from token to token.
        initializer_range=0.2,
    )
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    state = {k: v.contiguous() for k, v in model.state_dict().items() if k != "lm_head.weight"}
    save_file(state, str(directory / "model.safetensors"), metadata={"format": "pt"})
    config.architectures = ["Qwen2ForCausalLM"]
    config.save_pretrained(directory)
    return directory


_TINY_DIR: Path | None = None


def tiny_engine(**options: Any) -> Any:
    """A LocalEngine over the tiny model on CPU (the model directory is made once per process)."""
    global _TINY_DIR
    from daima.config import ModelOptions
    from daima.model.loader import load_engine

    if _TINY_DIR is None:
        scratch = tempfile.mkdtemp(prefix="daima-tiny-")
        atexit.register(shutil.rmtree, scratch, ignore_errors=True)
        _TINY_DIR = tiny_model_dir(Path(scratch) / "tiny")
    settings = {"device": "cpu", "dtype": "float32", "quantize": "none", **options}
    return load_engine(ModelOptions(name=str(_TINY_DIR), **settings))


def random_engine(
    shape: str,
    tokenizer_dir: Path | str,
    *,
    device: str = "cpu",
    dtype: str = "auto",
    graphs: bool = True,
    speculative: bool = False,
    max_seq_len: int = 8192,
    cache_budget_mb: int = 2048,
) -> Any:
    """A LocalEngine over random weights of a real shape (`shapes.json`), for latency benchmarks,
    built on the worker thread that runs its generations (as `load_engine` builds one)."""
    from daima.model.worker import built_on_worker

    return built_on_worker(
        lambda worker: _random_engine(
            shape, tokenizer_dir, device, dtype, graphs, speculative, max_seq_len, cache_budget_mb, worker
        )
    )


def _random_engine(
    shape: str,
    tokenizer_dir: Path | str,
    device: str,
    dtype: str,
    graphs: bool,
    speculative: bool,
    max_seq_len: int,
    cache_budget_mb: int,
    worker: Any,
) -> Any:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    from daima.model.checkpoints import shapes
    from daima.model.engine import LocalEngine
    from daima.model.loader import pick_dtype

    fields = dict(shapes()[shape])
    config = AutoConfig.for_model(
        fields.pop("model_type", "qwen2"),
        **fields,
        max_position_embeddings=32768,
        bos_token_id=151643,
        eos_token_id=151645,
    )
    torch_dtype = pick_dtype(dtype, device)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch_dtype)
    try:
        with torch.device(device):
            torch.manual_seed(0)
            model = AutoModelForCausalLM.from_config(config).eval()
    finally:
        torch.set_default_dtype(previous)
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    return LocalEngine(
        model,
        tokenizer,
        name=f"{shape} (random weights)",
        max_seq_len=max_seq_len,
        cache_budget_mb=cache_budget_mb,
        use_graphs=graphs and device.startswith("cuda"),
        speculative=speculative,
        worker=worker,
    )
