"""HumanEval single-line infilling: daima's pipeline against a naive FIM baseline, outside the product.

Run from the repository root: `python -m benchmarks.humaneval --split heldout` (see `--help`). The 164
problems are split once by a fixed hash of their ids (split.py): the development half is the one to look
at, tune on and cite; the held-out half is only ever reported.
"""
