"""Choose the passing tests worth measuring: those that touch the failing tests' code.

The modules the failing tests ran (from their traces) are matched against each test
file's imports. A test file that imports only a parent package (`from toolz import
curry`) counts when it also names a function the failing tests called in that module.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agent.confine import WorkspaceFilter, confined
from agent.debug.calltree import is_test_path, module_name
from agent.debug.coverage_map import PytestCommand


def related_test_files(
    root: Path, cmd: PytestCommand, failing: Sequence[str], traces: list[dict[str, Any]]
) -> list[str]:
    """Repository-relative test files to run next to the failing tests."""
    paths = list(cmd.paths) or ["."]
    if not traces:
        return paths
    called: dict[str, set[str]] = {}
    for trace in traces:
        for call in trace["calls"]:
            if not is_test_path(call["path"]):
                called.setdefault(module_name(call["path"]), set()).add(call["func"].split(".")[0])
    picked = {t.split("::")[0] for t in failing}
    for test_file in _test_files(root, paths):
        rel = test_file.relative_to(root).as_posix()
        if rel not in picked and _touches(test_file, called):
            picked.add(rel)
    return sorted(picked)


def test_files(root: Path, cmd: PytestCommand) -> list[Path]:
    """The test files the command's paths hold."""
    return _test_files(root, list(cmd.paths) or ["."])


def _test_files(root: Path, paths: list[str]) -> list[Path]:
    out: list[Path] = []
    inside = WorkspaceFilter(root)
    for entry in paths:
        base = confined(root, entry)
        if base is None:
            continue
        candidates = [base] if base.is_file() else sorted(base.rglob("*.py"))
        for path in candidates:
            if not inside.allows(path.relative_to(inside.root).as_posix()):
                continue
            name = path.name
            if (
                name.startswith("test_") or name.endswith("_test.py")
            ) and ".agent" not in path.parts:
                out.append(path)
    return out


def _touches(test_file: Path, called: dict[str, set[str]]) -> bool:
    try:
        source = test_file.read_text(encoding="utf-8")
        tree = ast.parse(source)
    except (OSError, SyntaxError, UnicodeDecodeError):
        return True  # cannot tell: keep it
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
            imported.update(f"{node.module}.{a.name}" for a in node.names)
    words = set(re.findall(r"[A-Za-z_]\w*", source))
    for module, funcs in called.items():
        for name in imported:
            if name == module or name.startswith(module + "."):
                return True
            if module.startswith(name + ".") and funcs & words:
                return True
    return False
