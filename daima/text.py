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

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from daima.line_table import LineTable

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_MAX_TYPED = 65_536  # characters typed at one place before the document's string is rebuilt


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
    old_text: str = ""  # what text[start:old_end] was: next-edit reads what the user replaced


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


def utf8_length(text: str) -> int:
    """How many UTF-8 bytes `text` takes: the unit of tree-sitter's offsets. The one place outside
    TextDocument that measures text in bytes."""
    return _utf8_len(text)


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
    #
    # The text is held as `base[:gap_start] + typed + base[gap_end:]` (`gap_end` in base's offsets):
    # a run of keystrokes at one place only rebuilds `typed`, never the whole string, and the full
    # string is built when someone asks for `text` (then kept until the next edit). At 50,000 lines,
    # building it took milliseconds of the event loop's time per keystroke.
    def copy(self) -> TextDocument:
        """A document that later edits of this one do not touch; costs nothing, whatever its size."""
        twin = TextDocument.__new__(TextDocument)
        twin.__dict__.update(self.__dict__)
        return twin

    def _set_text(self, text: str) -> None:
        self._set_plain(text)
        starts = [0]
        ends = []
        for match in _LINE_BREAK.finditer(text):
            ends.append(match.start())
            starts.append(match.end())
        ends.append(len(text))
        self._line_starts = LineTable(starts)
        self._line_ends = LineTable(ends)  # end of line content, before its line break
        self._line_byte_starts: LineTable | None = None
        self._bytes: bytes | None = None

    def _set_plain(self, text: str) -> None:
        self._base, self._gap_start, self._gap_end, self._typed = text, len(text), len(text), ""
        self._length = len(text)
        self._text: str | None = text

    @property
    def text(self) -> str:
        if self._text is None:
            self._set_plain(self._slice(0, self._length))
        assert self._text is not None
        return self._text

    def _slice(self, start: int, end: int) -> str:
        """text[start:end] (0 <= start <= end <= length), without building the whole text."""
        if self._text is not None:
            return self._text[start:end]
        gap_start, typed = self._gap_start, self._typed
        typed_end = gap_start + len(typed)
        moved = self._gap_end - typed_end  # base offset minus text offset, after the typed stretch
        parts = []
        if start < gap_start:
            parts.append(self._base[start : min(end, gap_start)])
        if start < typed_end and end > gap_start:
            parts.append(typed[max(start, gap_start) - gap_start : min(end, typed_end) - gap_start])
        if end > typed_end:
            parts.append(self._base[max(start, typed_end) + moved : end + moved])
        return "".join(parts)

    def text_range(self, start: int, end: int) -> str:
        """text[start:end], cheap for a short stretch of a long document being typed in."""
        self._check_offset(start)
        self._check_offset(end)
        return self._slice(start, max(start, end))

    @property
    def source_bytes(self) -> bytes:
        """The text as UTF-8, as tree-sitter reads it."""
        if self._bytes is None:
            self._bytes = self.text.encode("utf-8", "surrogatepass")
        return self._bytes

    @property
    def line_count(self) -> int:
        return len(self._line_starts)

    def line_text(self, line: int) -> str:
        """The line's content without its line break."""
        self._check_line(line)
        return self._slice(self._line_starts[line], self._line_ends[line])

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
        line = self._line_starts.bisect_right(offset) - 1
        # An offset between CR and LF of a CRLF belongs to the line the CRLF ends.
        return line

    def line_break(self) -> str:
        """The document's dominant line ending (LF when it has none)."""
        counts = {"\r\n": 0, "\n": 0, "\r": 0}
        for match in _LINE_BREAK.finditer(self._slice(0, min(self._length, 65536))):
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
            return self._length
        start, end = self._line_starts[position.line], self._line_ends[position.line]
        return start + _index_for_units(self._slice(start, end), position.character, encoding)

    def position_at(self, offset: int, encoding: PositionEncoding = PositionEncoding.UTF16) -> Position:
        """The LSP position of a str index."""
        line = self.line_of(offset)
        start = self._line_starts[line]
        offset = min(offset, self._line_ends[line])
        return Position(line, _units(self._slice(start, offset), encoding))

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
    def _byte_starts(self) -> LineTable:
        if self._line_byte_starts is None:
            starts, total, previous, text = [0], 0, 0, self.text
            for start in self._line_starts[1:]:
                total += _utf8_len(text[previous:start])
                starts.append(total)
                previous = start
            self._line_byte_starts = LineTable(starts)
        return self._line_byte_starts

    def byte_offset(self, offset: int) -> int:
        """UTF-8 byte offset of a str index."""
        line = self.line_of(offset)
        return self._byte_starts()[line] + _utf8_len(self._slice(self._line_starts[line], offset))

    def offset_from_byte(self, byte_offset: int) -> int:
        """str index of a UTF-8 byte offset; a byte inside a character maps to the character's start."""
        if not 0 <= byte_offset <= len(self.source_bytes):
            raise PositionError(f"byte offset {byte_offset} is outside {self.uri}")
        line = self._byte_starts().bisect_right(byte_offset) - 1
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
        return line, _utf8_len(self._slice(self._line_starts[line], offset))

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
        old_text = self._slice(start, end)
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
            old_text=old_text,
        )

    def _splice(self, start: int, end: int, new_text: str, start_byte: int, old_end_byte: int) -> None:
        """Replace text[start:end] and update the line tables for the lines the edit touched only: a
        keystroke in a 50,000-line file costs the lines it touched, not a scan or a copy of the file.
        The region rescanned starts a line early (a CR there may pair with an LF the edit inserts) and
        ends after the break of the edit's last line, which the edit leaves as it was."""
        starts, ends, old_length = self._line_starts, self._line_ends, self._length
        delta = len(new_text) - (end - start)
        first = max(starts.bisect_right(start) - 2, 0)
        last = starts.bisect_right(end) - 1
        region_start = starts[first]
        region_end = starts[last + 1] if last + 1 < len(starts) else old_length  # old coordinates
        region = self._slice(region_start, start) + new_text + self._slice(end, region_end)
        self._splice_text(start, end, new_text)
        breaks = [(m.start() + region_start, m.end() + region_start) for m in _LINE_BREAK.finditer(region)]
        # Entries of the rescanned region are replaced; those after it move by the edit's size.
        new_starts = starts.replaced(first + 1, last + 2, [b[1] for b in breaks], delta)
        if last + 1 < len(starts):  # the region ended with a line break: the lines after it shift
            new_ends = ends.replaced(first, last + 1, [b[0] for b in breaks], delta)
        else:
            new_ends = ends.replaced(first, len(ends), [b[0] for b in breaks] + [self._length], 0)
        byte_starts = self._line_byte_starts
        new_byte_starts = None
        if byte_starts is not None:
            byte_delta = _utf8_len(new_text) - (old_end_byte - start_byte)
            base, region_byte_start = region_start, byte_starts[first]
            region_bytes = []
            for _, line_start in breaks:
                region_byte_start += _utf8_len(region[base - region_start : line_start - region_start])
                base = line_start
                region_bytes.append(region_byte_start)
            new_byte_starts = byte_starts.replaced(first + 1, last + 2, region_bytes, byte_delta)
        encoded = self._bytes
        self._line_starts, self._line_ends = new_starts, new_ends
        self._line_byte_starts = new_byte_starts
        self._bytes = None
        if encoded is not None:  # pieces of the old bytes: the copy is in C, no re-encoding of the file
            self._bytes = (
                encoded[:start_byte] + new_text.encode("utf-8", "surrogatepass") + encoded[old_end_byte:]
            )

    def _splice_text(self, start: int, end: int, new_text: str) -> None:
        """text = text[:start] + new_text + text[end:], touching the typed stretch only when the edit
        meets it; an edit elsewhere (or a typed stretch grown long) builds the whole string once."""
        gap_start, typed = self._gap_start, self._typed
        typed_end = gap_start + len(typed)
        plain = not typed and self._gap_end == gap_start
        if not plain and (end < gap_start or start > typed_end or len(typed) > _MAX_TYPED):
            self._set_plain(self.text)
            plain = True
        if plain:
            self._gap_start, self._gap_end, self._typed = start, end, new_text
        else:
            low, high = min(start, gap_start), max(end, typed_end)
            self._typed = self._slice(low, start) + new_text + self._slice(end, high)
            self._gap_end += high - typed_end  # base offsets: the stretch after the edit moved into it
            self._gap_start = low
        self._length += len(new_text) - (end - start)
        self._text = None

    def apply_change(
        self,
        new_text: str,
        range_: Range | None = None,
        encoding: PositionEncoding = PositionEncoding.UTF16,
        version: int | None = None,
    ) -> AppliedEdit:
        """Apply one LSP content change: ranged, or the whole text when `range_` is None. A whole text
        is applied as the smallest edit that makes it (what differs between the common head and
        tail), so what reads the edits (the incremental index, recent edits, next edits' bursts) sees
        what the user changed, not the whole document replaced."""
        if range_ is None:
            old_text = self.text
            head = _common_head(old_text, new_text)
            tail = _common_head(old_text[head:][::-1], new_text[head:][::-1])
            return self.replace(head, self._length - tail, new_text[head : len(new_text) - tail], version)
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
        if not 0 <= offset <= self._length:
            raise PositionError(f"offset {offset} is outside {self.uri} ({self._length} characters)")


def _common_head(a: str, b: str) -> int:
    """Length of the longest common prefix of `a` and `b` (slices compared in C, halving the range)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low
