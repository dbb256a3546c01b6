"""`agent hook install`, our .pre-commit-hooks.yaml, and the affected-test mapping on a real index."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from agent.index import RepoIndex
from agent.index.affected import affected_tests

ROOT = Path(__file__).resolve().parents[1]
EXISTING = """\
# our hooks; keep this comment
repos:
-   repo: https://github.com/pre-commit/pre-commit-hooks
    rev: v5.0.0
    hooks:
    -   id: trailing-whitespace   # trims
# settings for pre-commit.ci
ci:
    autofix_prs: false
"""


def git(repo: Path, *argv: str) -> str:
    return subprocess.run(
        ["git", *argv], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def new_repo(path: Path, files: dict[str, str] | None = None) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    for name, text in (files or {}).items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    return path


def agent(repo: Path, *argv: str):
    env = {**os.environ, "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home")}
    return subprocess.run(
        [sys.executable, "-P", "-m", "agent", *argv],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def pre_commit(repo: Path, *argv: str):
    env = {**os.environ, "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home")}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *argv],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_our_manifest_is_valid_for_pre_commit():
    done = pre_commit(ROOT, "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml"))
    assert done.returncode == 0, done.stdout + done.stderr
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["agent-check"]["entry"] == "agent hook check"
    assert hooks["agent-check"]["stages"] == ["pre-commit"]
    assert hooks["agent-review"]["stages"] == ["pre-push"]
    assert all(h["require_serial"] for h in hooks.values())


def test_install_extends_an_existing_config_keeping_its_comments_and_is_idempotent(tmp_path):
    repo = new_repo(tmp_path / "r", {".pre-commit-config.yaml": EXISTING})
    first = agent(repo, "hook", "install")
    assert first.returncode == 0, first.stderr
    assert "added agent-check, agent-review to .pre-commit-config.yaml" in first.stdout
    assert "pre-commit install --hook-type pre-push" in first.stdout
    text = (repo / ".pre-commit-config.yaml").read_text()
    assert text.startswith(EXISTING.split("# settings")[0])  # untouched up to the new entry
    assert "# settings for pre-commit.ci\nci:\n    autofix_prs: false\n" in text
    config = yaml.safe_load(text)
    assert config["ci"] == {"autofix_prs": False}
    assert [r["repo"] for r in config["repos"]] == [
        "https://github.com/pre-commit/pre-commit-hooks",
        "local",
    ]
    local = config["repos"][1]["hooks"]
    assert [(h["id"], h["stages"], h["require_serial"]) for h in local] == [
        ("agent-check", ["pre-commit"], True),
        ("agent-review", ["pre-push"], True),
    ]
    assert pre_commit(repo, "validate-config", ".pre-commit-config.yaml").returncode == 0
    second = agent(repo, "hook", "install")
    assert "already has agent-check and agent-review; nothing changed" in second.stdout
    assert (repo / ".pre-commit-config.yaml").read_text() == text


def test_install_writes_a_plain_hook_once_and_never_over_someone_elses(tmp_path):
    repo = new_repo(tmp_path / "r")
    first = agent(repo, "hook", "install")
    hook = repo / ".git/hooks/pre-commit"
    assert first.returncode == 0 and f"wrote {hook}" in first.stdout
    assert os.access(hook, os.X_OK) and "agent hook check" in hook.read_text()
    assert "already installed" in agent(repo, "hook", "install").stdout
    other = new_repo(tmp_path / "other")
    theirs = other / ".git/hooks/pre-commit"
    theirs.write_text("#!/bin/sh\nmake lint\n")
    refused = agent(other, "hook", "install")
    assert refused.returncode == 2 and "not written by agent; left as it is" in refused.stderr
    assert theirs.read_text() == "#!/bin/sh\nmake lint\n"
    assert "Traceback" not in refused.stderr


def test_install_refuses_a_config_that_is_not_yaml(tmp_path):
    repo = new_repo(tmp_path / "r", {".pre-commit-config.yaml": "repos: [\n"})
    done = agent(repo, "hook", "install")
    assert done.returncode == 2 and "is not valid YAML" in done.stderr
    assert (repo / ".pre-commit-config.yaml").read_text() == "repos: [\n"


def test_changed_modules_map_to_the_tests_that_import_them_directly_or_not(tmp_path):
    repo = new_repo(
        tmp_path / "r",
        {
            "pkg/__init__.py": "",
            "pkg/core.py": "def base():\n    return 1\n",
            "pkg/api.py": "from pkg.core import base\n\n\ndef value():\n    return base() + 1\n",
            "tests/test_api.py": "from pkg import api\n\n\ndef test_value():\n    assert api.value() == 2\n",
            "tests/test_core.py": "def test_nothing():\n    pass\n",
            "tests/test_misc.py": "import json\n\n\ndef test_json():\n    assert json.dumps(1)\n",
        },
    )
    git(repo, "add", "-A")
    with RepoIndex.open(repo) as index:
        assert affected_tests(index, ["pkg/core.py"]) == ["tests/test_api.py", "tests/test_core.py"]
        assert affected_tests(index, ["tests/test_misc.py", "README.md"]) == ["tests/test_misc.py"]
        assert affected_tests(index, ["setup.py"]) == []
