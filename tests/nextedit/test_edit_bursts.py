"""Edit bursts (nextedit/history.py): adjoining edits merge, and the burst knows what it replaced."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from daima.nextedit.history import EditBursts, revert
from daima.text import TextDocument

TEXT = "def 计算(总价):\n    return 总价 * 2\n"


def test_typing_over_a_name_is_one_burst_that_remembers_the_old_name() -> None:
    document = TextDocument("u", TEXT, 1, "python")
    bursts = EditBursts()
    at = TEXT.index("总价")
    for version, (start, end, new) in enumerate(
        [(at + 1, at + 2, ""), (at + 1, at + 1, "金"), (at + 2, at + 2, "额"), (at, at + 1, "总")], start=2
    ):
        bursts.record("u", [document.replace(start, end, new, version)], version)
    burst = bursts.latest("u")
    assert burst is not None
    assert document.text[burst.start : burst.end] == "总金额"
    assert burst.before == "总价"
    assert burst.original(document.text) == TEXT
    assert burst.version == 5


def test_an_edit_elsewhere_starts_a_new_burst() -> None:
    document = TextDocument("u", TEXT, 1, "python")
    bursts = EditBursts()
    bursts.record("u", [document.replace(4, 6, "求和", 2)], 2)
    before_second = document.text
    end = len(document.text) - 2
    bursts.record("u", [document.replace(end, end + 1, "3", 3)], 3)
    burst = bursts.latest("u")
    assert burst is not None and burst.before == "2"
    assert burst.original(document.text) == before_second
    bursts.forget("u")
    assert bursts.latest("u") is None


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_edits_touching_the_burst_always_give_back_the_text_before_it(data: st.DataObject) -> None:
    text = data.draw(st.text(alphabet="ab总价\n ", min_size=1, max_size=30))
    document = TextDocument("u", text, 0, "python")
    bursts = EditBursts()
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    bursts.record("u", [document.replace(start, end, data.draw(st.text("xy金", max_size=3)), 1)], 1)
    for version in range(2, data.draw(st.integers(2, 8))):
        burst = bursts.latest("u")
        assert burst is not None
        # An edit that starts or ends inside the burst, or right at its edges.
        edit_start = data.draw(st.integers(max(0, burst.start - 3), burst.end))
        highest = min(len(document.text), burst.end + 3)
        edit_end = data.draw(st.integers(max(edit_start, burst.start), highest))
        new = data.draw(st.text("xy金", max_size=3))
        bursts.record("u", [document.replace(edit_start, edit_end, new, version)], version)
    burst = bursts.latest("u")
    assert burst is not None
    assert burst.original(document.text) == text


def test_earlier_bursts_move_with_the_text_and_revert_together() -> None:
    text = "甲 = 1\n乙 = 2\n丙 = 3\n"
    document = TextDocument("u", text, 1, "python")
    bursts = EditBursts()
    bursts.record("u", [document.replace(text.index("丙"), text.index("丙") + 1, "丙丙", 2)], 2)
    bursts.record("u", [document.replace(0, 1, "甲甲甲", 3)], 3)  # before it: it moves by 2
    recent = bursts.recent("u")
    assert [document.text[b.start : b.end] for b in recent] == ["甲甲甲", "丙丙"]
    original, to_current = revert(document.text, recent)
    assert original == text
    second_line = text.index("乙")
    assert document.text[to_current(second_line) :].startswith("乙 = 2")
    assert to_current(0) is None  # inside a reverted burst
    # An edit reaching into the earlier burst drops it: it no longer says what it replaced.
    at = document.text.index("丙丙")
    bursts.record("u", [document.replace(at + 1, at + 3, "", 4)], 4)
    assert [b.before for b in bursts.recent("u")] == ["丙 ", "甲"]
