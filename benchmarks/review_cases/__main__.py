"""`python -m benchmarks.review_cases`: `daima review` (rules) on flaws and controls from real commits."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from ..next_edit.cases import history_dir
from ..repo_eval.sources import Source, SourceUnavailable, sources_dir
from .cases import BuildError, Case, build, load_cases
from .run import as_json, bandit_available, review, summarize

RESULTS = Path("benchmarks/results")


def history(case: Case, mirrors: list[Path], cache: Path) -> Path:
    """A git directory whose history holds the case's commit: a local mirror, else a bare clone."""
    return history_dir(Source(case.repo, case.commit, identifiers=""), mirrors, cache)


def _bandit_version() -> str:
    from importlib.metadata import version

    return version("bandit")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.review_cases", description=__doc__)
    parser.add_argument("--split", default="all", choices=("dev", "heldout", "all"))
    parser.add_argument(
        "--mirrors",
        default=os.environ.get("DAIMA_EVAL_MIRRORS", ""),
        help="folders of local git mirrors to read the history from (os.pathsep-separated)",
    )
    parser.add_argument("--no-bandit", action="store_true", help="skip the bandit baseline")
    parser.add_argument("--out", type=Path, default=RESULTS / "review_cases.json")
    args = parser.parse_args(argv)
    mirrors = [Path(p) for p in args.mirrors.split(os.pathsep) if p]
    cache = sources_dir().parent / "review-history"
    cache.mkdir(parents=True, exist_ok=True)
    cases = [c for c in load_cases() if args.split in ("all", c.split)]
    with_bandit = not args.no_bandit and bandit_available()
    started = time.monotonic()
    records = []
    with tempfile.TemporaryDirectory() as folder:
        for case in cases:
            for variant in (False, True) if case.variant else (False,):
                try:
                    built = build(case, history(case, mirrors, cache), Path(folder), variant)
                except (BuildError, SourceUnavailable) as error:
                    print(f"error: {error}", file=sys.stderr)
                    return 2
                record = review(case, built, variant, with_bandit)
                records.append(record)
                right = record.found if case.kind != "control" else not record.false_findings
                mark = "ok" if right else "--"
                print(f"{mark} {case.kind:12} {record.split:7} {record.found_statements}/{record.statements} "
                      f"false {record.false_findings}  {record.case_id}", file=sys.stderr)  # fmt: skip
    summary = {
        "results": summarize(records),
        "cases": len(cases),
        "measured": "daima review's rule checks (run_review, no model) on each case's base and head commits;"
        + (
            f" bandit {_bandit_version()} on the same head files, kept on the added lines"
            if with_bandit
            else " no bandit"
        ),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()}",
        "seconds": round(time.monotonic() - started, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    with args.out.with_suffix(".jsonl").open("w", encoding="utf-8") as log:
        for record in records:
            log.write(json.dumps(as_json(record), ensure_ascii=False) + "\n")
    print(json.dumps(summary["results"], ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
