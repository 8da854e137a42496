"""Chat prompts as text, from a table of chat templates (the engine interface takes plain prompts).

Qwen2.5 uses ChatML; Qwen3 adds a thinking switch: with thinking off the assistant turn starts with an
empty `<think></think>` block, as Qwen3's own template does for `enable_thinking=False`. Qwen3-Coder
has the Qwen3 architecture but no thinking mode: its name picks plain ChatML (the table's `names`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from daima.model.api import EngineInfo


@cache
def prompts() -> dict[str, Any]:
    """The prompt and chat-template table (`model_prompts.json`)."""
    return json.loads(resources.files("daima.review").joinpath("model_prompts.json").read_text("utf-8"))


@dataclass(frozen=True)
class Message:
    role: str  # "system", "user" or "assistant"
    content: str


@dataclass(frozen=True)
class ChatTemplate:
    """One family's turn markers, stop strings and thinking switch."""

    turns: dict[str, str]
    generation_prompt: str
    stop: tuple[str, ...]
    thinking: dict[str, str] | None

    def render(self, messages: list[Message], thinking: bool = False) -> str:
        """Prompt text ending with an open assistant turn."""
        text = "".join(self.turns[m.role].replace("{content}", m.content) for m in messages)
        text += self.generation_prompt
        if self.thinking is not None:
            text += self.thinking["on" if thinking else "off"]
        return text

    @staticmethod
    def strip_thinking(answer: str) -> str:
        """The answer without a `<think>...</think>` block (thinking models put it first)."""
        return re.sub(r"^\s*<think>.*?</think>\s*", "", answer, flags=re.S)


def template_for(info: EngineInfo) -> ChatTemplate:
    """The chat template of the engine's model family (ChatML when unknown)."""
    table = prompts()
    model_name = info.name.lower()
    family = info.model_type.lower()
    if not family and "qwen3" in model_name:
        family = "qwen3"
    by_name = [template for part, template in table["names"].items() if part in model_name]
    name = by_name[0] if by_name else table["families"].get(family, table["families"]["default"])
    spec = table["chat_templates"][name]
    turns = {role: spec[role] for role in ("system", "user", "assistant")}
    return ChatTemplate(turns, spec["generation_prompt"], tuple(spec["stop"]), spec["thinking"])
