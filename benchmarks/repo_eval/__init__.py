"""Completion quality on real code: holes drawn from public repositories, each repository opened as the
workspace of the real server, daima against naive fill-in-the-middle on the same model in the same run.

sources.json names the repositories (and commits) only; sources.py brings them when the eval runs,
tasks.py derives the holes with a seeded sampler, metrics.py scores them and `python -m
benchmarks.repo_eval` runs it all (docs in benchmarks/README.md).
"""
