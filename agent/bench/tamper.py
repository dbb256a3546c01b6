"""What a change may not touch for its verdict to count: files that run at interpreter start
or stand in for pytest (the task is marked tampered), and the task's pytest configuration
(put back from the task's commit before judging, as its test files are).
"""

from __future__ import annotations

import configparser
import os
import tomllib
from pathlib import Path, PurePosixPath

from agent.bench.workcopy import changed_paths, git
from agent.confine import LeavesWorkspace, confined, read_text_inside

# file name -> why a change adding it is not judged
START_UP = {
    "sitecustomize.py": "Python imports it at start-up",
    "usercustomize.py": "Python imports it at start-up",
    "pytest.py": "it stands in for pytest",
}
SHADOW_PACKAGES = ("pytest", "_pytest")
CONFIG_NAMES = ("pytest.ini", ".pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml")


def tampering(root: Path, commit: str) -> dict[str, str]:
    """The files the change added or altered that run code before or in place of the judge's
    pytest: path -> why."""
    found: dict[str, str] = {}
    for path in changed_paths(root, commit):
        if not os.path.lexists(root / path):
            continue  # deleting one is no tampering
        parts = PurePosixPath(path).parts
        name = parts[-1]
        if name in START_UP:
            found[path] = START_UP[name]
        elif name.endswith(".pth"):
            found[path] = "Python runs its import lines at start-up"
        elif any(p in SHADOW_PACKAGES for p in parts[:-1]):
            found[path] = "it stands in for pytest"
        elif (
            name == "entry_points.txt"
            and any(p.endswith((".dist-info", ".egg-info")) for p in parts[:-1])
            and "pytest11" in _text(root, path)
        ):
            found[path] = "it names a plugin pytest loads"
    return found


def drop_bytecode(root: Path, commit: str) -> list[str]:
    """Remove the bytecode files the change left in `__pycache__` folders; returns them.

    Python, and pytest for the modules it rewrites, read a cached file in place of an
    unchanged module whose size and time it names: one planted beside the task's conftest
    would run instead of it.
    """
    dropped = []
    for path in changed_paths(root, commit):
        parent = PurePosixPath(path).parent
        if "__pycache__" in parent.parts and confined(root, str(parent)) is not None:
            (root / path).unlink(missing_ok=True)
            dropped.append(path)
    return dropped


def reset_test_config(root: Path, commit: str) -> list[str]:
    """Put back the task's pytest configuration where the change altered it; returns the files.

    pytest.ini is configuration as a whole; in tox.ini, setup.cfg and pyproject.toml only
    the pytest section counts, but a file whose section changed is put back whole. A new
    file with a pytest section (pytest would read it first) is removed.
    """
    in_commit = set(git(root, "ls-tree", "-r", "--name-only", commit).splitlines())
    reset = []
    for path in changed_paths(root, commit):
        if PurePosixPath(path).name not in CONFIG_NAMES:
            continue
        before = git(root, "show", f"{commit}:{path}") if path in in_commit else None
        after = _text(root, path) if os.path.lexists(root / path) else None
        if pytest_section(path, before) == pytest_section(path, after):
            continue
        if before is None:
            (root / path).unlink()
        else:
            git(root, "checkout", commit, "--", path)
        reset.append(path)
    return reset


def pytest_section(path: str, text: str | None) -> object:
    """The pytest settings a config file holds (None for none); unreadable text is itself."""
    name = PurePosixPath(path).name
    if text is None or name in ("pytest.ini", ".pytest.ini"):
        return text
    try:
        if name == "pyproject.toml":
            return tomllib.loads(text).get("tool", {}).get("pytest")
        parser = configparser.RawConfigParser(interpolation=None)
        parser.read_string(text)
    except (tomllib.TOMLDecodeError, configparser.Error, AttributeError):
        return text
    section = "pytest" if name == "tox.ini" else "tool:pytest"
    return dict(parser[section]) if parser.has_section(section) else None


def _text(root: Path, path: str) -> str:
    try:
        return read_text_inside(root, path, errors="replace")
    except (OSError, LeavesWorkspace):
        return ""  # a link out of the workspace: judged as no text
