"""The ranked map: the token cap, determinism across processes, focus, JSON, and the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agent.index import RepoIndex
from agent.index.render import estimate_tokens

AGENT = [sys.executable, "-c", "from agent.cli import main; main()"]


def module_source(number: int) -> str:
    """A module with a class whose methods call into two other modules."""
    first, second = (number + 1) % 30, (number * 7 + 3) % 30
    return (
        f"from pkg.mod{first} import Service{first}\n"
        f"from pkg.mod{second} import helper_{second}\n\n\n"
        f"def helper_{number}(value):\n    return Service{first}().handle_{first}(value)\n\n\n"
        f"class Service{number}:\n"
        f"    def handle_{number}(self, value):\n        return helper_{second}(value)\n\n"
        f"    def describe_{number}(self):\n        return 'service {number}'\n"
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("maprepo")
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    for number in range(30):
        (root / "pkg" / f"mod{number}.py").write_text(module_source(number))
    (root / "pkg" / "core.py").write_text(
        "class Engine:\n    def start(self):\n        pass\n\n    def stop(self):\n        pass\n"
    )
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


def run_agent(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*AGENT, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


@pytest.mark.parametrize("tokens", [10, 40, 100, 250, 600, 2000])
def test_map_never_exceeds_the_budget(repo: Path, tokens: int) -> None:
    with RepoIndex.open(repo) as index:
        text = index.repo_map(tokens=tokens)
    assert estimate_tokens(text) <= tokens
    if tokens >= 40:
        assert "pkg/" in text


def test_bigger_budget_shows_more_with_class_lines(repo: Path) -> None:
    with RepoIndex.open(repo) as index:
        small, large = index.repo_map(tokens=100), index.repo_map(tokens=5000)
    assert len(large) > len(small) > 0
    lines = [line.strip() for line in large.splitlines()]
    method = lines.index("10│    def handle_3(self, value):")  # numbered with its real line
    assert "9│class Service3:" in lines[:method]  # the enclosing class header comes first


def test_map_is_identical_across_processes_and_hash_seeds(repo: Path, tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "2"):
        copy = tmp_path / f"copy{seed}"
        shutil.copytree(repo, copy, ignore=shutil.ignore_patterns(".agent"))
        cold = run_agent(["map", "--tokens", "400"], copy, PYTHONHASHSEED=seed)
        warm = run_agent(["map", "--tokens", "400"], copy, PYTHONHASHSEED=seed)
        assert cold.returncode == 0 and warm.returncode == 0, cold.stderr + warm.stderr
        outputs += [cold.stdout, warm.stdout]
    assert outputs[0].strip() and len(set(outputs)) == 1


def test_focus_pulls_its_file_and_names_into_a_small_map(repo: Path) -> None:
    with RepoIndex.open(repo) as index:
        plain = index.repo_map(tokens=60)
        by_path = index.repo_map(focus=["pkg/core.py"], tokens=60)
        by_name = index.repo_map(focus=["Engine.stop"], tokens=60)
        by_words = index.repo_map(focus=["the engine will not stop"], tokens=60)
    assert "pkg/core.py" not in plain
    assert "class Engine:" in by_path and "pkg/core.py:" in by_path
    assert "def stop(self):" in by_name
    assert "class Engine:" in by_words


def test_json_map_lists_what_it_shows(repo: Path) -> None:
    done = run_agent(["map", "--json", "--tokens", "300", "--focus", "pkg/core.py"], repo)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["budget"] == 300 and document["tokens"] <= 300
    assert document["tokens"] == estimate_tokens(document["map"])
    paths = [entry["path"] for entry in document["files"]]
    assert "pkg/core.py" in paths and paths == sorted(paths)
    core = next(entry for entry in document["files"] if entry["path"] == "pkg/core.py")
    assert {"name": "Engine", "kind": "class", "line": 1}.items() <= core["symbols"][0].items()


def test_index_stats_command(repo: Path) -> None:
    done = run_agent(["index", "--stats"], repo)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("indexed 32 files")
    for label in ("symbols", "references", "language python", "syntax errors", "time (s)"):
        assert label in done.stdout


def test_not_a_git_repository_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    done = run_agent(["map"], tmp_path, GIT_CEILING_DIRECTORIES=str(tmp_path.parent))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("agent: not a git repository")
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_tests_appear_only_when_the_focus_points_at_them(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "app.py").write_text("def serve():\n    pass\n")
    (tmp_path / "tests" / "test_app.py").write_text(
        "from app import serve\n\n\ndef test_serve():\n    serve()\n"
    )
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    with RepoIndex.open(tmp_path) as index:
        plain = index.repo_map(tokens=500)
        focused = index.repo_map(focus=["tests/test_app.py"], tokens=500)
        by_name = index.repo_map(focus=["test_serve"], tokens=500)
    assert "def serve():" in plain and "test_serve" not in plain
    assert "def test_serve():" in focused and "def test_serve():" in by_name
