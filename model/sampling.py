"""Choosing the next token: bias, forced-prefix masks, greedy or seeded sampling, prompt lookup."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch


def bias_vector(bias: Mapping[int, float] | None, size: int, device: torch.device) -> torch.Tensor | None:
    """OpenAI-style logit bias as a dense vector [V] built once per request (None when empty)."""
    if not bias:
        return None
    vector = torch.zeros(size, device=device)
    ids = torch.tensor([i for i in bias if 0 <= i < size], device=device, dtype=torch.long)
    values = torch.tensor([float(bias[i]) for i in bias if 0 <= i < size], device=device)
    return vector.index_put_((ids,), values)


def restrict(logits: torch.Tensor, allowed: Sequence[int]) -> torch.Tensor:
    """Logits [V] with everything outside `allowed` set to -inf (token healing)."""
    mask = torch.full_like(logits, float("-inf"))
    index = torch.tensor(list(allowed), device=logits.device, dtype=torch.long)
    return mask.index_copy_(0, index, logits.index_select(0, index))


def sample(
    logits: torch.Tensor, temperature: float, top_p: float, generator: torch.Generator | None
) -> torch.Tensor:
    """Next token id as a device tensor [1]; greedy when temperature is 0 (no host sync here)."""
    if temperature <= 0:
        return logits.argmax(-1, keepdim=True)
    probs = torch.softmax(logits / temperature, dim=-1)  # [V]
    if top_p < 1.0:
        sorted_probs, order = probs.sort(descending=True)
        outside = sorted_probs.cumsum(-1) - sorted_probs > top_p  # keep the smallest set reaching top_p
        sorted_probs = sorted_probs.masked_fill(outside, 0.0)
        probs = torch.zeros_like(probs).scatter_(0, order, sorted_probs)
    return torch.multinomial(probs, 1, generator=generator)


class PromptLookup:
    """Prompt-lookup drafting: when the last n tokens occurred before, propose the tokens that followed.

    Keeps a dictionary from each n-gram (n = 1..max_ngram) to where it last ended, updated as tokens are
    appended, so a draft costs a few dictionary lookups instead of a scan of the context.
    """

    def __init__(self, tokens: Sequence[int], max_ngram: int = 3, count: int = 8) -> None:
        self.tokens: list[int] = []
        self.max_ngram, self.count = max_ngram, count
        self._ends: dict[tuple[int, ...], int] = {}
        self._previous: dict[tuple[int, ...], int] = {}
        self.extend(tokens)

    def extend(self, tokens: Sequence[int]) -> None:
        """Append tokens to the context."""
        for token in tokens:
            self.tokens.append(token)
            end = len(self.tokens)
            for n in range(1, min(self.max_ngram, end) + 1):
                gram = tuple(self.tokens[end - n : end])
                if gram in self._ends:
                    self._previous[gram] = self._ends[gram]
                self._ends[gram] = end

    def draft(self) -> list[int]:
        """Up to `count` tokens that followed the longest earlier occurrence of the current tail."""
        end = len(self.tokens)
        for n in range(min(self.max_ngram, end), 0, -1):
            earlier = self._previous.get(tuple(self.tokens[end - n : end]))
            if earlier is not None and self._ends.get(tuple(self.tokens[end - n : end])) == end:
                follow = self.tokens[earlier : earlier + self.count]
                if follow:
                    return follow
        return []
