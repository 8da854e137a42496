"""Chat artefacts that instruct models write around code: markdown fences, prose, special tokens as text."""

from __future__ import annotations

import re

# Special tokens of the FIM families in templates.json, when a model writes them out as plain text.
_SPECIAL_TEXT = re.compile(
    r"<\|(?:endoftext|im_end|im_start|fim_prefix|fim_suffix|fim_middle|fim_pad|file_sep|repo_name)\|>"
    r"|<｜[^｜\n]{1,40}｜>|<fim_(?:prefix|suffix|middle|pad)>|<file_sep>|<EOT>|<end_of_turn>|</s>"
)
# A fence line after the first line closes the code block; everything after it is chat.
_LATER_FENCE = re.compile(r"\n[ \t]*```")
_FENCE_LINE = re.compile(r"^[ \t]*```[\w+#.-]*[ \t]*$")
# Prose that instruct models append after the code. Anchored at a line start and followed by a colon or
# a sentence, so code such as `note = 1` or `This = 2` does not match.
_PROSE = re.compile(
    r"^\s*(?:#+\s*)?(?:\*\*)?(?:Explanation|Note|Output|Example usage|Usage|Test cases?|解释|说明|注意)"
    r"(?:\*\*)?\s*[:：]"
    r"|^\s*(?:This (?:code|function|implementation|solution|will)|Here(?:'s| is)|In this (?:code|example)"
    r"|The (?:above|code|function) )\b"
)


def cut_artefacts(raw: str) -> tuple[str, bool]:
    """Cut `raw` at the first special token written as text or at a closing fence; True if it was cut."""
    cut = len(raw)
    special = _SPECIAL_TEXT.search(raw)
    if special:
        cut = special.start()
    fence = _LATER_FENCE.search(raw, 0, cut)
    if fence:
        cut = fence.start()
    return raw[:cut], cut < len(raw)


def strip_leading_fence(first_line: str) -> bool:
    """True when the completion's first line is a markdown fence such as ```python (to be dropped)."""
    return bool(_FENCE_LINE.match(first_line))


def is_prose_line(line: str) -> bool:
    """True for an explanation line an instruct model writes after the code."""
    return bool(_PROSE.match(line))
