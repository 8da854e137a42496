"""English names for Chinese identifiers from CC-CEDICT (data-driven, tests/data/glossary/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daima.completion.glossary import code_words, english_name, gloss_of, parse_cedict

DATA = Path(__file__).parent.parent / "data" / "glossary"
SENSES = json.loads((DATA / "senses.json").read_text("utf-8"))["cases"]
NAMES = json.loads((DATA / "names.json").read_text("utf-8"))["cases"]


@pytest.mark.parametrize("case", SENSES, ids=[c["name"] for c in SENSES])
def test_gloss_of_senses(case: dict[str, object]) -> None:
    assert gloss_of(list(case["senses"]), dict(case.get("code_use", {}))) == case["expected"]  # type: ignore[call-overload]


def test_parse_cedict_merges_the_entries_of_one_headword() -> None:
    lines = [
        "# CC-CEDICT",
        "結果 结果 [jie1 guo3] /to bear fruit/CL:個|个[ge4]/",
        "結果 结果 [jie2 guo3] /outcome/result/",
        "字典 字典 [zi4 dian3] /dictionary/character dictionary/CL:本[ben3]/",
        "not an entry",
    ]
    assert parse_cedict(lines, code_use={}) == {"结果": "outcome", "字典": "dictionary"}
    assert parse_cedict(lines, code_use={"result": 9, "outcome": 1})["结果"] == "result"


def test_code_words_counts_the_parts_of_identifiers(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("def maxSize(max_size, HTTPServer):\n    return '不是 name'  # max\n", "utf-8")
    broken = tmp_path / "broken.py"
    broken.write_text("def (:\n", "utf-8")
    counts = code_words([source, broken, tmp_path / "missing.py"])
    assert counts == {"max": 2, "size": 2, "http": 1, "server": 1}


@pytest.mark.parametrize("case", NAMES, ids=[c["identifier"] for c in NAMES])
def test_english_name_from_the_installed_dictionary(case: dict[str, object]) -> None:
    assert english_name(str(case["identifier"])) == case["expected"]
