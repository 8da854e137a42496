"""Deterministic checks: tree-sitter queries from `rules/*.scm`, predicates from `dataflow.py`.

A finding is reported when any node of the vulnerable flow (the sink call, the checked argument, or
the text built from input) overlaps a line the change added: a change that adds only the middle line
of a multi-line `cursor.execute(...)`, or only the line that builds the SQL, is found. It is anchored
to the node that starts on an added line (sink, then argument, then built text), else to the innermost
node that spans one, from the first added line inside it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from tree_sitter import Language, Node, Parser, Query, QueryCursor

from daima.indexer.languages import language_for_id, language_for_path, language_named
from daima.review.dataflow import Kind, classify
from daima.review.findings import Finding, Severity
from daima.review.fixes import make_fix
from daima.review.rules import query_source, rules_table
from daima.review.syntax import SYNTAX, Syntax
from daima.review.wrappers import SinkUse, Wrapper, wrapper_uses
from daima.text import TextDocument


def language_of(path: str) -> str | None:
    """The reviewed language of a path (the registry row's `reviewed_as`), from its suffix. Trailing
    blanks and dots do not hide it (`a.py ` runs as `python "a.py "`, and some file systems drop them)."""
    language = language_for_path(path.rstrip(" \t."))
    return language.reviewed_as or None if language is not None else None


def ts_language(name: str) -> Language:
    """The tree-sitter Language of a reviewed language (the registry caches it for the life of the
    process: a Query must not outlive its Language, tree-sitter crashes)."""
    return language_named(name).ts_language


@cache
def _query(name: str) -> Query:
    return Query(ts_language(name), query_source(name))


@dataclass(frozen=True)
class Match:
    """One query match handed to a check."""

    sink: Node
    arg: Node
    captures: dict[str, list[Node]]
    syntax: Syntax


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""


def _literal_value(node: Node) -> str:
    """A string literal's content without quotes or prefixes."""
    text = _text(node)
    return re.sub(r"^[A-Za-z]*('''|\"\"\"|'|\"|`)", "", text).rstrip("'\"`")


def _check_dynamic(m: Match) -> Node | None:
    verdict = classify(m.arg, m.syntax)
    return (verdict.evidence or m.arg) if verdict.kind is Kind.DYNAMIC else None


def _check_non_literal(m: Match) -> Node | None:
    verdict = classify(m.arg, m.syntax)
    return None if verdict.kind is Kind.CONST else (verdict.evidence or m.arg)


def _check_any(m: Match) -> Node | None:
    return m.arg


def _check_unsafe_yaml(m: Match) -> Node | None:
    name = _text(m.captures["_f"][0])
    if name.startswith("unsafe") or name == "full_load":
        return m.arg
    args = m.sink.child_by_field_name("arguments")
    loader: Node | None = None
    for index, child in enumerate(args.named_children if args else []):
        if child.type == "keyword_argument" and _text(child.child_by_field_name("name")) == "Loader":
            loader = child.child_by_field_name("value")
        elif index == 1 and child.type != "keyword_argument":
            loader = child
    safe = loader is not None and re.search(r"(Safe|CSafe|Base)Loader$", _text(loader))
    return None if safe else m.arg


def _check_secret_assignment(m: Match) -> Node | None:
    table = rules_table()
    name = _literal_value(m.captures["_name"][0]).rstrip("_")
    if not re.search(f"(?:{table['secret_name_pattern']})$", name, re.IGNORECASE):
        return None
    if any(child.type in m.syntax.interpolations for child in m.arg.named_children):
        return None
    value = _literal_value(m.arg)
    if len(value) < 6 or value.lower() in table["secret_placeholders"] or re.search(r"[${}<>%]|\s", value):
        return None
    if len(set(value)) < 4:  # "******", "xxxxxxxx"
        return None
    return m.arg


def _check_secret_value(m: Match) -> Node | None:
    text = _text(m.arg)
    return m.arg if any(re.search(p, text) for p in rules_table()["secret_value_patterns"]) else None


CHECKS: dict[str, Callable[[Match], Node | None]] = {
    "dynamic": _check_dynamic,
    "non_literal": _check_non_literal,
    "any": _check_any,
    "unsafe_yaml": _check_unsafe_yaml,
    "secret_assignment": _check_secret_assignment,
    "secret_value": _check_secret_value,
}


def _anchor(
    m: Match, evidence: Node, added: Collection[int], document: TextDocument, prefer_arg: bool
) -> tuple[int, int, int] | None:
    """(line, start, end) of the finding, or None when no node of the flow touches an added line.

    Lines are 0-based rows in tree-sitter; findings and diffs count from 1."""
    nodes = (m.sink, m.arg, evidence)
    starting = [node for node in nodes if node.start_point[0] + 1 in added]
    if starting:
        node = m.arg if prefer_arg and m.arg in starting else starting[0]
        start = document.offset_from_byte(node.start_byte)
        return node.start_point[0] + 1, start, document.offset_from_byte(node.end_byte)
    for node in (evidence, m.arg, m.sink):  # innermost first
        rows = range(node.start_point[0] + 1, node.end_point[0] + 2)
        line = next((row for row in rows if row in added), None)
        if line is not None:
            start = max(document.offset_from_byte(node.start_byte), document.line_start(line - 1))
            return line, start, document.offset_from_byte(node.end_byte)
    return None


def _sink_label(m: Match) -> str:
    if "_name" in m.captures:
        return _literal_value(m.captures["_name"][0])
    if m.sink.id == m.arg.id:
        return "a string literal"
    callee = m.sink.child_by_field_name("function")
    if m.sink.type == "method_invocation":  # Java: receiver.name
        receiver, name = m.sink.child_by_field_name("object"), m.sink.child_by_field_name("name")
        written = f"{_text(receiver)}.{_text(name)}" if receiver is not None else _text(name)
    else:
        written = _text(callee) if callee is not None else _text(m.sink).split("(", 1)[0]
    written = "".join(written.split())
    if not written:
        return m.sink.type
    # A long chain (`knex("users").where(…).whereRaw`) is named by its end, where the sink is.
    return written if len(written) <= 60 else "…" + written[-40:]


@dataclass(frozen=True)
class _Flow:
    """A sink use with how to check it: a query match, or a call of a wrapper sink."""

    rule_id: str
    match: Match
    check: str
    label: str
    settings: dict[str, Any]


def _query_flows(language: str, root: Node, text: str) -> list[_Flow]:
    query, syntax = _query(language), SYNTAX[language]
    flows = []
    for pattern, captures in QueryCursor(query).matches(root):
        sink_names = [name for name in captures if name.startswith("sink.")]
        if not sink_names or "arg" not in captures:
            continue
        settings = query.pattern_settings(pattern)
        required = settings.get("requires")  # e.g. the file must mention the library the sink belongs to
        if required and not re.search(str(required), text):
            continue
        match = Match(captures[sink_names[0]][0], captures["arg"][0], captures, syntax)
        rule_id = sink_names[0].removeprefix("sink.")
        check = str(settings.get("check", "any"))
        label = str(settings.get("label") or _sink_label(match))
        flows.append(_Flow(rule_id, match, check, label, settings))
    return flows


# The checks under which a function's parameter reaching the sink makes the function a wrapper sink.
_WRAPPABLE_CHECKS = frozenset({"dynamic", "non_literal"})


def _sink_uses(flows: list[_Flow]) -> list[SinkUse]:
    return [
        SinkUse(f.rule_id, f.match.sink, f.match.arg, f.label)
        for f in flows
        if f.rule_id in INJECTION_RULES and f.check in _WRAPPABLE_CHECKS
    ]


def _parse(language: str, document: TextDocument) -> Node:
    return Parser(ts_language(language)).parse(document.source_bytes).root_node


def defined_wrappers(path: str, text: str, language: str | None = None) -> list[Wrapper]:
    """The wrapper sinks `text` defines (functions passing a parameter to a sink, or to such a
    function), for the reviews of the files that call them."""
    language = language or language_of(path)
    if language is None:
        return []
    root = _parse(language, TextDocument(path, text))
    uses = _sink_uses(_query_flows(language, root, text))
    return wrapper_uses(root, uses, SYNTAX[language], language, path, [])[1]


def check_file(
    path: str,
    text: str,
    added_lines: Collection[int],
    language: str | None = None,
    wrappers: Sequence[Wrapper] = (),
) -> list[Finding]:
    """Rule findings in `text` (the head version of `path`) on the 1-based `added_lines`; `wrappers`
    are wrapper sinks defined in other files that this one calls."""
    language = language or language_of(path)
    if language is None:
        return []
    syntax = SYNTAX[language]
    document = TextDocument(path, text)
    root = _parse(language, document)
    table = rules_table()
    flows = _query_flows(language, root, text)
    calls, _ = wrapper_uses(root, _sink_uses(flows), syntax, language, path, list(wrappers))
    flows += [_Flow(u.rule_id, Match(u.sink, u.arg, {}, syntax), "dynamic", u.label, {}) for u in calls]
    findings: dict[tuple[str, int], Finding] = {}
    for flow in flows:
        match, settings = flow.match, flow.settings
        evidence = CHECKS[flow.check](match)
        if evidence is None:
            continue
        placed = _anchor(match, evidence, added_lines, document, prefer_arg=settings.get("anchor") == "arg")
        if placed is None:
            continue
        line, start, end = placed
        rule = table["rules"][flow.rule_id]
        fix_name = settings.get("fix")
        fix = make_fix(str(fix_name), match.sink, match.arg, document, language) if fix_name else None
        finding = Finding(
            path=path,
            line=line,
            start=start,
            end=end,
            rule_id=flow.rule_id,
            severity=Severity.parse(rule["severity"]),
            message=rule["message"].format(sink=flow.label),
            message_zh=rule.get("message_zh", "").format(sink=flow.label),
            fix=fix,
        )
        findings.setdefault((flow.rule_id, line), finding)
    return sorted(findings.values(), key=Finding.sort_key)


# The rules a completion must never break: what the code runs is built from input.
INJECTION_RULES = frozenset({"sql-injection", "shell-injection", "code-injection"})


def _reviewed(language_id: str) -> str | None:
    """The reviewed language whose rules apply to an editor language id (None: the reviewer has none)."""
    language = language_for_id(language_id)
    return language.reviewed_as or None if language is not None else None


_QUOTED = re.compile(r'"([^"\s]+)"')
_SINK_PREDICATE = re.compile(r"\(#(?:any-of|eq)\? @_\w+((?:\s+\"[^\"]+\")+)\)")


@cache
def sink_words(language: str) -> frozenset[str]:
    """The names the rules' sink patterns match on (`execute`, `system`, `eval`, ...): text without any
    of them has no sink, so it needs no parse."""
    return frozenset(
        word for group in _SINK_PREDICATE.findall(query_source(language)) for word in _QUOTED.findall(group)
    )


def parameterized(text: str, start: int, end: int, language_id: str) -> str | None:
    """`text[start:end]` (a completion spliced into its document) with its injection rewritten the way
    the review's mechanical fix does (`execute(f"… {x}")` → `execute("… ?", (x,))`), or None when no
    flagged flow there has a fix that stays inside it."""
    lines = set(range(text.count("\n", 0, start) + 1, text.count("\n", 0, end) + 2))
    for finding in injections(text, lines, language_id):
        fix = finding.fix
        if fix is not None and start <= fix.start <= fix.end <= end:
            return text[start : fix.start] + fix.replacement + text[fix.end : end]
    return None


def partial_may_inject(partial: str, after: str, language_id: str) -> bool:
    """Whether text still being generated may turn out to be an injection the final check would refuse:
    it names a sink, or it holds a string and the lines `after` it name one (`sql = "…" + name` above
    `cursor.execute(sql)`). Partial text cannot be checked as a whole (it does not parse yet), so such
    text is held back until the whole suggestion has passed the rules."""
    language = _reviewed(language_id)
    if language is None:
        return False
    words = sink_words(language)
    if any(word in words for word in re.findall(r"\w+", partial)):
        return True
    return any(q in partial for q in "'\"`") and any(word in words for word in re.findall(r"\w+", after))


def injections(text: str, lines: Collection[int], language_id: str, path: str = "") -> list[Finding]:
    """SQL, shell and code injection findings in `text` on the 1-based `lines` (a completion's lines
    spliced into its document); [] for a language the reviewer has no rules for, or lines that can hold
    no part of a flow."""
    language = _reviewed(language_id)
    if language is None or not lines:
        return []
    # A flow reported on these lines has its sink, or the string it builds, there: lines with neither a
    # sink's name nor a quote need no parse (most completions, on the keystroke path).
    chosen = "\n".join(line for number, line in enumerate(text.split("\n"), 1) if number in lines)
    words = sink_words(language)
    if not any(q in chosen for q in "'\"`") and not any(w in words for w in re.findall(r"\w+", chosen)):
        return []
    return [f for f in check_file(path, text, lines, language) if f.rule_id in INJECTION_RULES]
