"""daima's options: nested keyword-only dataclasses with defaults, read from camelCase JSON.

Each option is documented once, here; the VS Code `package.json` and the Neovim defaults table mirror
these names (camelCase on the wire, snake_case in Python). Reading never raises: invalid input yields
the defaults for the parts that were wrong, plus a list of readable problems for the caller to show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any, Literal, get_type_hints

import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override


@dataclass(kw_only=True)
class ModelOptions:
    """Which model generates completions, and where."""

    # A built-in alias ("qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"), a local model directory, a .gguf
    # file, a Hugging Face model id, "auto" (0.5B on CPU, 1.5B on a GPU) or "none" (no model:
    # identifier completion from the document and the index only).
    name: str = "auto"
    device: str = "auto"  # "auto", "cpu", "cuda", "cuda:1", ...
    dtype: str = "auto"  # "auto" (bf16 on CUDA, fp32 on CPU), "float32", "bfloat16", "float16"
    # Weight-only int8 matrices for the local engine on a CPU (model/linear.py): "auto" (int8 on a CPU
    # whose torch has the kernel, the weights as loaded on a GPU), "int8", or "none" (the weights as
    # loaded). int8 decodes about three times faster than fp32 on a 2-core CPU with a quarter of the
    # weight memory; greedy output is close to the float forward's, not identical, and a cached prefix
    # may decode differently from a fresh one.
    quantize: str = "auto"
    # Base URL of an OpenAI-compatible server (vLLM, SGLang, llama.cpp): used instead of a local model.
    remote_url: str = ""
    remote_model: str = ""  # model name sent to the remote server
    remote_api_key_env: str = "DAIMA_API_KEY"  # environment variable holding the remote API key
    remote_timeout_ms: int = 10000
    # Local tokenizer (model directory or .gguf file) for a remote server without /tokenize endpoints.
    remote_tokenizer: str = ""
    # Memory the KV prefix cache may keep; 0: 512 MB on a CPU (beside a laptop's other programs; about ten
    # files' prompts of the 0.5B model), 2048 MB on a GPU.
    cache_budget_mb: int = 0
    # Longest sequence (prompt + suggestion) the local engine holds: the size of its KV buffer, capped
    # by the model's own limit. Lower it to save GPU memory; the prompt budget is cut to fit.
    context_tokens: int = 8192
    compile: bool = True  # CUDA graphs for decode on CUDA; ignored on CPU
    speculative: bool = False  # prompt-lookup speculative decoding (identical output)


@dataclass(kw_only=True)
class CompletionOptions:
    """How prompts are built and suggestions shaped."""

    enabled: bool = True
    # FIM template family: qwen, deepseek, starcoder2, codellama, codegemma, codestral (see
    # completion/templates.json); "auto" matches the model by its special tokens, name and model type.
    template: str = "auto"
    max_tokens: int = 64
    max_lines: int = 8  # line cap in block mode
    # Further generations (sharing the cached prompt) tried when the greedy one reads names that do not
    # exist or breaks the file's syntax; 0 keeps only the greedy one.
    extra_candidates: int = 2
    max_time_ms: int = 2000  # deadline for one suggestion
    prompt_tokens: int = 2048  # exact token budget for prefix + suffix + cross-file context
    suffix_share: float = 0.25
    # Share of the deadline the suffix may take to prefill at the engine's measured speed: every keystroke
    # recomputes the suffix, so on a slow device it is cut to fit (completion/budget.py); 0 = no cap.
    suffix_time_share: float = 0.1
    context_share: float = 0.25  # share of the budget for cross-file context from the index
    debounce_ms: int = 75  # used by clients; the server also drops requests superseded sooner
    disabled_languages: list[str] = field(default_factory=list)
    # Show the model identifiers written in Chinese under English dictionary names (completion/readings.py)
    # and map its answer back: small models pick the right existing name more often in English.
    english_reading: bool = True
    # Model time for one next-edit request's pattern edits (nextedit/pattern.py): a place takes about a
    # second of a 2-core CPU's prefill, milliseconds on a GPU; the places decided by then are proposed.
    # 0 = no limit.
    next_edit_time_ms: int = 8000


@dataclass(kw_only=True)
class IndexOptions:
    """What the workspace index covers."""

    enabled: bool = True
    max_file_kb: int = 1024
    exclude: list[str] = field(default_factory=list)  # extra gitignore-style patterns
    watch: bool = True  # watch the disk for changes made outside the editor
    # Encodings tried, in order, for a file without a BOM or a Python coding cookie; one is taken only
    # when its text encodes back to the file's very bytes (GBK files of older Chinese code bases).
    encodings: list[str] = field(default_factory=lambda: ["utf-8", "gb18030"])


@dataclass(kw_only=True)
class Options:
    """All of daima's options (LSP initializationOptions / didChangeConfiguration `daima` section)."""

    model: ModelOptions = field(default_factory=ModelOptions)
    completion: CompletionOptions = field(default_factory=CompletionOptions)
    index: IndexOptions = field(default_factory=IndexOptions)
    log_level: Literal["debug", "info", "warning", "error"] = "info"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True)
    for cls in (ModelOptions, CompletionOptions, IndexOptions, Options):
        renames = {f.name: override(rename=_camel(f.name)) for f in fields(cls)}
        converter.register_structure_hook(cls, make_dict_structure_fn(cls, converter, **renames))  # type: ignore[arg-type]
        converter.register_unstructure_hook(cls, make_dict_unstructure_fn(cls, converter, **renames))  # type: ignore[arg-type]
    return converter


_CONVERTER = _converter()


def options_to_json(options: Options) -> dict[str, Any]:
    """Options as camelCase JSON, as clients send them."""
    return _CONVERTER.unstructure(options)


def parse_options(raw: Any, base: Options | None = None) -> tuple[Options, list[str]]:
    """Read options from client JSON; never raises.

    Each section is read on its own, so a bad value in one section keeps the others. Returns the
    options and the problems found (empty when everything was valid).
    """
    base = base or Options()
    if raw is None:
        return base, []
    if not isinstance(raw, dict):
        return base, [f"daima options must be an object, got {type(raw).__name__}"]
    problems: list[str] = []
    result = base
    hints = get_type_hints(Options)
    for key, value in raw.items():
        name = _snake(key)
        if name not in hints:
            problems.append(f"unknown option '{key}'")
            continue
        cls = hints[name]
        current = getattr(base, name)
        try:
            if is_dataclass(cls) and isinstance(cls, type):
                if not isinstance(value, dict):
                    raise TypeError(f"expected an object, got {type(value).__name__}")
                merged = {**_CONVERTER.unstructure(current), **value}
                parsed = _CONVERTER.structure(merged, cls)
            else:
                parsed = _CONVERTER.structure(value, cls)
            result = replace(result, **{name: parsed})  # type: ignore[arg-type]
        except Exception as error:
            problems.append(f"invalid '{key}' options ({_describe(error)}); using defaults for them")
    return result, problems


def _describe(error: BaseException) -> str:
    if isinstance(error, cattrs.BaseValidationError):
        messages = cattrs.transform_error(error)
        return "; ".join(messages)
    return str(error)
