"""Module names for imports, made comparable across files (relative imports resolved)."""

from __future__ import annotations

import posixpath

from .extract import ImportRow

_SCRIPT_EXTENSIONS = (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts")


def normalize_imports(language: str, rel: str, imports: list[ImportRow]) -> list[ImportRow]:
    """Resolve relative imports of the file at `rel` (POSIX, workspace-relative)."""
    return [(normalize_module(language, rel, module), *rest) for module, *rest in imports]  # type: ignore[misc]


def normalize_module(language: str, rel: str, module: str) -> str:
    """`.utils` in pkg/a.py -> `pkg.utils`; `./工具.js` in src/a.js -> `src/工具`; others unchanged."""
    if language == "python" and module.startswith("."):
        dots = len(module) - len(module.lstrip("."))
        package = rel.split("/")[:-1]
        base = package[: len(package) - (dots - 1)] if dots - 1 <= len(package) else []
        rest = module[dots:]
        return ".".join([*base, rest] if rest else base)
    if module.startswith(("./", "../")):
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(rel), module))
        return strip_script_extension(resolved)
    return module


def strip_script_extension(module: str) -> str:
    for extension in _SCRIPT_EXTENSIONS:
        if module.endswith(extension):
            return module[: -len(extension)]
    return module


def normalize_query_module(module: str) -> str:
    """A module name as a caller gives it (`./utils.js`, `pkg.mod`), in the stored form."""
    return strip_script_extension(module.strip("\"'").removeprefix("./"))
