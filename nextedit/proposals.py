"""From the user's latest edit to the edits it calls for elsewhere in the file.

Each kind of proposal is a function from (the document's text now, its recent bursts newest first,
the language) to a `Proposal` or None; the first kind that recognises the latest burst answers. A
kind proposes only what it is sure of: every proposal differs from the text it replaces, and the
document with all of them applied parses wherever it parsed before. When none answers and a model is
at hand, a replacement of one identifier by another is tried as a pattern edit (`pattern.py`), whose
places the model decides.
"""

from __future__ import annotations

from collections.abc import Callable

from daima.indexer.languages import Language, language_for_id
from daima.text import TextDocument

from .edits import Proposal
from .history import Burst
from .pattern import Fill, propose_pattern
from .rename import propose_rename
from .signature import propose_arguments

Kind = Callable[[str, list[Burst], Language], Proposal | None]
KINDS: tuple[Kind, ...] = (propose_rename, propose_arguments)


def propose(document: TextDocument, bursts: list[Burst], fill: Fill | None = None) -> Proposal | None:
    """The edits the user's latest burst in `document` calls for, or None. `bursts`: newest first.
    With a model's `fill`, a replacement no exact kind propagates is tried as a pattern edit."""
    language = language_for_id(document.language_id)
    if not bursts or language is None or language.locals_query is None:
        return None
    text = document.text
    if any(burst.end > len(text) for burst in bursts) or bursts[0].original(text) == text:
        return None
    for kind in KINDS:
        proposal = kind(text, bursts, language)
        if proposal is not None and (proposal.edits or proposal.module_rename):
            return proposal  # a module rename with no edit here still names the files it reaches
    return propose_pattern(text, bursts, language, fill) if fill is not None else None
