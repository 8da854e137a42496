"""Model review: changed hunks plus context go to an instruct model; its JSON answer becomes findings.

The model can only add findings: its answer is parsed as data, validated against `finding_schema.json`,
and each finding must sit on a line the change added and on a line no rule finding already covers.
Rule findings never pass through the model, so nothing in a diff can suppress them.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from daima.model.api import Engine, EngineError, GenerationRequest
from daima.review.chat import Message, prompts, template_for
from daima.review.diff import ChangedFile
from daima.review.findings import MODEL_RULE_ID, Finding, Severity
from daima.text import TextDocument

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class ModelReviewOptions:
    """How the model is asked."""

    thinking: bool = False  # thinking mode, for model families that have one (Qwen3)
    max_tokens: int = 384  # per answer; a thinking model needs more
    context_chars: int = 3000  # budget for context from the repository
    timeout_s: float = 300.0  # per answer
    max_lines_per_request: int = 150  # a larger change is reviewed in several requests


@cache
def answer_schema() -> dict[str, Any]:
    """The JSON schema a model answer must satisfy."""
    return json.loads(resources.files("daima.review").joinpath("finding_schema.json").read_text("utf-8"))


def hunk_blocks(changed: ChangedFile, text: str, max_lines: int) -> list[str]:
    """The hunks as numbered head lines (`+` marks added ones), cut into blocks of at most `max_lines`
    lines so that a large change becomes several requests; blocks without an added line are left out."""
    lines = text.splitlines()
    blocks: list[list[str]] = [[]]
    has_added = [False]
    for hunk in changed.hunks:
        header = f"@@ lines {hunk.start}-{hunk.start + max(hunk.length, 1) - 1}"
        blocks[-1].append(header)
        for number in range(hunk.start, hunk.start + hunk.length):
            if not 1 <= number <= len(lines):
                continue
            if len(blocks[-1]) >= max_lines:
                blocks.append([header + " (continued)"])
                has_added.append(False)
            added = number in changed.added_lines
            has_added[-1] |= added
            blocks[-1].append(f"{'+' if added else ' '} {number}| {lines[number - 1]}")
    return ["\n".join(block) for block, keep in zip(blocks, has_added, strict=True) if keep]


def quote_untrusted(text: str) -> str:
    """Untrusted text made unable to open chat turns or close the blocks it is quoted in."""
    # "<|im_end|>" typed in a diff would be tokenized as the real special token and start a new turn.
    text = text.replace("<|", "<\u200b|").replace("|>", "|\u200b>")
    for marker in ("<<<DIFF", "DIFF>>>", "<<<CONTEXT", "CONTEXT>>>"):
        text = text.replace(marker, marker.replace("<<<", "<\u200b<<").replace(">>>", ">>\u200b>"))
    return text


def build_messages(path: str, block: str, language: str, context: str) -> list[Message]:
    """System and user messages for one block of a changed file's hunks."""
    table = prompts()
    context = quote_untrusted(context)
    context_block = table["context"].replace("{context}", context) if context else ""
    values = {
        "path": quote_untrusted(path),
        "language": language,
        "context": context_block,
        "hunks": quote_untrusted(block),
    }
    # One pass, so text from the change can never be taken for another placeholder.
    user = re.sub(r"\{(path|language|context|hunks)\}", lambda m: values[m.group(1)], table["user"])
    return [Message("system", table["system"]), Message("user", user)]


def parse_answer(answer: str) -> list[dict[str, Any]]:
    """The findings of a model answer; raises ValueError saying why the answer is invalid."""
    body = re.sub(r"^\s*```(?:json)?\s*|\s*```\s*$", "", answer.strip())
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end < start:
        raise ValueError("no JSON object in the answer")
    try:
        data = json.loads(body[start : end + 1])
    except json.JSONDecodeError as error:
        raise ValueError(f"invalid JSON: {error.msg}") from None
    try:
        jsonschema.validate(data, answer_schema())
    except jsonschema.ValidationError as error:
        raise ValueError(f"schema: {error.message[:200]}") from None
    return list(data["findings"])


def _clean(message: str) -> str:
    # A model message is shown inside review comments: no fences (a ```suggestion block would offer a
    # change the model made up), no control characters, one paragraph.
    message = message.replace("```", "'''")
    message = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", message)
    return " ".join(message.split())[:500]


def _ask(engine: Engine, messages: list[Message], options: ModelReviewOptions) -> str:
    template = template_for(engine.info)
    request = GenerationRequest(
        prompt=template.render(messages, thinking=options.thinking),
        max_tokens=options.max_tokens,
        stop=template.stop,
        deadline=time.monotonic() + options.timeout_s,
        temperature=0.0,
    )
    return template.strip_thinking(engine.stream(request).text())


def _answer_items(
    engine: Engine, messages: list[Message], options: ModelReviewOptions, path: str
) -> list[dict[str, Any]] | None:
    """The validated findings of one request (one retry on an invalid answer); None when dropped."""
    for attempt in range(2):
        try:
            answer = _ask(engine, messages, options)
        except EngineError as error:
            log.warning("model review of %s skipped: the engine failed: %s", path, error)
            return None
        try:
            return parse_answer(answer)
        except ValueError as error:
            log.info("model answer for %s was invalid (attempt %d): %s", path, attempt + 1, error)
            retry = prompts()["retry"].replace("{error}", str(error))
            echoed = Message("assistant", quote_untrusted(answer[:2000]))
            messages = [*messages, echoed, Message("user", retry)]
    log.warning("model review of %s dropped: the answer was not valid JSON findings after a retry", path)
    return None


def review_file(
    engine: Engine,
    changed: ChangedFile,
    text: str,
    language: str,
    context: str,
    rule_lines: Collection[int],
    options: ModelReviewOptions,
) -> tuple[list[Finding], int]:
    """Model findings for one file, and how many answers were dropped as invalid after a retry."""
    document = TextDocument(changed.path, text)
    findings: dict[int, Finding] = {}
    dropped = 0
    for block in hunk_blocks(changed, text, options.max_lines_per_request):
        messages = build_messages(changed.path, block, language, context)
        items = _answer_items(engine, messages, options, changed.path)
        if items is None:
            dropped += 1
            continue
        for item in items:
            line = int(item["line"])
            if line not in changed.added_lines or line in rule_lines or line in findings:
                continue  # only changed lines, never on top of a rule finding, one per line
            if line > document.line_count:
                continue
            findings[line] = Finding(
                path=changed.path,
                line=line,
                start=document.line_start(line - 1),
                end=document.line_end(line - 1),
                rule_id=MODEL_RULE_ID,
                severity=Severity.parse(item["severity"]),
                message=_clean(str(item["message"])),
                source="model",
            )
    return sorted(findings.values(), key=Finding.sort_key), dropped
