"""The architecture's invariants, read from the source (docs/architecture.md says why each exists).

- Packages form layers: a package imports only those below it, so each can be understood (and tested)
  without the ones above; the LSP server is the only place that sees everything.
- No import cycle between modules (imports written only for type checking aside): a cycle means two
  modules that can only be read together.
- torch lives in `model/` (the server starts, indexes and answers without it), pygls and lsprotocol in
  `lsp/` (completion, the index and the reviewer are plain Python any client can call).
- Tree-sitter grammars are named only by the language registry (`indexer/languages.py`): one row per
  language is the one place a language is added.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
# Package folder -> dotted name, lowest layer first; a package may import only from earlier layers.
LAYERS: list[dict[str, str]] = [
    {"daima": "daima"},
    {"indexer": "daima.indexer", "model": "daima.model"},
    {"review": "daima.review"},
    {"completion": "daima.completion"},
    {"nextedit": "daima.nextedit"},
    {"lsp": "daima.lsp"},
]
PACKAGES = {folder: name for layer in LAYERS for folder, name in layer.items()}
LEVEL = {name: level for level, layer in enumerate(LAYERS) for name in layer.values()}


def _modules() -> dict[str, Path]:
    found = {}
    for folder, package in PACKAGES.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            name = ".".join((package, *parts)).removesuffix(".__init__")
            found[name] = path
    return found


MODULES = _modules()


def _imports(module: str, path: Path, *, typing_too: bool) -> Iterator[tuple[str, int]]:
    """(imported module, line) for each import; those under `if TYPE_CHECKING:` only when asked."""
    tree = ast.parse(path.read_text("utf-8"))
    skip: set[int] = set()
    if not typing_too:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skip.update(id(child) for statement in node.body for child in ast.walk(statement))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            yield target, node.lineno
            for alias in node.names:  # `from . import words` imports a module
                if f"{target}.{alias.name}" in MODULES:
                    yield f"{target}.{alias.name}", node.lineno


def _package(module: str) -> str | None:
    best = None
    for name in LEVEL:
        if (module == name or module.startswith(name + ".")) and (best is None or len(name) > len(best)):
            best = name
    return best


def test_packages_import_only_lower_layers() -> None:
    wrong = []
    for module, path in MODULES.items():
        own = _package(module)
        assert own is not None
        for target, line in _imports(module, path, typing_too=True):
            other = _package(target)
            if other is not None and other != own and LEVEL[other] >= LEVEL[own]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert wrong == []


def test_no_import_cycle_between_modules() -> None:
    graph = {
        module: {t for t, _ in _imports(module, path, typing_too=False) if t in MODULES and t != module}
        for module, path in MODULES.items()
    }
    # A package's __init__ re-exports its modules: importing it is importing them, not a cycle.
    for module in graph:
        graph[module] = {t for t in graph[module] if not module.startswith(t + ".")}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(module: str, stack: list[str]) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycles.append([*stack[stack.index(target) :], target])
            elif target not in state:
                visit(target, stack)
        stack.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [])
    assert cycles == []


@pytest.mark.parametrize(
    ("library", "home"),
    [("torch", "model"), ("transformers", "model"), ("pygls", "lsp"), ("lsprotocol", "lsp")],
)
def test_heavy_and_protocol_libraries_stay_in_their_package(library: str, home: str) -> None:
    outside = [
        f"{path.relative_to(ROOT)}:{line}"
        for module, path in MODULES.items()
        if not module.startswith(PACKAGES[home] + ".")
        for target, line in _imports(module, path, typing_too=True)
        if target == library or target.startswith(library + ".")
    ]
    assert outside == []


def test_grammars_are_named_only_by_the_language_registry() -> None:
    registry = ROOT / "indexer" / "languages.py"
    named = [
        f"{path.relative_to(ROOT)}"
        for path in MODULES.values()
        if path != registry and "tree_sitter_" in path.read_text("utf-8")
    ]
    assert named == []


def test_protocol_json_only_through_lsprotocol_s_public_converter() -> None:
    private = [
        f"{path.relative_to(ROOT)}"
        for path in MODULES.values()
        if "._converter" in path.read_text("utf-8") or '"character":' in path.read_text("utf-8")
    ]
    assert private == []


def test_no_product_module_is_over_400_lines() -> None:
    # A module a newcomer can read in one sitting; the ones still over are listed, to be split next.
    still_over = {"indexer/bindings.py", "daima/text.py", "model/transformer.py", "model/engine.py"}
    long = {
        str(path.relative_to(ROOT))
        for path in MODULES.values()
        if len(path.read_text("utf-8").splitlines()) > 400
    }
    assert long <= still_over, sorted(long - still_over)


def test_text_is_measured_in_utf8_bytes_only_by_the_position_owner() -> None:
    # Tree-sitter counts UTF-8 bytes; a `len(s.encode(...))` elsewhere is an offset computed by hand, the
    # kind that once put ghost text a column off after a Chinese name. `daima.text.utf8_length` it is.
    owner = ROOT / "daima" / "text.py"
    measuring = re.compile(r"len\([^()]*\.encode\(")
    by_hand = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in MODULES.values()
        if path != owner
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if measuring.search(line)
    ]
    assert by_hand == []
