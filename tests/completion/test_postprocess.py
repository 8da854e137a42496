"""Data-driven post-processing cases from tests/data/postprocess/*.cases (format in its README)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from daima.completion.postprocess import Hole, PostProcessor, suggestion_text
from daima.completion.syntax import SpliceChecker

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
        language=options.get("language", "python"),
    )
    raw = sections["raw"]
    assert _run(hole, raw.split("¦")) == sections["expected"]
    # Streaming one character at a time must not change the result.
    assert _run(hole, list(raw.replace("¦", ""))) == sections["expected"]
    # Nor must the prefix tree the pipeline derives from its splice checker instead of parsing.
    if hole.language:
        checker = SpliceChecker(hole.prefix + hole.suffix, cursor, cursor, hole.language)
        with_tree = replace(hole, prefix_tree=checker.head_tree)
        assert _run(with_tree, raw.split("¦")) == sections["expected"]


def test_there_are_cases_for_every_rule() -> None:
    assert {Path(f).stem for f in DATA.glob("*.cases")} >= {
        "blocks",
        "suffix",
        "repetition",
        "artefacts",
        "healing",
    }
    assert len(CASES) >= 30


def _partials(hole: Hole, deltas: list[str]) -> list[str]:
    processor = PostProcessor(hole)
    shown: list[str] = []
    for delta in deltas:
        processor.feed(delta)
        if processor.partial and (not shown or shown[-1] != processor.partial):
            shown.append(processor.partial)
    return shown


def test_a_one_line_suggestion_grows_token_by_token() -> None:
    hole = Hole(prefix="def 总价(价格, 数量):\n    ", suffix="\n", mode="line")
    assert _partials(hole, ["return", " 价格", " *", " 数量", "\n"]) == [
        "return",
        "return 价格",
        "return 价格 *",
        "return 价格 * 数量",
    ]


def test_later_block_lines_show_only_once_complete() -> None:
    hole = Hole(prefix="def f(列表):\n    ", suffix="\n", mode="block")
    shown = _partials(hole, ["for 元素 in 列表", ":\n", "        print", "(元素)\n"])
    assert shown == ["for 元素 in 列表", "for 元素 in 列表:", "for 元素 in 列表:\n        print(元素)"]


@pytest.mark.parametrize("start", ["```", "<|", "Explanation:"])
def test_what_may_be_an_artefact_is_not_shown_early(start: str) -> None:
    hole = Hole(prefix="x = ", suffix="\n", mode="line")
    assert _partials(hole, [start]) == []


def test_the_forced_prefix_is_not_shown_until_the_model_has_reproduced_it() -> None:
    hole = Hole(prefix="总价 = 计算总", suffix="\n", mode="line", forced_prefix="计算总")
    assert _partials(hole, ["计算", "总价", "(商品)"]) == ["价", "价(商品)"]


@pytest.mark.parametrize(
    ("mode", "deltas", "expected"),
    [
        ("line", ["return", " 价格"], ""),  # the deadline cut the line: a fragment is never the suggestion
        ("line", ["return 价格 * 数量", "\n"], "return 价格 * 数量"),  # the line ended before the cut
        ("block", ["总价 = 0\n", "    for 商品 in"], "总价 = 0"),  # the whole lines stay
        # A block opened at the end with no body yet is not a unit: it goes, the lines before it stay.
        ("block", ['return "YES"\n', "else:\n", "    re"], 'return "YES"'),
        ("block", ["if 价格 > 0:\n", "    "], "if 价格 > 0:"),  # the first line is whole: it stays
    ],
)
def test_a_stream_cut_short_keeps_whole_lines_only(mode: str, deltas: list[str], expected: str) -> None:
    hole = Hole(prefix="def 总价(价格, 数量):\n    ", suffix="\n", mode=mode)
    processor = PostProcessor(hole)
    for delta in deltas:
        processor.feed(delta)
    assert processor.finish(cut_short=True).text == expected


def test_a_stream_the_model_ended_keeps_its_last_line() -> None:
    processor = PostProcessor(Hole(prefix="x = ", suffix="\n", mode="line"))
    processor.feed("价格 * 数量")
    assert processor.finish().text == "价格 * 数量"
