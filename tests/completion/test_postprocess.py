"""Data-driven post-processing cases from tests/data/postprocess/*.cases (format in its README)."""

from __future__ import annotations

from pathlib import Path

import pytest

from daima.completion.postprocess import Hole, PostProcessor, suggestion_text

DATA = Path(__file__).parent.parent / "data" / "postprocess"
CURSOR = "▮"


def _cases() -> list[tuple[str, dict[str, str], dict[str, str]]]:
    cases = []
    for file in sorted(DATA.glob("*.cases")):
        name, options, sections, current = "", {}, {}, None
        for line in [*file.read_text("utf-8").removesuffix("\n").split("\n"), "=== end"]:
            if line.startswith("=== "):
                if name:
                    cases.append(
                        (f"{file.stem}: {name}", options, {k: "\n".join(v) for k, v in sections.items()})
                    )
                name, *opts = line[4:].split(" | ")
                options, sections, current = _options(opts), {}, None
            elif line.startswith("--- "):
                current, *opts = line[4:].split(" | ")
                options.update(_options(opts))
                sections[current] = []
            elif current is not None:
                sections[current].append(line.removesuffix("⏎"))
    return cases


def _options(parts: list[str]) -> dict[str, str]:
    return {key: value.replace("\\s", " ") for key, _, value in (p.partition("=") for p in parts)}


def _run(hole: Hole, deltas: list[str]) -> str:
    processor = PostProcessor(hole)
    for delta in deltas:
        if processor.feed(delta):
            break
    result = suggestion_text(hole, processor.finish())
    return "<none>" if result is None else result


CASES = _cases()


@pytest.mark.parametrize(("options", "sections"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_case(options: dict[str, str], sections: dict[str, str]) -> None:
    document = sections["document"]
    cursor = document.index(CURSOR)
    hole = Hole(
        prefix=document[:cursor],
        suffix=document[cursor + 1 :],
        mode=options.get("mode", "block"),
        max_lines=int(options.get("max_lines", 8)),
        forced_prefix=options.get("forced", ""),
        comment=options.get("comment", "#"),
    )
    raw = sections["raw"]
    assert _run(hole, raw.split("¦")) == sections["expected"]
    # Streaming one character at a time must not change the result.
    assert _run(hole, list(raw.replace("¦", ""))) == sections["expected"]


def test_there_are_cases_for_every_rule() -> None:
    assert {Path(f).stem for f in DATA.glob("*.cases")} >= {
        "blocks",
        "suffix",
        "repetition",
        "artefacts",
        "healing",
    }
    assert len(CASES) >= 30
