"""The replay benchmark: real typing from real history over the real server, beside a naive plugin.

The figure the project steers by: what a person sees while typing in a real file of a real repository
(share of pauses with a suggestion, pause → suggestion latency, characters saved), daima against a
llama.vim-style plugin on the same model in the same run. `python -m benchmarks.replay --help`.
"""
