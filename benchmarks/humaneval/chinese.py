"""The Chinese-identifier variant of HumanEval: parameters and locals renamed to natural Chinese names.

Renaming works on `tokenize` tokens, so strings, comments, docstrings and the tests stay as they are;
attributes (`x.name`), keyword arguments and function names are never renamed. Names come from the
table in zh_names.json (word by word for snake_case names); the renamed problem is only used when its
canonical solution still passes its tests (the caller checks that).
"""

from __future__ import annotations

import builtins
import io
import json
import keyword
import tokenize
from functools import cache
from importlib import resources

from .tasks import Problem

_ASSIGN = ("=", "+=", "-=", "*=", "/=", "//=", "%=", ":=")
_NOT_RENAMED = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | {"self", "cls", "_"}


@cache
def _table() -> dict[str, str]:
    raw = resources.files("benchmarks.humaneval").joinpath("zh_names.json").read_text("utf-8")
    return {k: v for k, v in json.loads(raw).items() if not k.startswith("_")}


def chinese_name(name: str, taken: set[str]) -> str:
    """A natural Chinese name for an English identifier, unique among `taken`."""
    table = _table()
    base = table.get(name) or table.get(name.lower())
    if base is None:
        parts = [part for part in name.lower().split("_") if part]
        words = [table.get(part) or table.get(part.rstrip("0123456789")) for part in parts]
        base = "".join(w for w in words if w) if parts and all(words) else ""
        digits = name[len(name.rstrip("0123456789")) :]
        if base and digits and not base.endswith(digits):
            base += digits
    if not base:
        base = "变量"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}{number}", number + 1
    return candidate


def local_names(code: str) -> list[str]:
    """Parameters and local variables of the functions in `code`, in order of first appearance."""
    tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    defined_functions = {
        tokens[i + 1].string for i, t in enumerate(tokens[:-1]) if t.string in ("def", "class")
    }
    imported: set[str] = set()
    names: list[str] = []
    depth = 0
    state = ""  # "params" inside a def's parameter list, "for" between for and in, "import"
    for index, token in enumerate(tokens):
        text = token.string
        previous = tokens[index - 1].string if index else ""
        following = tokens[index + 1].string if index + 1 < len(tokens) else ""
        if token.type == tokenize.OP:
            if text in "([{":
                depth += 1
            elif text in ")]}":
                depth -= 1
                if state == "params" and depth == 0:
                    state = ""
            continue
        if token.type == tokenize.NEWLINE:
            state = "" if state == "import" else state
            continue
        if token.type != tokenize.NAME:
            continue
        if text in ("import", "from"):
            state = "import"
            continue
        if state == "import":
            imported.add(text)
            continue
        if text == "def":
            state = "def"
            continue
        if state == "def" and previous == "def":
            state = "params"
            continue
        if text in ("for", "lambda"):
            state = text
            continue
        if (text == "in" and state == "for") or (text == ":" and state == "lambda"):
            state = ""
            continue
        if previous == "." or keyword.iskeyword(text):
            continue
        assigns = following in _ASSIGN and (depth == 0 or state != "params") and previous not in ("(", ",")
        binds = (
            (state == "params" and depth == 1 and previous in ("(", ",", "*", "**"))
            or state in ("for", "lambda")
            or assigns
            or (following == "=" and depth == 0)
            or previous == "as"
        )
        if binds and text not in names:
            names.append(text)
    return [n for n in names if n not in _NOT_RENAMED and n not in defined_functions and n not in imported]


def rename(code: str, mapping: dict[str, str]) -> str:
    """`code` with every variable use of the mapped names replaced (not attributes or keyword arguments)."""
    tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    lines = code.splitlines(keepends=True)
    edits: list[tuple[int, int, int, str]] = []
    depth_stack: list[str] = []
    for index, token in enumerate(tokens):
        if token.type == tokenize.OP and token.string in "([{":
            opener_owner = tokens[index - 1] if index else None
            is_call = opener_owner is not None and opener_owner.type == tokenize.NAME and token.string == "("
            in_def = index >= 2 and tokens[index - 2].string == "def"
            depth_stack.append("def" if in_def else "call" if is_call else "other")
        elif token.type == tokenize.OP and token.string in ")]}" and depth_stack:
            depth_stack.pop()
        if token.type != tokenize.NAME or token.string not in mapping:
            continue
        previous = tokens[index - 1].string if index else ""
        following = tokens[index + 1].string if index + 1 < len(tokens) else ""
        if previous == ".":
            continue
        if following == "=" and depth_stack and depth_stack[-1] == "call" and previous in ("(", ","):
            continue  # keyword argument of a call: the callee's parameter name, not ours
        (row, col), (_, end_col) = token.start, token.end
        edits.append((row, col, end_col, mapping[token.string]))
    for row, col, end_col, new in reversed(edits):
        line = lines[row - 1]
        lines[row - 1] = line[:col] + new + line[end_col:]
    return "".join(lines)


def chinese_problem(problem: Problem) -> tuple[Problem, dict[str, str]]:
    """The problem with its parameters and locals renamed; the prompt/solution split is kept by lines."""
    code = problem.code
    taken: set[str] = set()
    mapping: dict[str, str] = {}
    for name in local_names(code):
        if name == problem.entry_point:
            continue
        mapping[name] = chinese_name(name, taken)
        taken.add(mapping[name])
    renamed = rename(code, mapping)
    prompt_lines = problem.prompt.count("\n")
    lines = renamed.splitlines(keepends=True)
    prompt = "".join(lines[:prompt_lines])
    return Problem(
        problem.task_id, prompt, renamed[len(prompt) :], problem.test, problem.entry_point
    ), mapping
