"""Draws images/icon.png, the extension's 128x128 icon: a dark rounded tile with three lines of code and
a grey line of ghost text after a cursor (python3 scripts/make-icon.py; no dependencies)."""

import struct
import zlib
from pathlib import Path

SIZE = 128
TILE, CODE, KEYWORD, GHOST, CURSOR = (30, 36, 48), (214, 222, 235), (120, 180, 255), (110, 118, 132), (255, 196, 64)
# (row, first column, last column, colour): bars standing for code, 8 pixels tall.
BARS = [
    (26, 22, 46, KEYWORD), (26, 52, 100, CODE),
    (46, 34, 58, KEYWORD), (46, 64, 92, CODE),
    (66, 34, 82, CODE),
    (86, 34, 40, CURSOR), (86, 46, 106, GHOST),
]


def pixel(x: int, y: int) -> tuple[int, int, int, int]:
    radius = 22
    cx = min(max(x, radius), SIZE - 1 - radius)
    cy = min(max(y, radius), SIZE - 1 - radius)
    if (x - cx) ** 2 + (y - cy) ** 2 > radius**2:
        return (0, 0, 0, 0)
    for row, start, end, colour in BARS:
        if row <= y < row + 8 and start <= x <= end:
            return (*colour, 255)
    return (*TILE, 255)


def png(width: int, height: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    raw = b"".join(b"\0" + row for row in rows)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


rows = [b"".join(bytes(pixel(x, y)) for x in range(SIZE)) for y in range(SIZE)]
target = Path(__file__).resolve().parents[1] / "images" / "icon.png"
target.write_bytes(png(SIZE, SIZE, rows))
print(target)
