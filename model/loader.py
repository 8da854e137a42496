"""`load_engine(options)`: resolve a model name to weights, pick device and dtype, build the engine.

Names: a built-in alias (fetched on first use), a checkpoint name (checkpoints.json: a hub id by a
short name), a local model directory, a local `.gguf` file, a Hugging Face model id (hub cache;
`HF_ENDPOINT` is honoured by huggingface_hub), or "auto" (the 0.5B alias on CPU, the 1.5B alias on
CUDA). With `remote_url` set the remote OpenAI-compatible engine is returned instead.
Every failure is an `EngineError` with one sentence the editor can show.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from daima.model.api import Engine, EngineError, error_line

if TYPE_CHECKING:
    from daima.config import ModelOptions

log = logging.getLogger(__name__)

# Below this a prompt has too little room for code worth completing next to its suggestion.
MIN_CONTEXT_TOKENS = 256

_DTYPES = {"float32": "float32", "fp32": "float32", "bfloat16": "bfloat16", "bf16": "bfloat16"}
_DTYPES |= {"float16": "float16", "fp16": "float16", "half": "float16"}


def pick_device(device: str) -> str:
    """'auto' → 'cuda' when CUDA is available, else 'cpu'; anything else is checked and returned."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise EngineError(f"device '{device}' was requested but this torch build or machine has no CUDA")
    return device


def pick_dtype(dtype: str, device: str) -> Any:
    """'auto' → bfloat16 on CUDA, float32 elsewhere; a named dtype otherwise."""
    import torch

    if dtype == "auto":
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    if dtype not in _DTYPES:
        raise EngineError(f"unknown dtype '{dtype}' (use auto, float32, bfloat16 or float16)")
    return getattr(torch, _DTYPES[dtype])


def pick_quantized(quantize: str, device: str) -> str:
    """How the local engine holds its matrices: "int8" for model.quantize 'int8', or 'auto' on a CPU whose
    torch build has the kernel; "int4" for 'int4' (4-bit groups in the decoder layers, the output head
    int8); "" for the weights as loaded. int8 and int4 run on a CPU only."""
    from daima.model.linear import int4_kernel_available, int8_kernel_available

    if quantize == "none":
        return ""
    if quantize == "auto":
        return "int8" if device == "cpu" and int8_kernel_available() else ""
    if quantize not in ("int8", "int4"):
        raise EngineError(f"unknown model.quantize '{quantize}' (use auto, none, int8 or int4)")
    if device != "cpu":
        raise EngineError(f"model.quantize '{quantize}' runs on the CPU only, and the device is '{device}'")
    if not int8_kernel_available():
        raise EngineError(f"model.quantize is '{quantize}' but this torch build has no CPU int8 kernel")
    if quantize == "int4" and not int4_kernel_available():
        raise EngineError("model.quantize is 'int4' but this torch build has no CPU int4 kernel")
    return quantize


CPU_CACHE_BUDGET_MB = 512
GPU_CACHE_BUDGET_MB = 2048


def pick_cache_budget(budget_mb: int, device: str) -> int:
    """The prefix cache's memory budget: as configured, or by device for 0. The soak bench showed why a
    CPU's is smaller: at 2048 MB the cache was still growing after an hour of typing, past 3.8 GB of RSS."""
    if budget_mb < 0:
        raise EngineError(f"model.cacheBudgetMb is {budget_mb}; use 0 (by device) or a size in MB")
    if budget_mb:
        return budget_mb
    return GPU_CACHE_BUDGET_MB if device.startswith("cuda") else CPU_CACHE_BUDGET_MB


def resolve_name(name: str, device: str) -> str:
    """The concrete model name behind 'auto'."""
    if name in ("", "auto"):
        return "qwen2.5-coder-1.5b" if device.startswith("cuda") else "qwen2.5-coder-0.5b"
    return name


def load_engine(options: ModelOptions, on_stage: Callable[[str], None] | None = None) -> Engine:
    """Build the engine the options describe (local or remote); raises EngineError on failure.
    `on_stage` hears each step (download, conversion, loading, preparing), for an editor's progress."""
    stage = on_stage or (lambda message: None)
    if options.remote_url:
        from daima.model.remote import RemoteEngine

        return RemoteEngine(options)
    if options.name == "none":
        raise EngineError("no model is configured (model.name is 'none')")
    if options.context_tokens < MIN_CONTEXT_TOKENS:
        raise EngineError(
            f"model.contextTokens is {options.context_tokens}; it must be at least {MIN_CONTEXT_TOKENS}"
        )
    from daima.model.memory import out_of_memory
    from daima.model.worker import built_on_worker

    try:
        # Built on the thread that will run its generations (worker.py says why that almost doubles the
        # decode speed on a small CPU).
        return built_on_worker(lambda worker: _build_local(options, stage, worker))
    except Exception as error:
        if not out_of_memory(error):
            raise
        cause = error.__cause__ if isinstance(error, EngineError) and error.__cause__ else error
        raise EngineError(
            f"not enough memory to load the model '{resolve_name(options.name, 'cpu')}' "
            f"({error_line(cause)}); close other programs, or choose a smaller model or "
            "model.quantize 'int4'"
        ) from error


