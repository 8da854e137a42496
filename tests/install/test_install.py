"""What a newcomer's install gives: `pip install -e .` alone (no extras) runs every `daima` subcommand.

A fresh venv holds exactly the distributions daima's own requirements reach (markers evaluated, no
extras), linked from this environment's files; nothing from the test extras is visible in it.
"""

from __future__ import annotations

import importlib.metadata as metadata
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from daima.cli import build_parser

SITE = Path(sysconfig.get_paths()["purelib"]).resolve()


def runtime_distributions() -> dict[str, metadata.Distribution]:
    """daima and every distribution its requirements reach without extras, as installed in this venv
    (not a `daima.egg-info` a build left in the checkout, which the test's sys.path would find first)."""
    found: dict[str, metadata.Distribution] = {}
    todo = ["daima"]
    while todo:
        name = canonicalize_name(todo.pop())
        if name in found:
            continue
        distribution = next(iter(metadata.distributions(name=name, path=[str(SITE)])))
        found[name] = distribution
        for line in distribution.requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return found


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with daima installed as `pip install -e .` installs it, and nothing else."""
    venv = tmp_path_factory.mktemp("bare") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
    )  # fmt: skip
    for distribution in runtime_distributions().values():
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


def run(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return subprocess.run(
        [str(python), "-m", "daima", *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_the_bare_install_lacks_the_test_tools(bare_python: Path) -> None:
    probe = "import importlib.util as u; print([m for m in ('pytest', 'hypothesis') if u.find_spec(m)])"
    result = subprocess.run([str(bare_python), "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_every_subcommand_runs_without_extras(bare_python: Path) -> None:
    result = run(bare_python, "--help")
    assert result.returncode == 0, result.stderr
    subcommands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"serve", "complete", "index", "model", "bench", "review"} <= set(subcommands)
    for name in subcommands:
        assert name in result.stdout
        helped = run(bare_python, name, "--help")
        assert helped.returncode == 0 and "usage: daima" in helped.stdout, (name, helped.stderr[-2000:])
