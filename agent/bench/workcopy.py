"""A task's working copy: the repository at base_commit (a synthesized bug applied), and its reset.

The copy is a fresh repository with a single commit holding the task's tree, so the agent
sees a clean working tree and no history that would point at the answer (a synthesized
bug committed on top of base_commit would be one `git show` away; a mined task's fix is the
commit after base_commit). A task's test_patch is never in the copy: the evaluation
applies it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from agent.bench.tasks import breaks_base
from agent.errors import UserError
from agent.gitops.pin import git_argv, git_env

_IDENTITY = [
    "-c",
    "user.name=agent-bench",
    "-c",
    "user.email=bench@localhost",
    "-c",
    "commit.gpgsign=false",
]
_COPY_IGNORE = shutil.ignore_patterns(".git", "__pycache__", ".agent", ".pytest_cache", ".tox")


def git(root: Path, *argv: str, stdin: str | None = None) -> str:
    """Run git in `root`; a failure is a UserError naming the command and git's message."""
    proc = subprocess.run(
        [*git_argv(root), *argv],
        cwd=root,
        input=stdin,
        capture_output=True,
        text=True,
        env=git_env(),
        check=False,
    )
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines() or ["no message"]
        raise UserError(f"git {' '.join(argv[:2])} failed in {root}: {lines[-1]}")
    return proc.stdout


def task_source(task: dict[str, Any], repos: Path | None) -> Path:
    """Where the task's repository is: REPOS/<repo> when given, else the task's repo_path.

    A SWE-bench repo name `owner/name` is looked for as REPOS/owner/name, REPOS/owner__name
    and REPOS/name.
    """
    if repos is not None:
        name = str(task["repo"])
        places = [
            Path(repos) / name,
            Path(repos) / name.replace("/", "__"),
            Path(repos) / name.rsplit("/", 1)[-1],
        ]
        source = next((p for p in places if p.is_dir()), places[0])
    else:
        source = Path(task["repo_path"]) if task.get("repo_path") else None
    if source is None or not source.is_dir():
        raise UserError(
            f"repository of {task['instance_id']} not found at {source}; "
            "pass --repos DIR (a folder holding the repositories by name)"
        )
    return source


def prepare(task: dict[str, Any], dest: Path, repos: Path | None = None) -> str:
    """Make `dest` the task's repository as the agent starts it, committed; returns the commit."""
    source = task_source(task, repos)
    commit = task.get("base_commit") or ""
    if commit and (source / ".git").exists():
        git(dest.parent, "clone", "-q", "--shared", "--no-checkout", str(source), dest.name)
        git(dest, "checkout", "-q", "--detach", commit)
        shutil.rmtree(dest / ".git")
    else:
        shutil.copytree(source, dest, ignore=_COPY_IGNORE)
    git(dest, "init", "-q", "-b", "main")
    if breaks_base(task):
        apply_patch(dest, task.get("patch") or "")
    git(dest, "add", "-A", "-f")  # every file of the checkout, even ones .gitignore names
    # A mined task's id names the commit that fixed it: the message names nothing.
    git(dest, *_IDENTITY, "commit", "-q", "--no-verify", "-m", "task")
    return git(dest, "rev-parse", "HEAD").strip()


def changed_paths(root: Path, commit: str) -> list[str]:
    """Files that differ from `commit`: modified, deleted and new, ignored ones too (a change
    may add a .gitignore line for the conftest.py it adds); new files in the agent's own
    `.agent/` and in environment folders (a package's tests/ inside a new venv) aside."""
    from agent.sandbox.envs import ENVIRONMENT_NAMES

    tracked = git(root, "diff", "--name-only", "--no-renames", commit).splitlines()
    new = git(root, "ls-files", "--others").splitlines()
    aside = (".agent", "node_modules", *ENVIRONMENT_NAMES)
    return sorted(set(tracked) | {p for p in new if p.split("/", 1)[0] not in aside})


def reset_test_files(root: Path, commit: str, test_files: set[str]) -> list[str]:
    """Put back the task's version of every test file the agent changed; returns them.

    A test file is one `is_test_path` recognizes or one the task's tests live in. Files
    the agent added there are removed; files it deleted come back.
    """
    from agent.debug.calltree import is_test_path

    reset = [p for p in changed_paths(root, commit) if is_test_path(p) or p in test_files]
    in_commit = set(git(root, "ls-tree", "-r", "--name-only", commit).splitlines())
    for path in reset:
        if path in in_commit:
            git(root, "checkout", commit, "--", path)
        else:
            (root / path).unlink(missing_ok=True)
    return reset


def apply_patch(root: Path, patch: str, reverse: bool = False) -> None:
    """Apply a unified diff to the working tree of `root` (a UserError when it does not apply)."""
    if patch.strip():
        git(root, "apply", "--whitespace=nowarn", *(["-R"] if reverse else []), "-", stdin=patch)
