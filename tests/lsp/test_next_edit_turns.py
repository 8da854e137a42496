"""The model's turns for next edits (lsp/next_edit_feature.py): the latest request of a document runs."""

from __future__ import annotations

from daima.lsp.next_edit_feature import ModelTurns


def test_a_newer_request_or_a_change_stops_the_older_model_work() -> None:
    turns = ModelTurns()
    first = turns.begin("file:///甲.py")
    other = turns.begin("file:///乙.py")
    second = turns.begin("file:///甲.py")
    assert first.cancelled and not second.cancelled and not other.cancelled
    turns.stop("file:///甲.py")
    assert second.cancelled and not other.cancelled
    turns.stop("file:///丙.py")  # nothing running there: nothing to stop
