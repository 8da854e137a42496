"""The fixed split of HumanEval problems into a development half and a held-out half.

A problem's half comes from a hash of its id alone, so it never changes with the sample size, the seed or
the order of the data. Rules in daima are tuned and justified on the development half; the held-out half
is only reported. `python -m benchmarks.humaneval --list-split` prints both halves.
"""

from __future__ import annotations

import hashlib

SPLITS = ("dev", "heldout")
_SALT = b"daima-humaneval-split-v1"


def split_of(problem_id: str) -> str:
    """'dev' or 'heldout' for a problem id such as 'HumanEval/12'."""
    digest = hashlib.blake2b(_SALT + problem_id.encode("utf-8"), digest_size=8).digest()
    return SPLITS[digest[0] & 1]
