"""How a person types an edit: keys, the occasional typo taken back, and the pauses where they look up.

The script is data (a list of events), made once per edit from a seeded generator, and replayed with
the same timing against every completer, so the completers see exactly the same event stream.

- The person first opens an empty line where the edit goes (Vim's `O`, Enter at the end of the line
  above), so the line they type on has nothing after the cursor; the script starts on that line.
- A new line's indentation arrives with the newline, as an editor's auto-indent puts it there.
- The person pauses at the start of each line with code on it, and after each word boundary inside a
  line (after a space or one of `.([,=:`) when more of the line follows.
- About one key in `TYPO_RATE` is typed twice and taken back with a backspace (never just before a
  pause, so a pause always sees what the author had written).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

TYPO_RATE = 40  # one key in this many is doubled, then taken back
PAUSE_AFTER = frozenset(" .([,=:")
_WORD_STARTS = frozenset("_\"'([{")


@dataclass(frozen=True)
class Key:
    """Insert `text` at the cursor (one key, or a newline with the next line's indentation)."""

    text: str


@dataclass(frozen=True)
class Backspace:
    """Delete the character before the cursor."""


@dataclass(frozen=True)
class Pause:
    """The person stops here; `typed` characters of the added text are in the document."""

    typed: int


Event = Key | Backspace | Pause


def script(added: str, seed: str) -> list[Event]:
    """The events that type `added` (which ends with a newline) on an empty line opened for it: every
    character but that last newline, which opening the line put there."""
    rng = random.Random(seed)
    events: list[Event] = []
    lines = added.split("\n")[:-1]
    typed = 0
    for number, line in enumerate(lines):
        indent = len(line) - len(line.lstrip(" "))
        if number == 0 and indent:
            events.append(Key(line[:indent]))  # the first line's indentation: the user presses Tab/space
        typed += indent
        body = line[indent:]
        if body.strip():
            events.append(Pause(typed))
        for index, char in enumerate(body):
            rest = body[index + 1 :]
            # A word boundary: the next character starts a word, a string or a bracket (not `==`, `, `).
            pause_next = char in PAUSE_AFTER and (rest[:1].isalnum() or rest[:1] in _WORD_STARTS)
            if not pause_next and rng.randrange(TYPO_RATE) == 0:
                events.extend((Key(char), Backspace()))
            events.append(Key(char))
            typed += 1
            if pause_next:
                events.append(Pause(typed))
        if number + 1 < len(lines):
            following = lines[number + 1]
            next_indent = len(following) - len(following.lstrip(" "))
            events.append(Key("\n" + following[:next_indent]))
            typed += 1
    return events


def pauses(events: list[Event]) -> int:
    return sum(isinstance(event, Pause) for event in events)
