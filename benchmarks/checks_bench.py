"""Candidate checks: what checking one completion costs on large Python files.

Usage: .venv/bin/python benchmarks/checks_bench.py [--holes N] [--out FILE.json]

For each file, N holes are spread over its function bodies; at each, what the pipeline does once per
keystroke is timed (`keystroke`: the document's scope table and what the code after the hole needs;
the first keystroke in a function looks up the rest of the module's names, `typing on`, the next one
with one more character typed at the cursor, reuses them),
then the checks on a one-line candidate exactly as `pipeline.complete` runs them (`_check`: the
validity cut, the splice parse, the candidate's scope table, names, loops, values, dict keys). The
baseline, in the same run, is what the splice parse cost before it parsed only the statements around
the hole: tree-sitter's incremental parse plus Python's `ast.parse` of the whole spliced file. The
files are the installed sources of transformers and of the standard library, so anyone can rerun it.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import platform
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from daima.completion.candidates import Candidate
from daima.completion.names import name_scope
from daima.completion.pipeline import _check, _needs
from daima.completion.syntax import SpliceChecker


def _files() -> list[Path]:
    import transformers

    root = Path(transformers.__file__).parent
    return [root / "generation" / "utils.py", root / "modeling_utils.py", Path(argparse.__file__)]


def _holes(text: str, count: int) -> list[int]:
    """Offsets at the end of the indentation of lines inside function bodies, spread over the file."""
    lines = text.split("\n")
    offsets, position = [], 0
    for line in lines:
        if line.startswith("        ") and line.strip() and not line.strip().startswith(("#", ")", "]", "}")):
            offsets.append(position + len(line) - len(line.lstrip()))
        position += len(line) + 1
    step = max(1, len(offsets) // count)
    return offsets[::step][:count]


def _baseline(checker: SpliceChecker, text: str, cursor: int, completion: str) -> None:
    """The splice parse as it was: tree-sitter (incremental) plus Python's parse of the whole file."""
    checker.spliced_tree(completion + " ")  # not the text _check parsed: a fresh incremental parse
    with contextlib.suppress(SyntaxError):
        ast.parse(text[:cursor] + completion + text[cursor:])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--holes", type=int, default=20)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    results = []
    completion = "结果 = 0"
    for path in _files():
        text = path.read_text("utf-8")
        keystrokes, typing, checks, baselines = [], [], [], []
        for cursor in _holes(text, args.holes):
            # The line's own text goes: the hole is the rest of the line after its indentation.
            line_end = text.find("\n", cursor)
            document = text[:cursor] + text[line_end:]
            checker = SpliceChecker(document, cursor, cursor, "python")
            line_before = document[document.rfind("\n", 0, cursor) + 1 : cursor]
            started = time.perf_counter()
            names = name_scope(checker, "python")
            needs = _needs(checker, names, "python", line_before, document[cursor:])
            keystrokes.append(time.perf_counter() - started)
            typed = document[:cursor] + "结" + document[cursor:]
            next_checker = SpliceChecker(typed, cursor + 1, cursor + 1, "python")
            started = time.perf_counter()
            next_names = name_scope(next_checker, "python")
            _needs(next_checker, next_names, "python", line_before + "结", typed[cursor + 1 :])
            typing.append(time.perf_counter() - started)
            started = time.perf_counter()
            _check(Candidate(text=completion), checker, names, "python", needs, document[cursor:])
            checks.append(time.perf_counter() - started)
            started = time.perf_counter()
            _baseline(checker, document, cursor, completion)
            baselines.append(time.perf_counter() - started)
        check_ms, baseline_ms = statistics.median(checks) * 1000, statistics.median(baselines) * 1000
        keystroke_ms = statistics.median(keystrokes) * 1000
        typing_ms = statistics.median(typing) * 1000
        results.append(
            {
                "file": f"{path.parent.name}/{path.name}",
                "lines": text.count("\n") + 1,
                "holes": len(checks),
                "keystroke_median_ms": round(keystroke_ms, 2),
                "typing_on_median_ms": round(typing_ms, 2),
                "checks_median_ms": round(check_ms, 2),
                "whole_file_parse_median_ms": round(baseline_ms, 2),
                "ratio": round(baseline_ms / check_ms, 1) if check_ms else None,
            }
        )
        print(
            f"{results[-1]['file']:28} {results[-1]['lines']:6} lines  keystroke {keystroke_ms:6.2f} ms  "
            f"typing on {typing_ms:6.2f} ms  "
            f"checks {check_ms:6.2f} ms  "
            f"whole-file splice parse {baseline_ms:6.2f} ms  ({results[-1]['ratio']}x)"
        )
    machine = f"{platform.node()} ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)"
    summary = {"machine": machine, "completion": completion, "results": results}
    if args.out:
        args.out.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
