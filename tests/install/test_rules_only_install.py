"""The review bot's rules-only install (editors/review-bot/install.sh with model `none`): daima without its
own requirements, plus editors/review-bot/requirements-rules.txt. A review runs in it and finds an
injection; torch and transformers are not there, and the commands that need them say so."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from venvs import distributions, linked_venv

ROOT = Path(__file__).resolve().parents[2]
RULES_REQUIREMENTS = ROOT / "editors" / "review-bot" / "requirements-rules.txt"


@pytest.fixture(scope="module")
def rules_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    names = [
        line.strip()
        for line in RULES_REQUIREMENTS.read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    chosen = {**distributions(names), **distributions(["daima"], follow=False)}
    return linked_venv(tmp_path_factory.mktemp("rules-only"), chosen.values())


def _run(python: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return subprocess.run([str(python), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def test_a_rules_only_review_runs_without_torch(rules_python: Path, tmp_path: Path) -> None:
    probe = (
        "import importlib.util as u; print([m for m in ('torch', 'transformers', 'pygls') if u.find_spec(m)])"
    )
    assert _run(rules_python, "-c", probe).stdout.strip() == "[]"
    repo = tmp_path / "repo"
    repo.mkdir()
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    (repo / "app.py").write_text("x = 1\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", *identity, "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", *identity, "commit", "-qm", "base"], cwd=repo, check=True)
    (repo / "工具.py").write_text(
        "import os\n\n\ndef 打包(目录):\n    os.system('tar czf a.tgz ' + 目录)\n", encoding="utf-8"
    )
    subprocess.run(["git", *identity, "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", *identity, "commit", "-qm", "head"], cwd=repo, check=True)
    done = _run(rules_python, "-m", "daima", "review", "--base", "HEAD~1", "--format", "text", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert "工具.py" in done.stdout and "shell-injection" in done.stdout


def test_a_command_that_needs_more_says_what_to_install(rules_python: Path, tmp_path: Path) -> None:
    helped = _run(rules_python, "-m", "daima", "--help")
    assert helped.returncode == 0 and "review" in helped.stdout
    done = _run(rules_python, "-m", "daima", "serve", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "`daima serve` needs the Python package" in done.stderr and "pip install daima" in done.stderr
