"""The replay benchmark's parts that decide its figures: the typing script, the edits, the scoring."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from benchmarks.replay.__main__ import split
from benchmarks.replay.completers import NaivePlugin, _cut_at_dedent
from benchmarks.replay.edits import edits_of, insertion_offset, pure_additions, usable
from benchmarks.replay.run import PauseRecord, _score, chars_saved, summarize
from benchmarks.replay.typing import Backspace, Key, Pause, pauses, script
from benchmarks.repo_eval.sources import Source

ADDED = '    if 总价 > 0:\n        return self.结果.append(总价, "元")\n\n'


def typed_at_each_pause(events: list) -> tuple[str, list[tuple[int, str]]]:
    text, seen = "", []
    for event in events:
        if isinstance(event, Key):
            text += event.text
        elif isinstance(event, Backspace):
            text = text[:-1]
        else:
            seen.append((event.typed, text))
    return text, seen


@pytest.mark.parametrize("seed", ["a", "b", "c", "d"])
def test_the_script_types_the_edit_exactly_and_pauses_on_what_the_author_wrote(seed: str) -> None:
    events = script(ADDED, seed)
    final, seen = typed_at_each_pause(events)
    assert final == ADDED[:-1]  # the last newline is the line the person opened before typing
    assert all(text == ADDED[:typed] for typed, text in seen)


def test_pauses_come_at_line_starts_and_word_boundaries_not_inside_operators() -> None:
    events = script("x = a == b\n", "seed")
    where = [event.typed for event in events if isinstance(event, Pause)]
    assert where == [0, 4, 9]  # line start, after "= " and after "== " (not before an operator)
    assert pauses(events) == 3


def test_a_new_lines_indentation_arrives_with_the_newline() -> None:
    events = script("def f():\n    return 1\n", "seed")
    assert Key("\n    ") in events
    assert Pause(13) in events  # the second line's start, after its indentation


def test_typos_are_taken_back_and_never_just_before_a_pause() -> None:
    text = "value = compute(first, second, third) + other.attribute\n" * 8
    events = script(text, "typos")
    assert any(isinstance(e, Backspace) for e in events)
    for index, event in enumerate(events):
        if isinstance(event, Backspace):
            assert not isinstance(events[index + 1 + 1], Pause) or events[index + 1] == Key(" ")


def test_pure_additions_reads_only_hunks_that_add_lines() -> None:
    diff = (
        b"diff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n"
        b"@@ -3,0 +4,2 @@ def f():\n+    x = 1\n+    return x\n"
        b"@@ -9 +11 @@\n-old\n+new\n"
        b"@@ -20,0 +22 @@\n+tail()\n"
    )
    assert pure_additions(diff) == [(3, "    x = 1\n    return x\n"), (20, "tail()\n")]


def test_usable_edits_are_a_few_lines_of_code() -> None:
    assert usable("    total = sum(item.price for item in items)\n")
    assert not usable("    # only a comment that explains something\n")
    assert not usable("x\n")
    assert not usable("\tindented_with_a_tab = compute_something()\n")
    assert not usable("a = 1\n" * 12)


def test_insertion_offset_is_the_line_start() -> None:
    assert insertion_offset("a\nbb\nccc\n", 0) == 0
    assert insertion_offset("a\nbb\nccc\n", 2) == 5
    assert insertion_offset("a\nbb\nccc\n", 3) == 9


def _git(repo: Path, *args: str) -> str:
    run = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return run.stdout.strip()


def test_edits_come_from_commits_that_add_lines_with_the_parent_as_the_start(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    (repo / "计算.py").write_text("def 总价(商品):\n    return 0\n", "utf-8")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "one")
    parent = _git(repo, "rev-parse", "HEAD")
    (repo / "计算.py").write_text(
        "def 总价(商品):\n    合计 = sum(商品.values()) + 运费(商品)\n    return 0\n", "utf-8"
    )
    _git(repo, "commit", "-qam", "two")
    head = _git(repo, "rev-parse", "HEAD")
    found = list(edits_of(Source("me/repo", head, "zh"), repo / ".git", seed=0))
    assert len(found) == 1
    edit = found[0]
    assert (edit.parent, edit.commit, edit.path, edit.line) == (parent, head, "计算.py", 1)
    assert edit.added == "    合计 = sum(商品.values()) + 运费(商品)\n"
    assert edit.language == "python"


def test_halves_split_by_repository_with_both_kinds_of_names_in_each() -> None:
    sources = [Source(f"o/{k}{i}", "c" * 40, k) for k in ("zh", "en") for i in range(4)]
    halves = split(sources, seed=0)
    for half in halves.values():
        assert {s.identifiers for s in half} == {"zh", "en"}
    assert not {s.repo for s in halves["dev"]} & {s.repo for s in halves["heldout"]}
    assert split(sources, seed=0) == halves


class _Answer:
    def __init__(self, text: str, arrived: float, finish: str = "stop") -> None:
        self.text, self.arrived, self.finish, self.prefilled, self.source = text, arrived, finish, 5, "model"


def _edit(added: str):
    from benchmarks.replay.edits import Edit

    return Edit("o/r", "zh", "c" * 40, "p" * 40, "f.py", 0, added)


def test_a_pause_counts_the_suggestion_up_to_the_first_character_that_differs() -> None:
    edit = _edit("total = price * count\n")
    record = _score("daima", edit, 8, False, 10.0, _Answer("price * amount\n", 10.4))
    assert record.shown and record.matched == len("price * ")
    assert record.latency_ms == pytest.approx(400.0)
    missed = _score("daima", edit, 8, False, 10.0, None)
    assert not missed.shown and missed.matched == 0 and missed.finish == "late"
    cut = _score("daima", edit, 8, False, 10.0, _Answer("price", 11.9, finish="deadline"))
    assert cut.shown and not cut.whole


def _record(edit_id: str, typed: int, matched: int, shown: bool = True) -> PauseRecord:
    return PauseRecord(
        completer="daima", edit_id=edit_id, repo="o/r", identifiers="zh", typed=typed, first=typed == 0,
        shown=shown, latency_ms=300.0 if shown else None, whole=shown, matched=matched, text="x",
        expected="x", finish="stop", prefilled=10, source="model",
    )  # fmt: skip


def test_characters_saved_count_each_author_character_once() -> None:
    records = [
        _record("e1", 0, 10),
        _record("e1", 4, 10),
        _record("e2", 0, 3),
        _record("e2", 5, 0, shown=False),
    ]
    assert chars_saved(records) == 14 + 3
    summary = summarize(records, typed_chars=40)
    assert summary["chars_saved"] == 17 and summary["shown_rate"] == 0.75
    assert summary["first_pause_shown_rate"] == 1.0


def test_the_naive_plugin_shows_the_rest_of_a_cached_suggestion_the_user_types_through() -> None:
    plugin = NaivePlugin.__new__(NaivePlugin)
    plugin.cache = {}
    plugin.cache[plugin._key("x = ", "\n")] = "compute(a, b)"
    assert plugin._from_cache("x = comp", "\n") == "ute(a, b)"
    assert plugin._from_cache("x = cx", "\n") is None
    assert plugin._from_cache("x = compute(a, b)", "\n") is None  # nothing left to show


def test_the_naive_plugin_stops_at_a_line_indented_less_than_the_cursors() -> None:
    assert _cut_at_dedent("x = 1\n        y = 2\n    return y", 8) == "x = 1\n        y = 2"


def test_the_person_opens_an_empty_line_and_types_the_edit_on_it(tmp_path: Path, monkeypatch) -> None:
    from benchmarks.replay import run
    from benchmarks.replay.edits import Edit
    from daima.text import TextDocument

    monkeypatch.setattr(run, "ARRIVAL_S", 0.0)
    monkeypatch.setattr(run, "KEY_GAP_S", 0.0)
    monkeypatch.setattr(run, "DEBOUNCE_S", 0.0)
    monkeypatch.setattr(run, "PAUSE_WINDOW_S", 0.0)
    before = "class 账本:\n    def 合计(self):\n        return 0\n"
    (tmp_path / "a.py").write_text(before, "utf-8")
    edit = Edit("o/r", "zh", "c" * 40, "p" * 40, "a.py", 1, ADDED)

    class Recording:
        name = "recording"

        def __init__(self) -> None:
            self.document = TextDocument("file:///a.py", "")
            self.lines_at_pauses: list[str] = []

        def open(self, path: Path, text: str, language_id: str) -> None:
            self.document = TextDocument("file:///a.py", text)

        def focus(self, offset: int) -> None:
            pass

        def edit(self, start: int, end: int, text: str) -> None:
            self.document.replace(start, end, text)

        def ask(self, offset: int) -> int:
            return offset

        def answer(self, handle: int, until: float) -> None:
            line = self.document.line_of(handle)
            self.lines_at_pauses.append(self.document.text[handle : self.document.line_end(line)])
            return None

        def close_document(self) -> None:
            pass

    recording = Recording()
    records = run.replay(recording, edit, tmp_path, script(ADDED, "seed"))
    assert records and all(rest == "" for rest in recording.lines_at_pauses)  # nothing after the cursor
    assert recording.document.text == before.replace("\n    def", "\n" + ADDED + "    def", 1)
