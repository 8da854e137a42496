"""Token counts and token ids with the model's own tokenizer, cached by piece of text.

Prompts change by one keystroke at a time, so they are tokenized in pieces whose tokens do not depend
on their neighbours, and each piece is cached: special tokens, and runs of lines split before a line
that has code on it. Byte-level BPE tokenizers (Qwen, DeepSeek, StarCoder) never merge across such a
boundary because their pre-tokenizer always ends a piece at the newline before it; a few probe texts
check that this holds for the engine's tokenizer before the pieces are trusted, and otherwise a safer
split (lines that start in column 0) or the whole text is tokenized instead.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable

# Split points: after a line break, before a line with code on it (indented or not).
_BEFORE_CODE_LINE = re.compile(r"(?:(?<=\n)|(?<=\r)(?!\n))(?=[^\S\r\n]*\S)")
# The safer split: only before lines that start in column 0 with code.
_BEFORE_COLUMN_ZERO = re.compile(r"(?:(?<=\n)|(?<=\r)(?!\n))(?=\S)")
_PROBES = (
    "def 计算总价(商品列表):\n    总价 = 0\n\n    for 商品 in 商品列表:\n        总价 += 商品\n"
    "    return 总价\n",
    "class A {\n\tint x;  \n  \n\t// 注释 🎉\n}\r\nx = 1\r\n\r\n  y = [\n1, 2]\n\n\n  z\n",
    "if x:\n    pass\n# done\n   \n\t\n'''\n字符串\n'''\n    x = \"😀\" ;\n    ;\n",
)


class TokenCounter:
    """Counts and ids of texts with one engine's tokenize function, cached per piece."""

    def __init__(self, tokenize: Callable[[str], list[int]], max_entries: int = 50_000) -> None:
        self._tokenize = tokenize
        self._cache: OrderedDict[str, tuple[int, ...]] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()  # one counter per engine, shared by every completion thread
        self._split: re.Pattern[str] | bool | None = True  # True: not probed yet; None: do not split
        self._trusted: dict[frozenset[str], bool] = {}  # special-token sets checked on a real prompt
        self.calls = 0  # tokenizer calls made (for tests and benchmarks)

    def ids(self, text: str) -> tuple[int, ...]:
        """Token ids of `text` (cached)."""
        if not text:
            return ()
        with self._lock:
            cached = self._cache.get(text)
            if cached is not None:
                self._cache.move_to_end(text)
                return cached
            self.calls += 1
        value = tuple(self._tokenize(text))  # outside the lock: tokenizing is the slow part
        with self._lock:
            self._cache[text] = value
            if len(self._cache) > self._max:
                self._cache.popitem(last=False)
        return value

    def count(self, text: str) -> int:
        """Token count of `text` (cached)."""
        return len(self.ids(text))

    def exact(self, text: str, specials: Iterable[str] = ()) -> list[int]:
        """The token ids of a whole prompt, assembled from cached pieces when that is provably the same."""
        split = self._splitter()
        key = frozenset(specials)
        if split is None or self._trusted.get(key) is False:
            self.calls += 1
            return list(self._tokenize(text))
        ids: list[int] = []
        for piece in self._pieces(text, split, key):
            ids.extend(self.ids(piece))
        if key not in self._trusted:
            # The first prompt with these special tokens is also tokenized whole: added tokens that strip
            # the spaces around them would make the pieces differ, and then the pieces are not used.
            self.calls += 1
            whole = list(self._tokenize(text))
            self._trusted[key] = whole == ids
            return whole
        return ids

    def _pieces(self, text: str, split: re.Pattern[str], specials: Iterable[str]) -> list[str]:
        tokens = sorted({s for s in specials if s}, key=len, reverse=True)
        chunks = re.split("(" + "|".join(map(re.escape, tokens)) + ")", text) if tokens else [text]
        pieces: list[str] = []
        for chunk in chunks:
            if chunk in tokens:
                pieces.append(chunk)
            elif chunk:
                pieces.extend(part for part in split.split(chunk) if part)
        return pieces

    def _splitter(self) -> re.Pattern[str] | None:
        if self._split is True:
            self._split = None
            for pattern in (_BEFORE_CODE_LINE, _BEFORE_COLUMN_ZERO):
                if all(self._agrees(probe, pattern) for probe in _PROBES):
                    self._split = pattern
                    break
        return self._split if isinstance(self._split, re.Pattern) else None

    def _agrees(self, probe: str, pattern: re.Pattern[str]) -> bool:
        whole = list(self._tokenize(probe))
        pieces: list[int] = []
        for part in pattern.split(probe):
            if part:
                pieces.extend(self._tokenize(part))
        return whole == pieces
