"""The README's two commands and the block command 1 prints, read from README.md itself.

`.ci/run` runs the commands from here, so CI types exactly what a newcomer copies; tests/test_readme.py
compares the real output with the block. Standard library only: it runs before any venv exists.

    python3 .ci/readme.py commands   # the two commands, one a line
    python3 .ci/readme.py expected   # the block command 1 prints
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of each fenced block, in order."""
    return [(match.group(1), match.group(2)) for match in FENCE.finditer(text)]


def commands(text: str) -> list[str]:
    """The first two shell blocks: command 1 (install, one completion) and command 2 (the test suite)."""
    shell = [body.strip() for language, body in blocks(text) if language == "sh"][:2]
    if len(shell) != 2 or any("\n" in command for command in shell):
        raise SystemExit("README.md must open with two one-line ```sh blocks")
    return shell


def expected(text: str) -> str:
    """The block shown between command 1 and command 2: what command 1 prints on stdout, last."""
    found = blocks(text)
    first = next(i for i, (language, _) in enumerate(found) if language == "sh")
    language, body = found[first + 1]
    if language == "sh":
        raise SystemExit("README.md shows no output block after command 1")
    return body


if __name__ == "__main__":
    readme = README.read_text(encoding="utf-8")
    if sys.argv[1:] == ["commands"]:
        print("\n".join(commands(readme)))
    elif sys.argv[1:] == ["expected"]:
        sys.stdout.write(expected(readme))
    else:
        raise SystemExit(__doc__)
