"""The README is true: command 1's `daima complete` prints exactly the block the README shows."""

from __future__ import annotations

import importlib.util
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def readme_module():  # .ci/readme.py: CI runs the commands from it, so the test reads the README the same way
    spec = importlib.util.spec_from_file_location("readme", REPO / ".ci" / "readme.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_opens_with_two_commands_in_order() -> None:
    readme = readme_module()
    first, second = readme.commands((REPO / "README.md").read_text(encoding="utf-8"))
    assert "pip install -c requirements.lock -e ." in first and "daima complete" in first
    assert second == "make test"
    assert (REPO / "requirements.lock").is_file()


@pytest.mark.slow
def test_command_one_prints_the_readme_block() -> None:
    readme = readme_module()
    text = (REPO / "README.md").read_text(encoding="utf-8")
    invocation = shlex.split(readme.commands(text)[0].split("&&")[-1])
    assert invocation[0] == ".venv/bin/daima" and invocation[1] == "complete"
    result = subprocess.run(
        [sys.executable, "-m", "daima", *invocation[1:]],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.stdout == readme.expected(text)
