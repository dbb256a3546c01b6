"""The index cache: invalidation, touched files, corruption, concurrency, skips, errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from agent.index import RepoIndex
from agent.index.parse import syntax_errors

AGENT = [sys.executable, "-c", "from agent.cli import main; main()"]


def make_repo(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


def names(index: RepoIndex, path: str) -> list[str]:
    return [symbol.name for symbol in index.outline(path)]


def test_edit_and_delete_update_the_index(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path, {"a.py": "def old():\n    pass\n", "b.py": "def keep():\n    old()\n"}
    )
    with RepoIndex.open(repo) as index:
        assert names(index, "a.py") == ["old"]
        assert [ref.path for ref in index.references("old")] == ["b.py"]
    (repo / "a.py").write_text("def new():\n    pass\n\n\ndef newer():\n    pass\n")
    with RepoIndex.open(repo) as index:
        assert names(index, "a.py") == ["new", "newer"]
        assert index.definitions("old") == []
        assert index.stats()["reparsed"] == 1
    (repo / "b.py").unlink()
    with RepoIndex.open(repo) as index:
        assert index.files() == ["a.py"]
        assert index.references("old") == [] and index.definitions("keep") == []


def test_unchanged_and_touched_files_are_not_parsed_again(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"a.py": "def one():\n    pass\n"})
    with RepoIndex.open(repo) as index:
        assert index.stats()["reparsed"] == 1
    with RepoIndex.open(repo) as index:
        assert index.stats()["reparsed"] == 0
    stat = (repo / "a.py").stat()
    os.utime(repo / "a.py", ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    with RepoIndex.open(repo) as index:
        assert index.stats()["reparsed"] == 0  # same content hash
        assert names(index, "a.py") == ["one"]


def test_corrupt_cache_is_rebuilt(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"a.py": "class Thing:\n    pass\n"})
    RepoIndex.open(repo).close()
    cache = repo / ".agent" / "index.sqlite"
    for side in (".agent/index.sqlite-wal", ".agent/index.sqlite-shm"):
        (repo / side).unlink(missing_ok=True)
    cache.write_bytes(b"this is not a database" * 100)
    with RepoIndex.open(repo) as index:
        assert names(index, "a.py") == ["Thing"]
    done = subprocess.run([*AGENT, "map"], cwd=repo, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "class Thing:" in done.stdout


def test_agent_dir_is_excluded_in_git_not_gitignore(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"a.py": "x = 1\n", ".gitignore": "*.log\n"})
    RepoIndex.open(repo).close()
    RepoIndex.open(repo).close()
    exclude = (repo / ".git" / "info" / "exclude").read_text().splitlines()
    assert exclude.count(".agent/") == 1
    assert (repo / ".gitignore").read_text() == "*.log\n"
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    assert ".agent" not in status


def test_concurrent_runs_both_succeed(tmp_path: Path) -> None:
    files = {
        f"pkg/mod{n}.py": f"def func{n}():\n    return func{(n + 1) % 60}()\n" for n in range(60)
    }
    repo = make_repo(tmp_path, files)
    command = [*AGENT, "map", "--tokens", "300"]
    runs = [
        subprocess.Popen(
            command, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
    assert outputs[0][0] == outputs[1][0] and "def func" in outputs[0][0]
    with RepoIndex.open(repo) as index:
        assert len(index.definitions("func7")) == 1  # no duplicated rows


def test_skips_are_counted_by_reason(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        {
            "app.py": "def main():\n    pass\n",
            "vendor/lib.py": "def vendored():\n    pass\n",
            "node_modules/x/index.js": "function f() {}\n",
            "logo.png": b"\x89PNG\r\n\x1a\n\0\0",
            "data.py": b"\0\0binary\0",
            "big.py": "x = 1\n" * 200_000,
            "bundle.js": "var a=1;" * 2000,
            "notes.txt": "hello\n",
            "ignored.py": "def hidden():\n    pass\n",
            ".gitignore": "ignored.py\n",
        },
    )
    with RepoIndex.open(repo) as index:
        stats = index.stats()
        assert stats["skipped"] == {
            "binary": 2,
            "huge": 1,
            "minified": 1,
            "unknown language": 2,
            "vendored": 2,
        }
        assert index.files() == [".gitignore", "app.py", "notes.txt"]
        assert index.definitions("vendored") == [] and index.definitions("hidden") == []


def test_syntax_errors_index_what_parses(tmp_path: Path) -> None:
    broken = "def fine():\n    pass\n\ndef broken(:\n    pass\n\nclass After:\n    pass\n"
    repo = make_repo(tmp_path, {"bad.py": broken, "good.py": "y = 2\n"})
    with RepoIndex.open(repo) as index:
        assert index.stats()["syntax_errors"] == 1
        assert {"fine", "After"} <= set(names(index, "bad.py"))
    errors = syntax_errors(broken.encode(), "python")
    assert errors and errors[0][0] == 4
    assert all(isinstance(message, str) and message for _, _, message in errors)
    assert syntax_errors(b"def ok():\n    return 1\n", "python") == []


def test_unreadable_file_is_skipped_with_a_count(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"a.py": "def a():\n    pass\n"})
    (repo / "loop.py").symlink_to("loop.py")  # reading it fails with ELOOP, even as root
    with RepoIndex.open(repo) as index:
        assert index.stats()["skipped"] == {"unreadable": 1}
        assert names(index, "a.py") == ["a"]
