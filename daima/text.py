"""Text documents and the one place that converts between position systems.

Four ways of pointing into the same text meet in daima:
- LSP positions: (line, character) where `character` counts UTF-16 code units by default, or UTF-8
  bytes / UTF-32 code points when the client negotiated that encoding;
- Python `str` indices (code points), which is what every other module uses;
- UTF-8 byte offsets and (row, byte column) points, which is what tree-sitter uses;
- line/column for humans and for `daima complete FILE:LINE:COL`.

Every conversion lives here so that no other module does offset arithmetic. Lines end at CRLF, CR or
LF, as the LSP specification says.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class PositionEncoding(StrEnum):
    """How the `character` of an LSP position is counted."""

    UTF8 = "utf-8"
    UTF16 = "utf-16"
    UTF32 = "utf-32"


class PositionError(ValueError):
    """A position or range that does not exist in the document."""


@dataclass(frozen=True, slots=True)
class Position:
    """Zero-based line and character, counted in some `PositionEncoding`."""

    line: int
    character: int


@dataclass(frozen=True, slots=True)
class Range:
    """Half-open range between two positions."""

    start: Position
    end: Position


@dataclass(frozen=True, slots=True)
class AppliedEdit:
    """What an edit changed, in every unit its consumers need (str, bytes, tree-sitter points)."""

    start: int
    old_end: int
    new_end: int
    start_byte: int
    old_end_byte: int
    new_end_byte: int
    start_point: tuple[int, int]
    old_end_point: tuple[int, int]
    new_end_point: tuple[int, int]


def _units(text: str, encoding: PositionEncoding) -> int:
    """Length of `text` in the code units of `encoding`."""
    if encoding is PositionEncoding.UTF32 or text.isascii():
        return len(text)
    if encoding is PositionEncoding.UTF16:
        return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)
    return len(text.encode("utf-8", "surrogatepass"))


def _index_for_units(line: str, units: int, encoding: PositionEncoding) -> int:
    """Index into `line` of the character that starts at `units`; inside a character snaps to its start."""
    if encoding is PositionEncoding.UTF32 or line.isascii():
        return min(units, len(line))
    counted = 0
    for index, ch in enumerate(line):
        width = _char_units(ch, encoding)
        if counted + width > units:
            return index
        counted += width
    return len(line)


def _char_units(ch: str, encoding: PositionEncoding) -> int:
    code = ord(ch)
    if encoding is PositionEncoding.UTF16:
        return 2 if code > 0xFFFF else 1
    if encoding is PositionEncoding.UTF8:
        if code < 0x80:
            return 1
        if code < 0x800:
            return 2
        return 4 if code > 0xFFFF else 3
    return 1


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


class TextDocument:
    """A document's text with its version and every offset conversion daima needs."""

    def __init__(self, uri: str, text: str, version: int | None = None, language_id: str = "") -> None:
        self.uri = uri
        self.version = version
        self.language_id = language_id
        self._set_text(text)

    # -- text and lines -------------------------------------------------------------------------
    # The line tables are never changed in place (an edit builds new ones), so a copy shares them.
    def copy(self) -> TextDocument:
        """A document that later edits of this one do not touch; costs nothing, whatever its size."""
        twin = TextDocument.__new__(TextDocument)
        twin.__dict__.update(self.__dict__)
        return twin

    def _set_text(self, text: str) -> None:
        self._text = text
        starts = [0]
        ends = []
        for match in _LINE_BREAK.finditer(text):
            ends.append(match.start())
            starts.append(match.end())
        ends.append(len(text))
        self._line_starts = starts
        self._line_ends = ends  # end of line content, before its line break
        self._line_byte_starts: list[int] | None = None
        self._bytes: bytes | None = None

    @property
    def text(self) -> str:
        return self._text

    @property
    def source_bytes(self) -> bytes:
        """The text as UTF-8, as tree-sitter reads it."""
        if self._bytes is None:
            self._bytes = self._text.encode("utf-8", "surrogatepass")
        return self._bytes

    @property
    def line_count(self) -> int:
        return len(self._line_starts)

    def line_text(self, line: int) -> str:
        """The line's content without its line break."""
        self._check_line(line)
        return self._text[self._line_starts[line] : self._line_ends[line]]

    def line_start(self, line: int) -> int:
        self._check_line(line)
        return self._line_starts[line]

    def line_end(self, line: int) -> int:
        """Index of the end of the line's content (before CR, LF or CRLF)."""
        self._check_line(line)
        return self._line_ends[line]

    def line_of(self, offset: int) -> int:
        """Line containing the str index `offset` (a line break belongs to the line it ends)."""
        self._check_offset(offset)
        line = bisect.bisect_right(self._line_starts, offset) - 1
        # An offset between CR and LF of a CRLF belongs to the line the CRLF ends.
        return line

    def line_break(self) -> str:
        """The document's dominant line ending (LF when it has none)."""
        counts = {"\r\n": 0, "\n": 0, "\r": 0}
        for match in _LINE_BREAK.finditer(self._text, 0, min(len(self._text), 65536)):
            counts[match.group()] += 1
        best = max(counts, key=lambda k: counts[k])
        return best if counts[best] else "\n"

    # -- LSP positions <-> str indices -----------------------------------------------------------
    def offset_at(
        self, position: Position, encoding: PositionEncoding = PositionEncoding.UTF16, *, strict: bool = True
    ) -> int:
        """The str index of an LSP position.

        A character past the end of its line means the end of the line (LSP says so). A line past the
        end raises `PositionError` when `strict`, else means the end of the document.
        """
        if position.line < 0 or position.character < 0:
            raise PositionError(f"negative position {position.line}:{position.character}")
        if position.line >= self.line_count:
            if strict:
                raise PositionError(
                    f"line {position.line} is past the end of {self.uri} ({self.line_count} lines)"
                )
            return len(self._text)
        start, end = self._line_starts[position.line], self._line_ends[position.line]
        return start + _index_for_units(self._text[start:end], position.character, encoding)

    def position_at(self, offset: int, encoding: PositionEncoding = PositionEncoding.UTF16) -> Position:
        """The LSP position of a str index."""
        line = self.line_of(offset)
        start = self._line_starts[line]
        offset = min(offset, self._line_ends[line])
        return Position(line, _units(self._text[start:offset], encoding))

    def range_offsets(
        self, range_: Range, encoding: PositionEncoding = PositionEncoding.UTF16, *, strict: bool = True
    ) -> tuple[int, int]:
        """The (start, end) str indices of an LSP range."""
        start = self.offset_at(range_.start, encoding, strict=strict)
        end = self.offset_at(range_.end, encoding, strict=strict)
        if end < start:
            raise PositionError(f"range ends before it starts: {range_}")
        return start, end

    def range_at(self, start: int, end: int, encoding: PositionEncoding = PositionEncoding.UTF16) -> Range:
        return Range(self.position_at(start, encoding), self.position_at(end, encoding))

    # -- UTF-8 bytes and tree-sitter points --------------------------------------------------------
    def _byte_starts(self) -> list[int]:
        if self._line_byte_starts is None:
            starts, total, previous = [0], 0, 0
            for start in self._line_starts[1:]:
                total += _utf8_len(self._text[previous:start])
                starts.append(total)
                previous = start
            self._line_byte_starts = starts
        return self._line_byte_starts

    def byte_offset(self, offset: int) -> int:
        """UTF-8 byte offset of a str index."""
        line = self.line_of(offset)
        return self._byte_starts()[line] + _utf8_len(self._text[self._line_starts[line] : offset])

    def offset_from_byte(self, byte_offset: int) -> int:
        """str index of a UTF-8 byte offset; a byte inside a character maps to the character's start."""
        if not 0 <= byte_offset <= len(self.source_bytes):
            raise PositionError(f"byte offset {byte_offset} is outside {self.uri}")
        line = bisect.bisect_right(self._byte_starts(), byte_offset) - 1
        line_start_byte = self._byte_starts()[line]
        head = self.source_bytes[line_start_byte:byte_offset].decode("utf-8", "ignore")
        return self._line_starts[line] + len(head)

    def offsets_from_bytes(self, byte_offsets: Iterable[int]) -> list[int]:
        """str indices of ascending UTF-8 byte offsets, decoding the text once in pieces (for many
        tree-sitter nodes at a time); like `offset_from_byte` for each."""
        source = self.source_bytes
        offsets: list[int] = []
        byte = char = 0
        for byte_offset in byte_offsets:
            if not byte <= byte_offset <= len(source):
                raise PositionError(f"byte offset {byte_offset} is out of order or outside {self.uri}")
            try:
                char += len(source[byte:byte_offset].decode("utf-8", "surrogatepass"))
                byte = byte_offset
            except UnicodeDecodeError:  # inside a character: its start, as offset_from_byte says
                char = self.offset_from_byte(byte_offset)
                byte = self.byte_offset(char)
            offsets.append(char)
        return offsets

    def point_at(self, offset: int) -> tuple[int, int]:
        """tree-sitter point (row, byte column) of a str index."""
        line = self.line_of(offset)
        return line, _utf8_len(self._text[self._line_starts[line] : offset])

    def offset_from_point(self, point: tuple[int, int]) -> int:
        """str index of a tree-sitter point (row, byte column)."""
        row, column = point
        return self.offset_at(Position(row, column), PositionEncoding.UTF8)

    # -- edits ----------------------------------------------------------------------------------
    def replace(self, start: int, end: int, new_text: str, version: int | None = None) -> AppliedEdit:
        """Replace text[start:end] with `new_text`; returns the edit in every unit tree-sitter needs."""
        self._check_offset(start)
        self._check_offset(end)
        if end < start:
            raise PositionError(f"edit ends before it starts: {start}..{end}")
        start_byte, old_end_byte = self.byte_offset(start), self.byte_offset(end)
        start_point, old_end_point = self.point_at(start), self.point_at(end)
        self._splice(start, end, new_text, start_byte, old_end_byte)
        new_end = start + len(new_text)
        if version is not None:
            self.version = version
        return AppliedEdit(
            start=start,
            old_end=end,
            new_end=new_end,
            start_byte=start_byte,
            old_end_byte=old_end_byte,
            new_end_byte=start_byte + _utf8_len(new_text),
            start_point=start_point,
            old_end_point=old_end_point,
            new_end_point=self.point_at(new_end),
        )

    def _splice(self, start: int, end: int, new_text: str, start_byte: int, old_end_byte: int) -> None:
        """Replace text[start:end] and update the line tables for the lines the edit touched only: a
        keystroke in a 50,000-line file costs the copy of the string, not a scan of it. The region
        rescanned starts a line early (a CR there may pair with an LF the edit inserts) and ends after
        the break of the edit's last line, which the edit leaves as it was."""
        old, starts, ends = self._text, self._line_starts, self._line_ends
        text = old[:start] + new_text + old[end:]
        delta = len(new_text) - (end - start)
        first = max(bisect.bisect_right(starts, start) - 2, 0)
        last = bisect.bisect_right(starts, end) - 1
        region_start = starts[first]
        region_end = starts[last + 1] if last + 1 < len(starts) else len(old)  # old coordinates
        breaks = list(_LINE_BREAK.finditer(text, region_start, region_end + delta))
        new_starts = starts[: first + 1] + [match.end() for match in breaks]
        new_ends = ends[:first] + [match.start() for match in breaks]
        if last + 1 < len(starts):  # the region ended with a line break: the lines after it shift
            new_starts += [s + delta for s in starts[last + 2 :]]
            new_ends += [e + delta for e in ends[last + 1 :]]
        else:
            new_ends.append(len(text))
        byte_starts = self._line_byte_starts
        if byte_starts is not None:
            byte_delta = _utf8_len(new_text) - (old_end_byte - start_byte)
            base, region_byte_start = region_start, byte_starts[first]
            new_byte_starts = byte_starts[: first + 1]
            for match in breaks:
                region_byte_start += _utf8_len(text[base : match.end()])
                base = match.end()
                new_byte_starts.append(region_byte_start)
            new_byte_starts += [b + byte_delta for b in byte_starts[last + 2 :]]
        encoded = self._bytes
        self._text, self._line_starts, self._line_ends = text, new_starts, new_ends
        self._line_byte_starts = new_byte_starts if byte_starts is not None else None
        self._bytes = None
        if encoded is not None:  # pieces of the old bytes: the copy is in C, no re-encoding of the file
            self._bytes = (
                encoded[:start_byte] + new_text.encode("utf-8", "surrogatepass") + encoded[old_end_byte:]
            )

    def apply_change(
        self,
        new_text: str,
        range_: Range | None = None,
        encoding: PositionEncoding = PositionEncoding.UTF16,
        version: int | None = None,
    ) -> AppliedEdit:
        """Apply one LSP content change: ranged, or the whole text when `range_` is None."""
        if range_ is None:
            return self.replace(0, len(self._text), new_text, version)
        start, end = self.range_offsets(range_, encoding)
        return self.replace(start, end, new_text, version)

    # -- human line:column ------------------------------------------------------------------------
    def offset_from_line_col(self, line: int, column: int) -> int:
        """str index of a 1-based line and 1-based column counted in characters (code points)."""
        if line < 1 or column < 1:
            raise PositionError(f"line and column are 1-based, got {line}:{column}")
        self._check_line(line - 1)
        start, end = self._line_starts[line - 1], self._line_ends[line - 1]
        if start + column - 1 > end:
            raise PositionError(f"column {column} is past the end of line {line} ({end - start} characters)")
        return start + column - 1

    # -- checks ---------------------------------------------------------------------------------
    def _check_line(self, line: int) -> None:
        if not 0 <= line < self.line_count:
            raise PositionError(f"line {line} is outside {self.uri} ({self.line_count} lines)")

    def _check_offset(self, offset: int) -> None:
        if not 0 <= offset <= len(self._text):
            raise PositionError(f"offset {offset} is outside {self.uri} ({len(self._text)} characters)")