def _build_local(options: ModelOptions, stage: Callable[[str], None], worker: Any) -> Engine:
    device = pick_device(options.device)
    dtype = pick_dtype(options.dtype, device)
    name = resolve_name(options.name, device)
    quantized = pick_quantized(options.quantize, device)
    int8 = quantized != ""  # int4 keeps the built-in models' matrices packed as int8 does
    began = time.monotonic()
    model, tokenizer, packed = load_weights(name, device, dtype, stage, int8=int8)
    from daima.model.engine import LocalEngine
    from daima.model.transformer import context_limit

    max_seq_len = min(options.context_tokens, context_limit(model.config))
    stage(f"preparing the engine on {device}")
    try:
        engine = LocalEngine(
            model,
            tokenizer,
            name=name,
            max_seq_len=max_seq_len,
            cache_budget_mb=pick_cache_budget(options.cache_budget_mb, device),
            use_graphs=options.compile and device.startswith("cuda"),
            speculative=options.speculative,
            int8=int8,
            int4=quantized == "int4",
            packed=packed,
            worker=worker,
        )
    except RuntimeError as error:
        if isinstance(error, EngineError):
            raise
        raise EngineError(
            f"the model '{name}' loaded but could not be prepared on {device}: {error}"
        ) from error
    weights = "int8 weights" if int8 else str(dtype).removeprefix("torch.")
    log.info("loaded %s on %s (%s) in %.1f s", name, device, weights, time.monotonic() - began)
    return engine


class Loaded(NamedTuple):
    model: Any  # the HF causal LM
    tokenizer: Any
    packed: dict[str, Any]  # matrices left as GGUF codes (packed.PackedMatrix) by parameter name


def load_weights(
    name: str, device: str, dtype: Any, on_stage: Callable[[str], None] | None = None, *, int8: bool = False
) -> Loaded:
    """The model and tokenizer for an alias, directory, .gguf file or hub id, on `device` in `dtype`.

    With `int8` a built-in model's matrices stay packed: the model holds placeholders that take no
    memory, and the engine quantises each matrix from its codes (`DecoderLM`)."""
    stage = on_stage or (lambda message: None)
    from daima.model.checkpoints import checkpoints
    from daima.model.fetch import PACKED, aliases, ensure_model

    path = Path(name).expanduser()
    gguf_file: str | None = None
    if name in aliases():
        source: str | Path = ensure_model(name, on_stage=stage)
    elif path.suffix == ".gguf":
        if not path.is_file():
            raise EngineError(f"the GGUF file {path} does not exist")
        source, gguf_file = path.parent, path.name
    elif path.is_dir():
        if not (path / "config.json").is_file():
            raise EngineError(f"{path} is not a model directory (it has no config.json)")
        source = path
    elif path.exists() or name.startswith((".", "/", "~")):
        raise EngineError(f"{path} is neither a model directory nor a .gguf file")
    elif name in checkpoints():
        source = checkpoints()[name].hub  # from_pretrained uses the hub cache and HF_ENDPOINT
    elif "/" not in name:
        # Every hub id is owner/name: a bare word is a typo of an alias, and asking the hub for it would
        # only wait through its retries before failing.
        known = ", ".join(sorted({*aliases(), *checkpoints()}))
        raise EngineError(f"unknown model '{name}': not an alias ({known}), a path or a hub id (owner/name)")
    else:
        source = name  # a hub id; from_pretrained uses the hub cache and HF_ENDPOINT
    stage(f"loading the weights of {name}")
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        extra = {"gguf_file": gguf_file} if gguf_file else {}
        tokenizer: Any = AutoTokenizer.from_pretrained(source, **extra)
        packed: dict[str, Any] = {}
        if isinstance(source, Path) and (source / PACKED).is_file():
            model, packed = _from_packed(source, dtype, keep_packed=int8)
        else:
            model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype, **extra)
    except EngineError:
        raise
    except OSError as error:
        raise EngineError(
            f"could not load model '{name}'{_from(source, name)}: {error_line(error)}"
        ) from error
    except (ValueError, KeyError, ImportError) as error:
        raise EngineError(f"could not load model '{name}': {error_line(error)}") from error
    try:
        model = model.to(device=device, dtype=dtype)
        model.eval()
    except RuntimeError as error:
        raise EngineError(f"could not move model '{name}' to {device}: {error_line(error)}") from error
    return Loaded(model, tokenizer, packed)


def _from_packed(directory: Path, dtype: Any, keep_packed: bool) -> tuple[Any, dict[str, Any]]:
    """A converted built-in model: its fp32 weights rebuilt from codes and scales (fetch.load_packed),
    or with `keep_packed` placeholders for the packed matrices, returned beside it."""
    from transformers import AutoConfig
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING
    from transformers.utils import logging as transformers_logging

    from daima.model.fetch import load_packed, load_packed_matrices

    config = AutoConfig.from_pretrained(directory)
    model_class: Any = MODEL_FOR_CAUSAL_LM_MAPPING[type(config)]
    state, packed = load_packed_matrices(directory) if keep_packed else (load_packed(directory), {})
    # The weights are in memory already: transformers' "Loading weights" bar would only clutter the
    # terminal of `daima complete`.
    shown = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        model = model_class.from_pretrained(None, config=config, state_dict=state, dtype=dtype)
    finally:
        if shown:
            transformers_logging.enable_progress_bar()
    return model, packed


def _from(source: str | Path, name: str) -> str:
    """' from HUB_ID' when a checkpoint name stood for a hub id, so the error names both."""
    return f" from {source}" if isinstance(source, str) and source != name else ""
