"""Bad input: files that vanish or move mid-index, unreadable files, syntax errors, huge minified
JavaScript, a 100,000-file tree that is mostly ignored, a workspace reached through a symlink,
symlinks that leave the workspace, binary and non-UTF-8 files."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from indexer_helpers import write_tree

from daima.config import IndexOptions
from daima.indexer import WorkspaceIndex
from daima.indexer import worker as worker_module


@pytest.mark.parametrize("count", [10, 100], ids=["in-process", "worker-processes"])
def test_files_deleted_or_renamed_mid_index(make_index, count: int) -> None:
    index = make_index({f"m{i}.py": f"def f{i}():\n    pass\n" for i in range(count)})
    calls = []

    def progress(done: int, total: int) -> None:
        if not calls:  # the walk is over, nothing is read yet: delete one file and rename another
            (index.root / "m1.py").unlink()
            (index.root / "m2.py").rename(index.root / "renamed.py")
        calls.append((done, total))

    report = index.index_all(progress)
    assert calls[-1] == (count, count)
    assert not index.definitions("f1") and not index.definitions("f2")
    assert index.definitions("f0")
    assert report.files_parsed == count - 2
    again = index.index_all()  # the renamed file is found on the next pass
    assert again.files_parsed == 1 and index.definitions("f2")[0].path.name == "renamed.py"


def test_permission_denied_is_skipped_and_reported(make_index, monkeypatch) -> None:
    index = make_index({"ok.py": "def ok():\n    pass\n", "secret.py": "def hidden():\n    pass\n"})
    secret = index.root / "secret.py"
    secret.chmod(0)
    if os.geteuid() == 0:
        # root reads any file, so make the OS's answer for this one file what a normal user gets.
        real_read = worker_module.read_inside

        def deny(root, rel, *args, **kwargs):
            if str(rel).endswith("secret.py"):
                raise PermissionError(13, "Permission denied", str(rel))
            return real_read(root, rel, *args, **kwargs)

        monkeypatch.setattr(worker_module, "read_inside", deny)
    report = index.index_all()
    assert index.definitions("ok") and not index.definitions("hidden")
    assert report.files_skipped == 1 and any("secret.py: Permission denied" in s for s in report.skipped)
    secret.chmod(0o644)
    monkeypatch.undo()
    assert index.index_all().files_parsed == 1  # not remembered as skipped: retried once readable
    assert index.definitions("hidden")


def test_unreadable_folder_is_skipped(make_index) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can list a folder without read permission")
    index = make_index({"ok.py": "x = 1\n", "locked/inner.py": "def inner():\n    pass\n"})
    (index.root / "locked").chmod(0)
    try:
        report = index.index_all()
    finally:
        (index.root / "locked").chmod(0o755)
    assert any(s.startswith("locked:") for s in report.skipped)


def test_syntax_errors_keep_the_valid_definitions(make_index) -> None:
    index = make_index(
        {
            "broken.py": "def good():\n    pass\n\ndef bad(x):\n    y = = 1\n\nclass Later:\n    pass\n",
            "broken.js": "function good2() {}\nfunction bad2( {\nclass Later2 { m() {} }\n",
            "Broken.java": "class Ok { void run() { int x = ; } void after() {} }\n",
        }
    )
    index.index_all()
    for name in ("good", "bad", "Later", "good2", "m", "Ok", "run", "after"):
        assert index.definitions(name), name


def test_ten_megabytes_of_minified_javascript(make_index) -> None:
    minified = ("var a=function(b){return b*2},c=[1,2,3].map(a);" * 220_000).encode()  # ~10 MB, one line
    assert len(minified) > 10_000_000
    index = make_index({"dist2/app.js": minified, "src/app.js": "export function main() {}\n"})
    report = index.index_all()  # skipped by its size before it is read, so this is quick
    assert report.files_skipped == 1 and "larger than 1024 KiB" in report.skipped[0]
    # Even allowed by size, a minified file is recognized and left out, quickly.
    roomy = WorkspaceIndex.open(index.root, IndexOptions(max_file_kb=20_000), db_path=index.store.path)
    report = roomy.index_all()
    assert any("minified" in s for s in roomy.index_all().skipped + report.skipped)
    assert roomy.definitions("main")
    roomy.close()


def _fill(directory: Path, count: int, seed_dir_fd: int, suffix: str = ".py") -> None:
    """`count` files in `directory`, made as hard links to empty seeds (one syscall each: fast)."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory, os.O_RDONLY)
    try:
        for i in range(count):
            os.link(f"seed{i % 4}", f"f{i}{suffix}", src_dir_fd=seed_dir_fd, dst_dir_fd=fd)
    finally:
        os.close(fd)


