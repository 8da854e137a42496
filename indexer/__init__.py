"""daima.indexer: a persistent, incremental tree-sitter index of a workspace.

Entry point: `WorkspaceIndex.open(root)`, then `index_all()`; queries return the plain `Symbol` and
`Chunk` dataclasses. `languages` maps files and LSP language ids to grammars and tags queries.
"""

from .api import CodeIndex
from .languages import Language, language_for_id, language_for_path
from .lookup import definition_at
from .model import Chunk, IndexReport, Symbol
from .workspace import WorkspaceIndex

__all__ = [
    "Chunk",
    "CodeIndex",
    "IndexReport",
    "Language",
    "Symbol",
    "WorkspaceIndex",
    "definition_at",
    "language_for_id",
    "language_for_path",
]
