"""`python -m benchmarks.secure`: the injection rate of naive FIM and of daima's pipeline on prompts
where the natural next line runs SQL, a shell command or eval with the caller's input, greedy, same
model, same run: 16 written by hand (prompts.json) and 100 filled from templates (templates.json: each
template with each scenario of its kind, English and Chinese identifiers). A suggestion is an injection
when the reviewer's rules (review/checks.py `injections`) find one on its lines once it is spliced in.
Nothing was tuned on these prompts."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from daima.config import CompletionOptions, ModelOptions
from daima.review.checks import injections
from daima.text import TextDocument

PROMPTS = Path(__file__).with_name("prompts.json")
TEMPLATES = Path(__file__).with_name("templates.json")
RESULTS = Path("benchmarks/results")
CURSOR = "█"
_SUFFIX = {"python": ".py", "javascript": ".js"}


def load_prompts(which: str = "all") -> list[dict[str, str]]:
    """The hand-written prompts, the ones filled from templates, or both."""
    prompts = []
    if which in ("hand", "all"):
        prompts += [{**p, "set": "hand"} for p in json.loads(PROMPTS.read_text("utf-8"))["prompts"]]
    if which in ("generated", "all"):
        prompts += generated_prompts()
    return prompts


def generated_prompts() -> list[dict[str, str]]:
    data = json.loads(TEMPLATES.read_text("utf-8"))
    prompts = []
    for template in data["templates"]:
        for identifiers, scenarios in data["scenarios"][template["kind"]].items():
            for number, scenario in enumerate(scenarios):
                if template["kind"] == "sql":
                    f, p, t, c = scenario
                    doc = template["doc"][identifiers].format(t=t, c=c, p=p)
                else:
                    f, p, doc_template = scenario
                    doc = doc_template.format(p=p)
                # str.replace, not format: the code's own braces ({ host: ... }) stay as they are.
                text = template["text"].replace("{f}", f).replace("{p}", p).replace("{doc}", doc)
                prompts.append({
                    "id": f"{template['id']}-{identifiers}-{number}", "language": template["language"],
                    "identifiers": identifiers, "text": text, "set": "generated",
                })  # fmt: skip
    return prompts


def naive(engine: Any, prefix: str, suffix: str) -> str:
    from daima.completion.templates import match_template
    from daima.model.api import GenerationRequest

    template = match_template(engine.info)
    request = GenerationRequest(
        prompt=template.render(prefix=prefix, suffix=suffix), max_tokens=64, stop=(*template.stop, "\n")
    )
    return engine.stream(request).text().split("\n", 1)[0]


def daima(
    engine: Any, text: str, offset: int, language: str, options: CompletionOptions
) -> tuple[str, int, int]:
    """The text the suggestion leaves between prefix and suffix, and where it starts and ends."""
    from daima.completion.pipeline import complete

    path = Path("prompt" + _SUFFIX[language])
    document = TextDocument(
        path.as_uri() if path.is_absolute() else f"file:///{path}", text, language_id=language
    )
    suggestion = complete(document, offset, engine=engine, options=options, path=path, language_id=language)
    if suggestion is None:
        return "", offset, offset
    return suggestion.text, suggestion.start, suggestion.end


def injected(text: str, start: int, inserted: str, language: str) -> list[str]:
    """The injection rules the spliced suggestion breaks on its own lines. A suggestion that opens a
    call or a block it does not close (`exec(cmd, (err) => {`, a first line) leaves a document that
    does not parse, where the rules see no call: it is checked again with what it opened closed, so
    such a line counts as what it would run, for naive FIM and daima alike."""
    if not inserted.strip():
        return []
    first = text.count("\n", 0, start) + 1
    lines = set(range(first, first + inserted.count("\n") + 1))
    found = [f.rule_id for f in injections(text, lines, language)]
    closers = _unclosed(inserted)
    if found or not closers:
        return found
    end = start + len(inserted)
    return [f.rule_id for f in injections(text[:end] + closers + text[end:], lines, language)]


_PAIRS = {"(": ")", "[": "]", "{": "}"}


def _unclosed(code: str) -> str:
    """The closing brackets `code` leaves open, innermost first (strings and template text skipped)."""
    stack: list[str] = []
    quote = ""
    escaped = False
    for ch in code:
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
        elif ch in _PAIRS:
            stack.append(_PAIRS[ch])
        elif stack and ch == stack[-1]:
            stack.pop()
    return "".join(reversed(stack))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.secure", description=__doc__)
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--set", default="all", choices=("hand", "generated", "all"))
    parser.add_argument(
        "--out", type=Path, help="summary JSON (default benchmarks/results/secure_MODEL.json)"
    )
    args = parser.parse_args(argv)
    from daima.model.loader import load_engine

    engine = load_engine(ModelOptions(name=args.model, device=args.device))
    options = CompletionOptions(max_time_ms=0)  # the suggestion itself, not how fast this machine is
    records = []
    started = time.monotonic()
    try:
        for prompt in load_prompts(args.set):
            template, language = prompt["text"], prompt["language"]
            offset = template.index(CURSOR)
            text = template.replace(CURSOR, "")
            prefix, suffix = text[:offset], text[offset:]
            line = naive(engine, prefix, suffix)
            naive_text = prefix + line + suffix
            inserted, start, end = daima(engine, text, offset, language, options)
            daima_text = text[:start] + inserted + text[end:]
            record = {
                "id": prompt["id"], "identifiers": prompt["identifiers"], "set": prompt["set"],
                "naive": line, "naive_injection": injected(naive_text, offset, line, language),
                "daima": inserted, "daima_start": start - offset,
                "daima_injection": injected(daima_text, start, inserted, language),
            }  # fmt: skip
            records.append(record)
            print(json.dumps(record, ensure_ascii=False), file=sys.stderr, flush=True)
    finally:
        getattr(engine, "close", lambda: None)()
    summary: dict[str, Any] = {"prompts": len(records), "by_identifiers": {}}
    for group in ("all", "en", "zh", "hand", "generated"):
        chosen = [r for r in records if group in ("all", r["identifiers"], r["set"])]
        if not chosen:
            continue
        row = {}
        for source in ("naive", "daima"):
            row[source] = {
                "injections": sum(bool(r[f"{source}_injection"]) for r in chosen),
                "injection_rate": round(
                    100 * sum(bool(r[f"{source}_injection"]) for r in chosen) / len(chosen), 1
                ),
                "empty": round(100 * sum(not r[source].strip() for r in chosen) / len(chosen), 1),
            }
        summary["by_identifiers"][group] = row
    summary["records"] = records
    summary["model"] = args.model
    summary["machine"] = f"{platform.machine()}, {os.cpu_count()} CPU cores"
    summary["seconds"] = round(time.monotonic() - started, 1)
    out = args.out or RESULTS / f"secure_{args.model.replace('/', '_')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for group, row in summary["by_identifiers"].items():
        a, b = row["naive"], row["daima"]
        print(
            f"{group:9} injections: naive {a['injection_rate']:5.1f}% ({a['empty']:.0f}% empty),"
            f" daima {b['injection_rate']:5.1f}% ({b['empty']:.0f}% empty)"
        )
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
