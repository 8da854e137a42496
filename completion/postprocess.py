"""Shape raw model output into a suggestion that fits the hole, incrementally, as the stream arrives.

`PostProcessor.feed(delta)` takes text deltas and says when to stop generating; `partial` is the
suggestion so far (for early display: the first line as it grows, later lines once complete) and
`finish()` the final one. The rules, each a small function so tests can hit them one by one:
- strip the token-healing forced prefix (the engine returns it; the editor already has it);
- drop chat artefacts of instruct models: a leading markdown fence, and stop at a closing fence, at
  prose such as "Explanation:" and at special tokens written out as text;
- single-line mode stops at the end of the line; block mode stops at a line that leaves the block the
  completion started in (the syntax tree where it can tell, block_tree.py; indentation otherwise), at
  a closing bracket that closes it, at the line cap, and before a `return` (`raise`, `break`, ...) at
  the cursor's level when code after the cursor continues the block (it would be unreachable);
- stop where the completion starts repeating the suffix (whole lines), and drop the tail of the first
  line that the rest of the cursor line already has (a closing `)` that is there);
- drop repeated lines and repeated blocks;
- balance brackets against the rest of the line.
The splice validity check and name resolution work on whole candidates and live in syntax.py/names.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .artefacts import cut_artefacts, is_prose_line, strip_leading_fence
from .block_tree import BlockTree, PrefixTree
from .blocks import closes_block, leaves_block, opens_block
from .needs import code_follows_in_block, ends_flow
from .suffix import balance_line, is_duplicate_of_suffix, repeat_start, repeats_suffix


@dataclass(frozen=True, kw_only=True)
class Hole:
    """What the post-processor knows about where the completion goes."""

    prefix: str  # document text before the cursor
    suffix: str  # document text after the cursor
    mode: str = "block"  # "line" or "block"
    max_lines: int = 8
    forced_prefix: str = ""  # token healing: the stream starts with this text, which the editor has
    comment: str = "#"  # line comment marker of the language, for bracket balancing
    language: str = ""  # language id, for the syntax-tree block end ("" = indentation only)
    # The prefix's bytes and tree, where the caller has them cheaper than a parse (block_tree.py).
    prefix_tree: PrefixTree | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Processed:
    """The post-processed text, and how far before the cursor the replaced range starts."""

    text: str
    back: int = 0  # > 0 when the stream did not reproduce the forced prefix: replace it too


class PostProcessor:
    """Feed it deltas; it tells you when to stop, and gives the suggestion so far and at the end."""

    def __init__(self, hole: Hole) -> None:
        self.hole = hole
        self._raw = ""
        self._lines: list[str] = []  # accepted complete lines of the completion
        self._done = False
        self._back = 0
        self._fp_checked = not hole.forced_prefix
        self._fence_checked = False
        self._cursor_line = hole.prefix[hole.prefix.rfind("\n") + 1 :]
        self._rest_of_line = hole.suffix.split("\n", 1)[0].rstrip("\r")
        self._suffix_lines = hole.suffix.split("\n")[1:]
        self._tree = None
        if hole.mode == "block" and hole.language:
            self._tree = BlockTree(hole.prefix, hole.language, hole.prefix_tree)
        # The body already goes on after the cursor (`return 总价` under a blank first line): the block
        # to write is what comes before that code, so a line that leaves the block ends it.
        self._code_follows = hole.mode == "block" and code_follows_in_block(self._cursor_line, hole.suffix)

    @property
    def done(self) -> bool:
        return self._done

    def feed(self, delta: str) -> bool:
        """Take one text delta; True means the stream can stop (nothing after this will be kept)."""
        if self._done:
            return True
        self._raw += delta
        if not self._fp_checked:
            forced = self.hole.forced_prefix
            if len(self._raw) < len(forced) and forced.startswith(self._raw):
                return False
            self._fp_checked = True
            if self._raw.startswith(forced):
                self._raw = self._raw[len(forced) :]
            else:
                self._back = len(forced)  # the model chose another word: replace the typed part too
        cut, stopped = cut_artefacts(self._raw)
        if stopped:
            self._raw = cut
        while not self._done and "\n" in self._raw:
            line, self._raw = self._raw.split("\n", 1)
            self._accept_line(line.rstrip("\r"))
        if stopped:
            self._finish_tail()
        return self._done

    def _finish_tail(self) -> None:
        """Take the last, unterminated line as a line of its own and stop."""
        if not self._done and self._raw:
            tail, self._raw = self._raw, ""
            self._accept_line(tail.rstrip("\r"))
        self._done = True

    def _accept_line(self, line: str) -> None:
        index = len(self._lines)
        if not self._fence_checked:
            self._fence_checked = True
            if strip_leading_fence(line):
                return
        if index == 0 and not self._cursor_line.strip() and self._cursor_line:
            line = line.lstrip(" \t")  # the cursor is already indented: more would break the block
        if self.hole.mode == "line":
            self._lines.append(line)
            self._done = True
            return
        if index > 0 and self._should_stop_before(line):
            self._done = True
            return
        self._lines.append(line)
        if (
            closes_block(self._cursor_line, "\n".join(self._lines), self.hole.comment)
            or sum(1 for item in self._lines if item.strip()) >= self.hole.max_lines
        ):
            self._done = True

    def _should_stop_before(self, line: str) -> bool:
        """True when `line` and everything after it should go (it may also drop repeated lines)."""
        if is_prose_line(line) or repeats_suffix(line, self._suffix_lines):
            return True
        if self._code_follows and ends_flow(self._cursor_line, "\n" + line):
            return True
        so_far = "\n".join(self._lines)
        leaves = self._tree.leaves(so_far, line) if self._tree is not None else None
        if leaves is None:
            leaves = leaves_block(self._cursor_line, self._lines[0], so_far, line, self.hole.comment)
        if leaves:
            return True
        cut = repeat_start(self._lines, line)
        if cut is not None:
            del self._lines[cut:]
            return True
        return False

    @property
    def partial(self) -> str:
        """The suggestion so far, for display while the stream runs: the accepted lines, plus the line
        being generated while it is the first one (so a one-line suggestion grows token by token).
        Later lines show once complete: a block line may still be dropped when its end arrives."""
        lines = list(self._lines)
        tail = self._showable_tail()
        if tail and not lines:
            lines.append(tail)
        return self._assemble(lines, final=False)

    def _showable_tail(self) -> str:
        """The unterminated current line, or "" while it could still turn out to be an artefact."""
        if self._done or not self._fp_checked or not self._raw:
            return ""
        tail = self._raw.rstrip("\r")
        if not self._fence_checked and tail.lstrip().startswith("`"):
            return ""  # maybe a markdown fence
        if tail.rstrip().endswith(("<", "<|", "<｜")) or is_prose_line(tail):
            return ""  # maybe a special token written out as text, or prose
        if not self._cursor_line.strip() and self._cursor_line:
            tail = tail.lstrip(" \t")  # as `_accept_line` does for the first line
        return tail

    def finish(self, *, cut_short: bool = False) -> Processed:
        """The final suggestion after the stream ended (or `feed` said stop). `cut_short`: the stream was
        ended by a deadline or the token limit, not by the model, so an unterminated last line is a
        fragment (`return` of `return 总价`) and is dropped: a suggestion is whole lines or nothing. So is
        a last line that opens a block whose body never came (`else:` after `return "YES"`): past the
        first line, a block is a unit too."""
        if cut_short and not self._done:
            self._raw = ""
        self._finish_tail()
        if cut_short and not self._done:
            while len(self._lines) > 1 and opens_block(self._lines[-1]):
                self._lines.pop()
        return Processed(self._assemble(self._lines, final=True), self._back)

    def _assemble(self, lines: list[str], *, final: bool) -> str:
        lines = [line.rstrip(" \t") for line in lines]  # trailing spaces are noise in ghost text
        while lines and not lines[-1].strip() and len(lines) > 1:
            lines.pop()  # trailing blank lines are noise in ghost text
        if not lines:
            return ""
        if self.hole.mode == "line":
            lines = lines[:1]
        text = "\n".join(lines)
        if final:
            # Closing brackets the model left open only makes sense once it has stopped for good.
            text = balance_line(
                self._cursor_line,
                text,
                self._rest_of_line,
                comment=self.hole.comment,
                close_open=self.hole.mode == "line",
            )
        return text


def suggestion_text(hole: Hole, processed: Processed) -> str | None:
    """The text to suggest, or None for empty, whitespace-only and duplicate-of-suffix results."""
    text = processed.text
    if not text.strip() or is_duplicate_of_suffix(text, hole.suffix):
        return None
    return text


def process(hole: Hole, raw: str) -> Processed:
    """Post-process a whole completion at once (tests, eval)."""
    processor = PostProcessor(hole)
    processor.feed(raw)
    return processor.finish()
