"""What a newcomer's install gives: `pip install -e .` alone (no extras) runs every `daima` subcommand.

A fresh venv holds exactly the distributions daima's own requirements reach (markers evaluated, no
extras), linked from this environment's files; nothing from the test extras is visible in it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from venvs import distributions, linked_venv

from daima.cli import build_parser


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with daima installed as `pip install -e .` installs it, and nothing else."""
    return linked_venv(tmp_path_factory.mktemp("bare"), distributions(["daima"]).values())


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
