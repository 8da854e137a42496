"""Build the FIM prompt for one completion: template, mode, token healing, context and the exact budget.

`build_prompt` is a pure function of the document, the cursor and its collaborators; the pipeline calls
it, hands `Prompt.token_ids` (or `text`), `stop`, `stop_token_ids` and `forced_prefix` to the engine, and
uses `mode`/`max_lines` to shape what comes back.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from daima.config import CompletionOptions
from daima.indexer.api import CodeIndex
from daima.indexer.languages import line_comment
from daima.model.api import Engine
from daima.text import TextDocument

from .budget import Boundaries, cut_prefix, cut_suffix, split_budget, suffix_cap
from .context import RecentEdits, gather_context, stable_order
from .healing import Healing, heal
from .mode import decide_mode
from .templates import DEFAULT_REPO_NAME, FimTemplate, Snippet, match_template
from .tokens import TokenCounter

log = logging.getLogger(__name__)

WINDOW_PARSE_LINES = 2000  # larger documents are parsed only around the prompt window
_MAX_TRIMS = 6  # exact re-checks after the per-line estimate (it is almost never over)


@dataclass(frozen=True, kw_only=True)
class SectionTokens:
    """Exact token counts of the prompt and the per-section counts that made it up."""

    prefix: int
    suffix: int
    context: int
    overhead: int  # template tokens and headers (what the sections do not account for)
    total: int  # exact count of the whole prompt (len(token_ids))
    budget: int  # what the prompt was allowed
    # Most suffix tokens the engine's measured prefill speed allowed (budget.suffix_cap); None: no cap.
    suffix_cap: int | None = None


@dataclass(frozen=True, kw_only=True)
class Prompt:
    """Everything the engine and the post-processor need for one completion."""

    text: str
    token_ids: tuple[int, ...]
    stop: tuple[str, ...]
    stop_token_ids: tuple[int, ...]
    forced_prefix: str  # the engine must generate this first; the pipeline strips it (editor has it)
    mode: str  # "line" or "block"
    max_lines: int
    mode_reason: str
    template: str  # family name, e.g. "qwen"
    tokens: SectionTokens
    prefix_start: int  # document offset where the kept prefix starts
    prefix_end: int  # document offset where the prompt's prefix ends (cursor - len(forced_prefix))
    suffix_end: int  # document offset where the kept suffix ends
    snippets: tuple[Snippet, ...]  # the cross-file context, in prompt order


def build_prompt(
    document: TextDocument,
    offset: int,
    *,
    engine: Engine,
    index: CodeIndex | None = None,
    options: CompletionOptions | None = None,
    path: str | Path | None = None,
    language_id: str = "",
    recent_edits: RecentEdits | None = None,
    tree: Any = None,
    snippets: list[Snippet] | None = None,
    anchor: int | None = None,
    headroom: float = 0.0,
    keep_snippets: bool = False,
    kept_suffix_cap: int | None = None,
) -> Prompt:
    """The FIM prompt for a completion at `offset` in `document`; never raises for a too-large input.

    `snippets` is cross-file context the caller gathered itself (the English reading gathers it from the
    document's own text); by default it comes from the index and `recent_edits`. `anchor` (anchor.py): a
    line start where the prefix began at the previous keystroke, kept while the prefix from there fits;
    a fresh cut then leaves `headroom` of the prefix budget free for the lines typed next.
    `keep_snippets`: `snippets` is the context of the previous prompt at this anchor, kept whole (when it
    fits its share) rather than chosen again. `kept_suffix_cap`: the suffix cap the prompt at this anchor
    had, used instead of one from the engine's speed now (None: measure it)."""
    options = options or CompletionOptions()
    info = engine.info
    template = match_template(info, options.template)
    language_id = language_id or document.language_id
    counter = counter_for(engine)
    healing = Healing(offset, "")
    if info.supports_forced_prefix:
        healing = heal(document.text, offset, engine.tokenize, engine.detokenize)

    root = index.root if index is not None else None
    label = _path_label(document, path, root)
    repo = Path(root).name if root else DEFAULT_REPO_NAME
    comment = line_comment(language_id)
    budget = max(0, min(options.prompt_tokens, info.context_length - options.max_tokens - 1))
    overhead = counter.count(template.overhead(path=label, repo=repo))
    specials = info.special_tokens  # atomic in the tokenizer, so the prompt can be tokenized in pieces
    available = max(0, budget - overhead)

    if snippets is None:
        snippets = gather_context(
            document, offset, index=index, path=path, recent_edits=recent_edits, root=root
        )  # fmt: skip
    costs = {id(s): counter.count(template.snippet_text(s, comment=comment)) for s in snippets}
    need_prefix = _tokens_upto(document, 0, healing.cut, available, counter)
    need_suffix = _tokens_upto(document, offset, len(document.text), available, counter, forward=True)
    meter = getattr(engine, "prefill_meter", None)
    cap = kept_suffix_cap
    if cap is None:
        # Measured once per anchor: the speed moves with every prefill (and with the machine's load), and a
        # cap that followed it would move the suffix's end, so a warmed prompt would miss the cache there.
        cap = suffix_cap(
            meter.tokens_per_s if meter else None, options.max_time_ms, options.suffix_time_share
        )
    split = split_budget(
        available,
        suffix_share=options.suffix_share,
        context_share=options.context_share,
        need_prefix=need_prefix,
        need_suffix=need_suffix,
        need_context=sum(costs.values()),
    )
    kept: list[Snippet] = []
    used = 0
    if keep_snippets and sum(costs.values()) <= split.context:
        kept = list(snippets)
    for snippet in [] if kept else snippets:  # priority order: the most useful first
        if used + costs[id(snippet)] <= split.context:
            kept.append(snippet)
            used += costs[id(snippet)]
    context = stable_order(kept)
    # The cap only shortens the suffix. What it gives up is not handed to the prefix: the measured speed
    # moves a little with every request, and a prefix budget that followed it would move the prefix's
    # first line, so the whole prompt would miss the KV cache.
    prefix_budget, suffix_budget = split.prefix, split.suffix if cap is None else min(split.suffix, cap)

    if tree is None:
        # Only the part of the file the prompt can hold needs a tree: find it with plain line cuts
        # (cached token counts make this cheap), then parse just that window of a large file.
        plain = Boundaries(document, None)
        first = cut_prefix(document, healing.cut, prefix_budget, counter, plain)
        last = cut_suffix(document, offset, suffix_budget, counter, plain)
        tree = parse_tree(document, language_id, path, window=(first, last))
    mode = decide_mode(document, offset, language_id=language_id, tree=tree, max_lines=options.max_lines)
    bounds = Boundaries(document, tree)

    anchored = anchor
    if anchored is not None and (
        anchored > healing.cut
        or _tokens_upto(document, anchored, healing.cut, prefix_budget, counter) > prefix_budget
    ):
        anchored = None
    # Headroom only where the budget limits the prefix: a prefix that fits whole starts at the file's
    # first line, which stays put however much is typed after it (until it no longer fits).
    fresh_budget = prefix_budget if need_prefix <= prefix_budget else int(prefix_budget * (1 - headroom))
    for _ in range(_MAX_TRIMS):
        start = (
            anchored
            if anchored is not None
            else cut_prefix(document, healing.cut, fresh_budget, counter, bounds)
        )
        end = cut_suffix(document, offset, suffix_budget, counter, bounds)
        prefix_text, suffix_text = document.text[start : healing.cut], document.text[offset:end]
        text = template.render(
            prefix=prefix_text, suffix=suffix_text, context=context, path=label, repo=repo, comment=comment
        )
        ids = counter.exact(text, specials)
        excess = len(ids) - budget
        if excess <= 0:
            break
        # The per-line estimate was short (tokens merged differently): give up the excess, context first.
        if context:
            context = context[:-1]
        elif anchored is not None:
            anchored = None
        elif prefix_budget >= suffix_budget:
            prefix_budget = max(0, prefix_budget - excess)
            fresh_budget = min(fresh_budget, prefix_budget)
        else:
            suffix_budget = max(0, suffix_budget - excess)
    else:
        log.warning("prompt still %d tokens over its budget after trimming", excess)

    context_tokens = sum(costs.get(id(s), 0) for s in context)
    prefix_tokens = _tokens_upto(document, start, healing.cut, 1 << 30, counter)
    suffix_tokens = _tokens_upto(document, offset, end, 1 << 30, counter, forward=True)
    sections = SectionTokens(
        prefix=prefix_tokens,
        suffix=suffix_tokens,
        context=context_tokens,
        overhead=max(0, len(ids) - prefix_tokens - suffix_tokens - context_tokens),
        total=len(ids),
        budget=budget,
        suffix_cap=cap,
    )
    return Prompt(
        text=text,
        token_ids=tuple(ids),
        stop=template.stop,
        stop_token_ids=stop_token_ids(engine, template),
        forced_prefix=healing.forced_prefix,
        mode=mode.kind,
        max_lines=mode.max_lines,
        mode_reason=mode.reason,
        template=template.family,
        tokens=sections,
        prefix_start=start,
        prefix_end=healing.cut,
        suffix_end=end,
        snippets=tuple(context),
    )


def _tokens_upto(
    document: TextDocument, start: int, end: int, cap: int, counter: TokenCounter, *, forward: bool = False
) -> int:
    """Tokens of document.text[start:end] counted line by line from the cursor side, stopping past `cap`."""
    if end <= start:
        return 0
    text = document.text
    total = 0
    if forward:
        line, piece_start = document.line_of(start), start
        while piece_start < end and total <= cap:
            piece_end = document.line_start(line + 1) if line + 1 < document.line_count else len(text)
            piece_end = min(piece_end, end)
            total += counter.count(text[piece_start:piece_end])
            piece_start, line = piece_end, line + 1
        return total
    line, piece_end = document.line_of(end), end
    while piece_end > start and total <= cap:
        piece_start = max(start, document.line_start(line))
        total += counter.count(text[piece_start:piece_end])
        piece_end, line = piece_start, line - 1
    return total


_COUNTERS: OrderedDict[int, tuple[Engine, TokenCounter]] = OrderedDict()
_COUNTERS_LOCK = threading.Lock()
_STOP_IDS: dict[tuple[int, str, str], tuple[int, ...]] = {}


def counter_for(engine: Engine) -> TokenCounter:
    """The cached token counter of an engine (line counts survive from one keystroke to the next)."""
    with _COUNTERS_LOCK:
        entry = _COUNTERS.get(id(engine))
        if entry is None or entry[0] is not engine:
            entry = (engine, TokenCounter(engine.tokenize))
            _COUNTERS[id(engine)] = entry
            while len(_COUNTERS) > 4:
                _COUNTERS.popitem(last=False)
        return entry[1]


def stop_token_ids(engine: Engine, template: FimTemplate) -> tuple[int, ...]:
    """Ids of the template's stop tokens that are single special tokens of this engine's vocabulary."""
    key = (id(engine), engine.info.name, template.family)
    if key not in _STOP_IDS:
        ids: list[int] = []
        for token in template.stop:
            if token not in engine.info.special_tokens:
                continue
            try:
                encoded = engine.tokenize(token)
            except Exception:
                log.exception("could not tokenize stop token %r", token)
                continue
            if len(encoded) == 1 and encoded[0] not in ids:
                ids.append(encoded[0])
        _STOP_IDS[key] = tuple(ids)
    return _STOP_IDS[key]


def parse_tree(
    document: TextDocument,
    language_id: str,
    path: str | Path | None = None,
    window: tuple[int, int] | None = None,
) -> Any:
    """The document's tree-sitter tree, or None when its language has no grammar (or parsing fails).

    With `window` (str offsets) a large document is parsed only around it, from the nearest line before
    it that starts at column 0 (so the window opens at top level); node positions stay document-wide.
    """
    try:
        import tree_sitter as ts

        from daima.indexer.languages import language_for_id, language_for_path
    except ImportError:
        return None
    try:
        language = language_for_id(language_id) if language_id else None
        if language is None and path is not None:
            language = language_for_path(path)
        if language is None:
            return None
        parser = ts.Parser(language.ts_language)
        if window is not None and document.line_count > WINDOW_PARSE_LINES:
            first = _top_level_line(document, document.line_of(window[0]))
            last = min(document.line_count - 1, document.line_of(window[1]) + 2)
            start, end = document.line_start(first), document.line_end(last)
            start_byte, end_byte = document.byte_offset(start), document.byte_offset(end)
            parser.included_ranges = [
                ts.Range(document.point_at(start), document.point_at(end), start_byte, end_byte)
            ]
        return parser.parse(document.source_bytes)
    except Exception:
        log.exception("could not parse %s for the prompt", document.uri)
        return None


def _top_level_line(document: TextDocument, line: int) -> int:
    """The nearest line at or before `line` whose text starts at column 0 (bounded look-back)."""
    for probe in range(line, max(-1, line - 2000), -1):
        text = document.line_text(probe)
        if text and not text[0].isspace():
            return probe
    return max(0, line - 2000)


def _path_label(document: TextDocument, path: str | Path | None, root: Any) -> str:
    if path is None:
        return document.uri.rsplit("/", 1)[-1] or "untitled"
    if root:
        try:
            return Path(path).relative_to(root).as_posix()
        except ValueError:
            pass
    return Path(path).name
