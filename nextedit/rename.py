"""Rename propagation: the user renamed one identifier of a binding; the others follow.

The burst, widened to the identifier it lies in, must be one identifier now and one identifier
before (`总价` → `总金额`, a typo fixed, a definition or any one use), and the identifier before must
be a variable the scope model resolves in this file. Every other identifier of that binding that
still says the old name is renamed; a shorthand property `{总价}` becomes `{总价: 总金额}` so the
object keeps its key. Attributes and keyword argument names are no variables, so `对象.总价` stays;
but a renamed parameter renames the keyword arguments that pass it in this file's calls
(`计算(折扣=0.9)`), or those calls would break.

Identifiers the user already renamed the same way (by hand, or by accepting one of these edits) are
earlier bursts from the old name to the new: they are reverted along with the latest one before the
binding is looked up, so the binding is whole again and only the rest is proposed.

A variable assigned again in straight-line code holds one value after another; only the identifiers
of the value the user renamed follow (the scope model's value web): `d = 读(甲)` renamed to
`记录 = 读(甲)` takes its reads up to the next `d = …`, not the ones after it.

The result is checked on the renamed document, not trusted: the identifier the user edited and the
ones renamed must form exactly one binding again, no more identifiers and no fewer. A new name that
an inner scope already binds (the renamed reads would go to it) or that the code already reads from
elsewhere (it would be captured) fails that check, and nothing is proposed.
"""

from __future__ import annotations

import re

from daima.indexer.languages import Language

from .edits import Proposal, ProposedEdit, analyse, apply_edits, still_parses
from .history import Burst, revert
from .signature import keyword_arguments

_IDENTIFIER = re.compile(r"[^\W\d]\w*\Z")


def propose_rename(text: str, bursts: list[Burst], language: Language) -> Proposal | None:
    burst = bursts[0]
    names = renamed_identifier(text, burst)
    if names is None:
        return None
    old_name, new_name = names
    start = widen(text, burst.start, burst.end)[0]
    same = [earlier for earlier in bursts[1:] if renamed_identifier(text, earlier) == names]
    original, to_current = revert(text, [burst, *same])
    edited_at = start - sum((b.end - b.start) - len(b.before) for b in same if b.end <= start)
    before = analyse(language, original)
    table = before.table
    edited_byte = before.byte(edited_at)
    found = table.at(before.tree, edited_byte) if table is not None else None
    if table is None or found is None or found[0] != old_name or found[1] is None:
        return None
    binding = found[1]
    edited = next((o for o in binding.occurrences if o.start_byte == edited_byte), None)
    web = table.web(binding, edited) if edited is not None else binding.occurrences
    reason = f"rename {old_name} → {new_name}"
    edits: list[ProposedEdit] = []
    for occurrence in web:
        original_at = before.char(occurrence.start_byte)
        at = to_current(original_at) if original_at != edited_at else None
        if at is None:
            continue  # the identifier the user edited, or one renamed already
        if text[at : at + len(old_name)] != old_name:
            continue  # renamed by hand already
        replacement = f"{old_name}: {new_name}" if occurrence.kind == "shorthand" else new_name
        edits.append(ProposedEdit(at, at + len(old_name), replacement, reason))
    root = before.tree.root_node
    module_level = binding.scope == (root.start_byte, root.end_byte)
    if not edits:
        # A module-level name used nowhere else in its file (`export function 合计`) still reaches the
        # files that import it: the answer has no edit here, and names them.
        renamed = analyse(language, text)
        return (
            Proposal("rename", [], (old_name, new_name))
            if module_level and still_parses(before, renamed)
            else None
        )
    if not _one_binding_again(text, start, new_name, edits, len(web), language):
        return None
    definitions = [o for o in web if o.kind == "definition"]
    definition = before.char(definitions[0].start_byte) if definitions else None
    definition_now = start if definition == edited_at else None
    if definition is not None and definition_now is None:
        definition_now = to_current(definition)
    if definition_now is not None:
        edits += _keyword_edits(text, definition_now, old_name, new_name, language)
    return Proposal("rename", edits, (old_name, new_name) if module_level else None)


def _keyword_edits(
    text: str, definition: int, old_name: str, new_name: str, language: Language
) -> list[ProposedEdit]:
    """Renames of the keyword arguments that pass the renamed binding, when it is a parameter whose
    definition is at `definition` (str offset in the current text)."""
    now = analyse(language, text)
    edits = []
    for keyword in keyword_arguments(now, definition, old_name):
        at = now.char(keyword.start_byte)
        reason = f"rename the keyword argument {old_name}"
        edits.append(ProposedEdit(at, at + len(old_name), new_name, reason))
    return edits


def renamed_identifier(text: str, burst: Burst) -> tuple[str, str] | None:
    """(old name, new name) when the burst, widened to the word it lies in, turned one identifier
    into another; else None."""
    start, end = widen(text, burst.start, burst.end)
    new_name = text[start:end]
    old_name = text[start : burst.start] + burst.before + text[burst.end : end]
    if new_name == old_name or not (_IDENTIFIER.match(new_name) and _IDENTIFIER.match(old_name)):
        return None
    return old_name, new_name


def widen(text: str, start: int, end: int) -> tuple[int, int]:
    """The word characters around text[start:end]."""
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    return start, end


def _one_binding_again(
    text: str, edited_at: int, new_name: str, edits: list[ProposedEdit], size: int, language: Language
) -> bool:
    """Whether, in `text` with `edits` applied, the identifier edited at `edited_at` and the renamed
    ones are one binding of exactly `size` identifiers."""
    after = analyse(language, apply_edits(text, edits))
    if not still_parses(analyse(language, text), after):
        return False
    table = after.table
    if table is None:
        return False
    # Where each new name stands in the renamed text: the edited one, then each edit's (the name
    # ends its replacement text, after `旧: ` in a shorthand property).
    expected, moved, edited_new = set(), 0, edited_at
    for edit in sorted(edits, key=lambda edit: edit.start):
        if edit.start < edited_at:
            edited_new += len(edit.new_text) - (edit.end - edit.start)
        expected.add(edit.start + moved + len(edit.new_text) - len(new_name))
        moved += len(edit.new_text) - (edit.end - edit.start)
    expected.add(edited_new)
    found = table.at(after.tree, after.byte(edited_new))
    if found is None or found[0] != new_name or found[1] is None:
        return False
    binding = found[1]
    starts = {after.char(occurrence.start_byte) for occurrence in binding.occurrences}
    return len(binding.occurrences) == size and expected <= starts
