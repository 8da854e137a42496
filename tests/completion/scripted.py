"""A model double for pipeline tests: it streams scripted answers, as a real engine streams tokens."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from daima.model.api import CancelToken, EngineInfo, GenerationRequest, GenerationStats, TextStream


class ScriptedModel:
    """Streams one scripted answer per request, in small pieces; `cut` ends it early, like a deadline."""

    def __init__(self, answers: list[str], cut: int | None) -> None:
        self.answers, self.cut, self.calls = answers, cut, 0
        self._info = EngineInfo(name="scripted", model_type="qwen2")

    @property
    def info(self) -> EngineInfo:
        return self._info

    def tokenize(self, text: str) -> list[int]:
        return list(text.encode())

    def detokenize(self, ids: Sequence[int]) -> str:
        return bytes(ids).decode("utf-8", "replace")

    def stream(self, request: GenerationRequest, cancel: CancelToken | None = None) -> TextStream:
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        stats = GenerationStats()
        if self.cut is not None and self.cut < len(answer):
            answer, stats.finish_reason = answer[: self.cut], "deadline"

        def deltas() -> Iterator[str]:
            yield from (answer[i : i + 3] for i in range(0, len(answer), 3))

        return TextStream(deltas=deltas(), stats=stats)
