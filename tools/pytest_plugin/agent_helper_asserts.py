"""A pytest plugin (`-p agent_helper_asserts`): asserts in the project's own helper modules
get pytest's assertion rewriting, so a failing `assert a == b` in `tests/common.py` shows
both values, as it would in a test module.

pytest rewrites only test modules, conftests and the modules a project registers. Here the
plain `.py` files beside the test files (the folders the run collects from, walked as pytest
walks them) are registered under the names they can be imported by, before any conftest is
loaded. Nothing of the project is imported; names already imported are left alone (pytest
could not rewrite them and would warn). Any error here is swallowed: the run goes on as
without the plugin. Standalone: it runs in the project's interpreter, which may not have
the `agent` package.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from pathlib import Path
from typing import Any

_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ()))


def pytest_load_initial_conftests(early_config: Any) -> None:
    """Register the helper modules for rewriting (the earliest hook a `-p` plugin gets)."""
    try:
        names = helper_module_names(early_config)
        if names:
            import pytest

            pytest.register_assert_rewrite(*names)
    except Exception:  # never change how the project's tests run
        pass


def helper_module_names(config: Any) -> list[str]:
    """The import names of the helper modules beside the test files this run collects."""
    patterns = list(config.getini("python_files"))
    skip = list(config.getini("norecursedirs"))
    rootdir = Path(str(getattr(config, "rootpath", None) or config.rootdir)).resolve()
    names: dict[str, None] = {}
    for folder in _test_folders(_starts(config, rootdir), patterns, skip):
        for entry in sorted(os.listdir(folder)):
            if _is_helper(entry, folder, patterns):
                names.update(dict.fromkeys(_import_names(folder / entry, rootdir)))
    return [n for n in names if n not in sys.modules]


def _starts(config: Any, rootdir: Path) -> list[Path]:
    """Where collection starts: the arguments, else `testpaths`, else the invocation folder."""
    invocation = getattr(config, "invocation_params", None)  # pytest 5.1 and later
    here = Path(str(getattr(invocation, "dir", None) or os.getcwd()))
    args = [a.split("::")[0] for a in config.known_args_namespace.file_or_dir or []]
    if args:
        return [here / a for a in args]
    testpaths = [
        p
        for t in config.getini("testpaths")
        for p in ([Path(t)] if Path(t).is_absolute() else rootdir.glob(t))
    ]
    return testpaths or [here]


def _test_folders(starts: list[Path], patterns: list[str], skip: list[str]) -> list[Path]:
    """The folders under `starts` (pruned as pytest's `norecursedirs`) holding test files."""
    folders: dict[Path, None] = {}
    for start in starts:
        if start.is_file():
            folders[start.parent.resolve()] = None
            continue
        for top, dirs, files in os.walk(start):
            dirs[:] = [d for d in dirs if not _pruned(d, Path(top) / d, skip)]
            if any(_matches(f, patterns) for f in files):
                folders[Path(top).resolve()] = None
    return list(folders)


def _pruned(name: str, path: Path, skip: list[str]) -> bool:
    if name == "__pycache__" or any(fnmatch.fnmatch(name, p) for p in skip):
        return True
    return (path / "pyvenv.cfg").is_file()


def _matches(name: str, patterns: list[str]) -> bool:
    return name.endswith(".py") and any(fnmatch.fnmatch(name, p) for p in patterns)


def _is_helper(name: str, folder: Path, patterns: list[str]) -> bool:
    if not name.endswith(".py") or name in ("conftest.py", "__init__.py"):
        return False
    return not _matches(name, patterns) and (folder / name).is_file()


def _import_names(path: Path, rootdir: Path) -> list[str]:
    """Names a test may import `path` by: from its package's base folder (pytest's prepend
    and append modes), its bare name when its folder is no package (that folder goes on
    sys.path), and its path from the rootdir (a namespace package under the working folder)."""
    parts = [path.stem]
    base = path.parent
    while (base / "__init__.py").is_file():
        parts.insert(0, base.name)
        base = base.parent
    names = [".".join(parts)]
    try:
        names.append(".".join(path.relative_to(rootdir).with_suffix("").parts))
    except ValueError:  # outside the rootdir
        pass
    return [
        n
        for n in dict.fromkeys(names)
        if all(p.isidentifier() for p in n.split(".")) and ("." in n or n not in _STDLIB)
    ]
