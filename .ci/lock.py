"""Print requirements.lock: every distribution installed in a venv made from pyproject.toml with all extras.

Run by `make lock`. Local version labels are dropped (`torch==2.13.0+cpu` becomes `torch==2.13.0`): a
constraint without one still matches the CPU build this machine's pip serves, and stays installable where
a different build of the same release is what pip finds.
"""

from __future__ import annotations

import subprocess
import sys

HEADER = """\
# Every Python package daima and its test tools install, at the versions the committed results were
# measured with. Both README commands and CI install with `-c requirements.lock`.
# Regenerate with `make lock` (a fresh venv resolves pyproject.toml anew), then run `make test`.
"""


def main(python: str) -> int:
    frozen = subprocess.run(
        [python, "-m", "pip", "freeze", "--exclude-editable", "--all"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    lines = []
    for line in frozen.splitlines():
        name, sep, version = line.partition("==")
        if not sep or name.lower() in {"daima", "pip", "setuptools", "wheel"}:
            continue  # the project itself, and the venv's own tools, which pip keeps as they are
        lines.append(f"{name}=={version.split('+', 1)[0]}")
    sys.stdout.write(HEADER + "\n".join(sorted(lines, key=str.lower)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
