"""The model's side of pattern edits: fill one hole between a prefix and a suffix, within a deadline.

A pattern edit asks about one word at a time (`pattern.py`), so a fill is a short greedy generation in
the model family's FIM format, stopped at the end of its first line. Given words, the fill is held to
their tokens (a logit bias no other token can overcome) and as long as the longest of them: the model
chooses among them instead of writing something else. The whole request shares one deadline: once it
has passed, the fill says None and the proposal keeps what was decided.
"""

from __future__ import annotations

import time

from daima.completion.templates import FimTemplate, match_template
from daima.model.api import CancelToken, Engine, EngineError, GenerationRequest

from .pattern import Fill

MAX_FILL_TOKENS = 12  # an identifier: a Chinese one takes a token or two a character
CHOICE_BIAS = 100.0  # logits of a 0.5B–7B model span a few tens: the words' tokens always win


def model_fill(
    engine: Engine, deadline: float, template: FimTemplate | None = None, cancel: CancelToken | None = None
) -> Fill:
    """A `Fill` over `engine` that answers None from `deadline` (time.monotonic()) on."""
    family = template or match_template(engine.info)

    def fill(prefix: str, suffix: str, words: tuple[str, ...] = ()) -> str | None:
        if time.monotonic() >= deadline or (cancel is not None and cancel.cancelled):
            return None
        spelled = [engine.tokenize(word) for word in words]
        request = GenerationRequest(
            prompt=family.render(prefix=prefix, suffix=suffix),
            max_tokens=max((len(ids) for ids in spelled), default=MAX_FILL_TOKENS),
            stop=(*family.stop, "\n"),
            deadline=deadline,
            logit_bias={token: CHOICE_BIAS for ids in spelled for token in ids} or None,
        )
        try:
            stream = engine.stream(request, cancel)
            text = stream.text()
        except EngineError:
            return None
        return None if stream.stats.finish_reason in ("deadline", "cancelled") else text

    return fill
