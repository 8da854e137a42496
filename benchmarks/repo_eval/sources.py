"""The repositories the eval samples from, brought at their pinned commits when it runs.

Only their identities live in this repository (sources.json). A source's tree is extracted once into the
user's cache directory from a local git mirror when one is given (`--mirrors`: folders holding
`owner+name/repo` or `owner/name` git directories), or else fetched from GitHub by commit.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import platformdirs

SOURCES = Path(__file__).with_name("sources.json")


@dataclass(frozen=True)
class Source:
    repo: str  # owner/name on GitHub
    commit: str
    identifiers: str  # "zh": the code's own names are mostly written in Chinese; "en" otherwise
    script: str = ""  # simplified or traditional characters, for "zh"

    @property
    def slug(self) -> str:
        return self.repo.replace("/", "+")


class SourceUnavailable(RuntimeError):
    """A source could not be brought (no mirror holds its commit and the network did not give it)."""


def load_sources(path: Path = SOURCES) -> list[Source]:
    return [Source(**entry) for entry in json.loads(path.read_text("utf-8"))["sources"]]


def sources_dir() -> Path:
    root = os.environ.get("DAIMA_CACHE_DIR") or platformdirs.user_cache_dir("daima")
    return Path(root) / "eval-sources"


def bring(
    source: Source, mirrors: Sequence[Path] = (), cache: Path | None = None, *, network: bool = True
) -> Path:
    """The source's tree at its commit (a plain folder, extracted once and reused)."""
    tree = (cache or sources_dir()) / f"{source.slug}-{source.commit[:12]}"
    if (tree / ".daima-eval-complete").exists():
        return tree
    git_dir = mirror_with(source, mirrors)
    if git_dir is None:
        if not network:
            raise SourceUnavailable(f"{source.repo}@{source.commit[:12]} is in no mirror")
        git_dir = _fetch(source, tree.with_name(tree.name + ".git"))
    partial = tree.with_name(tree.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    _extract(git_dir, source.commit, partial)
    (partial / ".git").mkdir()  # the server takes it as a repository root (gitignore applies)
    (partial / ".daima-eval-complete").write_text(f"{source.repo} {source.commit}\n", "utf-8")
    shutil.rmtree(tree, ignore_errors=True)
    partial.rename(tree)
    return tree


def _extract(git_dir: Path, commit: str, into: Path) -> None:
    """The commit's regular files, written under `into`. Links and submodules are left out, and so is a
    blob the object store lacks (a mirror may leave out its largest files): the eval reads source code."""
    listing = subprocess.run(
        ["git", "--git-dir", str(git_dir), "ls-tree", "-r", "-z", "--full-tree", commit],
        capture_output=True, check=True,
    ).stdout.split(b"\0")  # fmt: skip
    entries = []
    for entry in filter(None, listing):
        meta, _, name = entry.partition(b"\t")
        mode, kind, oid = meta.split()
        relative = Path(name.decode("utf-8", errors="surrogateescape"))
        if kind == b"blob" and mode in (b"100644", b"100755") and ".." not in relative.parts:
            entries.append((oid.decode(), relative))
    with subprocess.Popen(["git", "--git-dir", str(git_dir), "cat-file", "--batch"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE) as batch:  # fmt: skip
        assert batch.stdin is not None and batch.stdout is not None
        for oid, relative in entries:
            batch.stdin.write(oid.encode() + b"\n")
            batch.stdin.flush()
            header = batch.stdout.readline().split()
            if len(header) < 3 or header[1] != b"blob":
                continue  # "<oid> missing"
            data = batch.stdout.read(int(header[2]))
            batch.stdout.read(1)
            target = into / relative
            if not relative.is_absolute() and target.resolve().is_relative_to(into.resolve()):
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        batch.stdin.close()


def _has_commit(git_dir: Path, commit: str) -> bool:
    probe = ["git", "--git-dir", str(git_dir), "cat-file", "-e", f"{commit}^{{commit}}"]
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0


def mirror_with(source: Source, mirrors: Sequence[Path]) -> Path | None:
    for root in mirrors:
        for candidate in (
            root / source.slug / "repo",
            root / source.slug / "repo" / ".git",
            root / source.repo,
        ):
            if candidate.is_dir() and _has_commit(candidate, source.commit):
                return candidate
    return None


def _fetch(source: Source, git_dir: Path) -> Path:
    if git_dir.is_dir() and _has_commit(git_dir, source.commit):
        return git_dir
    git_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "--quiet", "--bare", str(git_dir)], check=True)
    url = f"https://github.com/{source.repo}.git"
    fetch = ["git", "--git-dir", str(git_dir), "fetch", "--quiet", "--depth=1", url, source.commit]
    done = subprocess.run(fetch, capture_output=True, text=True, check=False, timeout=600)
    if done.returncode != 0 or not _has_commit(git_dir, source.commit):
        raise SourceUnavailable(
            f"{source.repo}@{source.commit[:12]} is in no mirror and could not be fetched: "
            f"{done.stderr.strip()[:200]}"
        )
    return git_dir
