"""`python -m benchmarks.next_edit`: daima's next-edit proposals on changes from real history."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from ..repo_eval.sources import SourceUnavailable, load_sources, sources_dir
from .cases import KINDS, build_cases, history_dir
from .run import NextEditClient, score, summarize

SOURCES = Path(__file__).with_name("sources.json")
RESULTS = Path("benchmarks/results")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.next_edit", description=__doc__)
    parser.add_argument("--per-kind", type=int, default=40, help="cases of each kind per repository")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split", default="all", choices=("dev", "heldout", "all"))
    parser.add_argument(
        "--mirrors",
        default=os.environ.get("DAIMA_EVAL_MIRRORS", ""),
        help="folders of local git mirrors to read the history from (os.pathsep-separated)",
    )
    parser.add_argument(
        "--model",
        default="none",
        help="the server's model.name ('auto': the default model, for pattern edits)",
    )
    parser.add_argument(
        "--next-edit-time-ms",
        type=int,
        help="the server's completion.nextEditTimeMs (0: no limit); default: its own",
    )
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated kinds to run")
    parser.add_argument("--list", action="store_true", help="print the cases and exit")
    parser.add_argument("--out", type=Path, default=RESULTS / "next_edit.json")
    args = parser.parse_args(argv)
    mirrors = [Path(p) for p in args.mirrors.split(os.pathsep) if p]
    cache = sources_dir().parent / "next-edit-history"
    cache.mkdir(parents=True, exist_ok=True)
    cases = []
    kinds = set(args.kinds.split(","))
    sources = load_sources(SOURCES)
    for source in sources:
        try:
            git_dir = history_dir(source, mirrors, cache)
        except SourceUnavailable as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        cases += [c for c in build_cases(source, git_dir, args.per_kind, args.seed)
                  if args.split in ("all", c.split) and c.kind in kinds]  # fmt: skip
    if args.list:
        for case in cases:
            print(f"{case.kind}\t{case.split}\t{case.case_id}\t{len(case.expected)}")
        return 0
    started = time.monotonic()
    records = []
    with tempfile.TemporaryDirectory() as folder:
        limit = {} if args.next_edit_time_ms is None else {"nextEditTimeMs": args.next_edit_time_ms}
        client = NextEditClient(Path(folder), args.model, limit)
        try:
            for case in cases:
                proposals, ms = client.propose(case)
                record = score(case, proposals, ms)
                records.append(record)
                mark = "=" if record.exact else ("!" if record.false else " ")
                print(f"{record.kind:9} {mark} {record.matched}/{record.expected} of {record.proposed} "
                      f"({record.false} false) "
                      f"{record.ms:6.1f} ms {record.case_id}", file=sys.stderr)  # fmt: skip
        finally:
            client.close()
    settings = "its default options"
    if args.next_edit_time_ms is not None:
        settings += f" but nextEditTimeMs {args.next_edit_time_ms}"
    summary = {
        "results": summarize(records),
        "config": {
            "per_kind": args.per_kind,
            "seed": args.seed,
            "split": args.split,
            "kinds": sorted(kinds),
            "model": args.model,
            "next_edit_time_ms": args.next_edit_time_ms,
        },
        "repositories": [{"repo": s.repo, "commit": s.commit, "identifiers": s.identifiers} for s in sources],
        "measured": f"over the real `daima serve` (stdio, model {args.model}, {settings}), "
        "one request per case after one didChange",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()}",
        "seconds": round(time.monotonic() - started, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    with args.out.with_suffix(".jsonl").open("w", encoding="utf-8") as log:
        for record in records:
            log.write(json.dumps(record.__dict__, ensure_ascii=False) + "\n")
    print(json.dumps(summary["results"], ensure_ascii=False, indent=1))
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
