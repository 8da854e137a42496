"""`python -m benchmarks.repo_eval`: daima against naive FIM on holes from real public repositories."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from daima.config import ModelOptions

from .metrics import repository_words
from .run import (
    ONLY_CHINESE,
    SERVER_OPTIONS,
    SOURCES,
    InProcessCompleter,
    NaiveCompleter,
    Record,
    ServerCompleter,
    format_summary,
    rule_effects,
    score,
    score_checks,
    summarize,
    timed,
)
from .sources import SourceUnavailable, bring, load_sources
from .tasks import KINDS, SPLITS, RepoTask, sample_tasks

RESULTS = Path("benchmarks/results")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.repo_eval", description=__doc__)
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--split", default="heldout", choices=(*SPLITS, "all"),
                        help="which files (dev: tune and cite; heldout: report only)")  # fmt: skip
    parser.add_argument("--per-kind", type=int, default=4, help="holes of each cursor kind per repository")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--sources", default=",".join(SOURCES), help=f"comma-separated, of {', '.join(SOURCES)}"
    )
    parser.add_argument("--repos", default="", help="only these repositories (comma-separated owner/name)")
    parser.add_argument(
        "--mirrors",
        default=os.environ.get("DAIMA_EVAL_MIRRORS", ""),
        help="folders of local git mirrors to take the sources from (os.pathsep-separated)",
    )
    parser.add_argument("--list", action="store_true", help="print the sampled holes and exit")
    parser.add_argument(
        "--out", type=Path, help="summary JSON (default benchmarks/results/repo_eval_MODEL_SPLIT.json)"
    )
    args = parser.parse_args(argv)
    sources = tuple(s for s in args.sources.split(",") if s)
    if not sources or not set(sources) <= set(SOURCES):
        parser.error(f"--sources takes {', '.join(SOURCES)}")
    wanted = {r for r in args.repos.split(",") if r}
    mirrors = [Path(p) for p in args.mirrors.split(os.pathsep) if p]
    trees = []
    for source in load_sources():
        if wanted and source.repo not in wanted:
            continue
        try:
            trees.append((source, bring(source, mirrors)))
        except SourceUnavailable as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    tasks = sample_tasks(trees, args.per_kind, args.seed, args.split)
    if args.list:
        for task in tasks:
            print(f"{task.task_id}\t{task.expected}")
        return 0
    known = {source.repo: repository_words(tree) for source, tree in trees}
    out = args.out or RESULTS / f"repo_eval_{args.model.replace('/', '_')}_{args.split}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    records: list[Record] = []
    started = time.monotonic()
    status: dict[str, object] = {}
    with out.with_suffix(".jsonl").open("w", encoding="utf-8") as log:

        def keep(record: Record) -> None:
            records.append(record)
            log.write(json.dumps(record.__dict__, ensure_ascii=False) + "\n")
            log.flush()
            mark = "=" if record.exact else ("?" if record.unknown else " ")
            print(f"{record.source:15} {mark} {record.seconds:5.1f}s {record.task_id[:70]:70} "
                  f"{record.suggestion.strip()[:50]!r}", file=sys.stderr, flush=True)  # fmt: skip

        if {"naive", "daima-checks"} & set(sources):
            from daima.model.loader import load_engine

            engine = load_engine(ModelOptions(name=args.model, device=args.device))
            try:
                if "naive" in sources:
                    naive = NaiveCompleter(engine)
                    for task in tasks:
                        inserted, seconds = timed(naive.complete, task)
                        keep(score("naive", task, inserted, seconds, known[task.source]))
                if "daima-checks" in sources:
                    for source, tree in trees:
                        in_process = InProcessCompleter(tree, engine)
                        try:
                            for task in (t for t in tasks if t.source == source.repo):
                                began = time.monotonic()
                                found = in_process.complete(task)
                                seconds = time.monotonic() - began
                                keep(score_checks(task, found, seconds, known[task.source]))
                        finally:
                            in_process.close()
            finally:
                getattr(engine, "close", lambda: None)()
        for name in (s for s in sources if s in SERVER_OPTIONS):
            for source, tree in trees:
                mine: list[RepoTask] = [t for t in tasks if t.source == source.repo]
                if not mine or (name in ONLY_CHINESE and source.identifiers != "zh"):
                    continue
                completer = ServerCompleter(tree, args.model, args.device, SERVER_OPTIONS[name])
                status = completer.status
                try:
                    for task in mine:
                        inserted, seconds = timed(completer.complete, task)
                        keep(score(name, task, inserted, seconds, known[task.source]))
                finally:
                    completer.close()
    summary = {
        "results": summarize(records),
        **({"checks": rule_effects(records)} if "daima-checks" in sources else {}),
        "config": {
            "split": args.split,
            "per_kind": args.per_kind,
            "seed": args.seed,
            "kinds": list(KINDS),
            "sources": list(sources),
            "model": args.model,
            "device": args.device,
        },
        "repositories": [
            {"repo": s.repo, "commit": s.commit, "identifiers": s.identifiers} for s, _ in trees
        ],
        "tasks": len(tasks),
        "server_status": {k: v for k, v in status.items() if k in ("model", "device", "state")},
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()}",
        "seconds": round(time.monotonic() - started, 1),
    }
    out.write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(format_summary(summary["results"]))
    if "checks" in summary:
        print(json.dumps(summary["checks"], indent=1))
    print(f"results: {out} and {out.with_suffix('.jsonl')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
