"""Virtual environments that hold exactly a chosen set of this venv's distributions, linked from its files
(no network, seconds to make): what an install with those requirements gives, and nothing else."""

from __future__ import annotations

import importlib.metadata as metadata
import os
import subprocess
import sys
import sysconfig
from collections.abc import Iterable
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

SITE = Path(sysconfig.get_paths()["purelib"]).resolve()


def distributions(roots: Iterable[str], follow: bool = True) -> dict[str, metadata.Distribution]:
    """The installed distributions named in `roots`, and (`follow`) every one their requirements reach
    without extras, as installed in this venv (not a `daima.egg-info` a build left in the checkout)."""
    found: dict[str, metadata.Distribution] = {}
    todo = list(roots)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in found:
            continue
        distribution = next(iter(metadata.distributions(name=name, path=[str(SITE)])))
        found[name] = distribution
        for line in distribution.requires or [] if follow else []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return found


def linked_venv(folder: Path, chosen: Iterable[metadata.Distribution]) -> Path:
    """A venv in `folder` whose site-packages links the files of `chosen`; its python."""
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
    )  # fmt: skip
    for distribution in chosen:
        for file in distribution.files or []:
            source = Path(str(distribution.locate_file(file))).resolve()
            try:
                relative = source.relative_to(SITE)
            except ValueError:
                continue  # scripts in bin/ and the like: `python -m daima` needs none of them
            target = site / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_file() and not target.exists():
                os.symlink(source, target)
    return python