def test_hundred_thousand_files_mostly_ignored(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for i in range(4):
        (seeds / f"seed{i}").write_bytes(b"")
    seed_fd = os.open(seeds, os.O_RDONLY)
    root = tmp_path / "big"
    (root / "src").mkdir(parents=True)
    (root / ".gitignore").write_text("generated/\n*.log.py\n/out\n!keep.log.py\n", encoding="utf-8")
    (root / "src" / "nested").mkdir()
    (root / "src" / "nested" / ".gitignore").write_text("cache_*.py\n", encoding="utf-8")
    for i in range(300):
        (root / "src" / f"mod{i}.py").write_text(f"def real_{i}():\n    pass\n", encoding="utf-8")
    try:
        for d in range(30):
            _fill(root / "generated" / f"d{d}", 1000, seed_fd)
            _fill(root / "node_modules" / f"p{d}", 1000, seed_fd, ".js")
            _fill(root / "out" / f"d{d}", 1000, seed_fd)
        _fill(root / "src" / "logs", 9000, seed_fd, ".log.py")  # ignored file by file, not by folder
        _fill(root / "src" / "nested", 700, seed_fd, "")  # no extension: not source
        for i in range(30):
            (root / "src" / "nested" / f"cache_{i}.py").write_text("def cached():\n    pass\n")
    finally:
        os.close(seed_fd)
    (root / "src" / "keep.log.py").write_text("def kept():\n    pass\n", encoding="utf-8")
    total = sum(len(files) for _, _, files in os.walk(root))
    assert total >= 100_000
    index = WorkspaceIndex.open(root, db_path=tmp_path / "db.sqlite3")
    began = time.perf_counter()
    report = index.index_all()
    elapsed = time.perf_counter() - began
    assert report.files_seen == 301 and report.files_parsed == 301
    assert index.definitions("real_299") and index.definitions("kept")
    assert not index.definitions("cached")
    print(f"walked {total} files, indexed 301, in {elapsed:.1f} s")  # a figure, not a pass mark (load varies)
    index.close()


def test_symlinked_workspace_and_links_leaving_it(tmp_path: Path) -> None:
    real = write_tree(tmp_path / "real", {"pkg/a.py": "def inside():\n    pass\n"})
    outside = write_tree(tmp_path / "outside", {"secret.py": "def outside_def():\n    pass\n"})
    (real / "link_out.py").symlink_to(outside / "secret.py")
    (real / "dir_out").symlink_to(outside)
    (real / "loop").symlink_to(real)  # a cycle must not be followed
    link = tmp_path / "link"
    link.symlink_to(real)
    index = WorkspaceIndex.open(link, db_path=tmp_path / "db.sqlite3")
    report = index.index_all()
    assert report.files_parsed == 1
    [symbol] = index.definitions("inside")
    assert symbol.path == link / "pkg" / "a.py"  # reported under the root as opened
    assert not index.definitions("outside_def")
    assert any("link_out.py: symlink" in s for s in report.skipped)
    # Edits arrive under either spelling of the path.
    index.update_document(real / "pkg" / "a.py", "def inside_renamed():\n    pass\n")
    assert index.definitions("inside_renamed")[0].path == link / "pkg" / "a.py"
    index.update_document(outside / "secret.py", "def nope():\n    pass\n")
    assert not index.definitions("nope")
    index.close()
    # The same workspace opened by its real path shares the default database key.
    from daima.indexer.store import default_db_path

    assert default_db_path(link) == default_db_path(real)


def test_binary_non_utf8_and_bom_files(make_index) -> None:
    index = make_index(
        {
            "binary.py": b"def x():\n\x00\x01\x02 pass\n",
            "latin1.py": "def café():\n    pass\n".encode("latin-1"),
            "bom.py": "\ufeffdef 带BOM():\n    pass\n".encode(),
            "utf16.py": "def 十六位():\n    pass\n".encode("utf-16"),
            "vendor/lib.py": "def vendored():\n    pass\n",
            "gen_pb2.py": "def generated():\n    pass\n",
        }
    )
    report = index.index_all()
    reasons = dict(line.split(": ", 1) for line in report.skipped)
    assert reasons["binary.py"] == "binary"
    assert reasons["latin1.py"].startswith("not UTF-8")
    assert index.definitions("带BOM")[0].column == 4  # the BOM is not part of the text
    assert index.definitions("十六位")
    assert not index.definitions("vendored") and not index.definitions("generated")
    assert index.index_all().files_skipped == 0  # skipped files are remembered until they change


GBK_SOURCE = (
    'def 计算总价(商品列表):\n    """返回总价。"""\n    return sum(商品列表)\n\n总价 = 计算总价([1])\n'
)


def test_gbk_files_are_indexed_with_exact_positions(make_index) -> None:
    """Older Chinese code bases are GBK: a PEP 263 cookie names it, or GB18030 (a superset) is tried
    after UTF-8 and taken when the bytes round-trip."""
    index = make_index(
        {
            "带声明.py": ("# -*- coding: gbk -*-\n" + GBK_SOURCE.replace("计算总价", "求和")).encode("gbk"),
            "无声明.py": GBK_SOURCE.encode("gbk"),
            "latin.py": "# coding: latin-1\ndef café():\n    pass\n".encode("latin-1"),
        }
    )
    report = index.index_all()
    assert report.skipped == []
    [declared] = index.definitions("求和")
    assert (declared.line, declared.column) == (1, 4)
    [plain] = index.definitions("计算总价")
    assert (plain.line, plain.column) == (0, 4)
    assert index.definitions("café")
    # The file's text as the index reads it is Unicode, the same as an editor shows it.
    assert index.file_text(index.root / "无声明.py") == GBK_SOURCE


def test_encodings_follow_the_option(make_index) -> None:
    from daima.config import IndexOptions

    index = make_index({"无声明.py": GBK_SOURCE.encode("gbk")}, options=IndexOptions(encodings=["utf-8"]))
    report = index.index_all()
    assert [line.split(": ", 1)[1] for line in report.skipped] == ["not UTF-8 (byte 4)"]
