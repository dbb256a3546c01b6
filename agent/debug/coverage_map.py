"""Per-test coverage of a repository, and lines mapped to their enclosing functions.

Coverage runs in the sandbox (`agent.debug.runner cover`) with one coverage.py dynamic
context per test, so each covered line knows which tests ran it. Lines are mapped to
the innermost enclosing function (or class body) with `ast`, so spectra can be ranked
per function.
"""

from __future__ import annotations

import ast
import json
import shlex
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from agent.confine import LeavesWorkspace, WorkspaceFilter, read_text_inside
from agent.errors import UserError


@dataclass(frozen=True)
class PytestCommand:
    """A pytest command split into environment, pytest arguments and test paths."""

    env: dict[str, str]
    args: tuple[str, ...]
    paths: tuple[str, ...]

    @classmethod
    def parse(cls, command: str | None) -> PytestCommand:
        """Read `[VAR=val ...] (pytest | python -m pytest) [options] [paths]`."""
        words = shlex.split(command or "python -m pytest")
        env: dict[str, str] = {}
        while words and "=" in words[0] and not words[0].startswith("-"):
            key, _, value = words.pop(0).partition("=")
            env[key] = value
        if words[:3] in (["python", "-m", "pytest"], ["python3", "-m", "pytest"]):
            words = words[3:]
        elif words[:1] in (["pytest"], ["py.test"]):
            words = words[1:]
        else:
            raise UserError(
                "tracing and fault localization are Python-only (pytest); this "
                f"project's test command is: {command}"
            )
        dropped = {"-q", "-x", "--exitfirst", "-v", "-vv", "-s", "-rA"}
        args = tuple(w for w in words if w not in dropped)
        paths = tuple(w for w in args if not w.startswith("-"))
        return cls(env, args, paths)

    def args_without_paths(self) -> list[str]:
        """The pytest options alone (to run chosen tests instead of the given paths)."""
        return [a for a in self.args if a not in self.paths]


@dataclass
class CoverageMap:
    """Which tests ran which lines, and how each test ended."""

    outcomes: dict[str, str]  # node id -> passed | failed | skipped
    lines: dict[str, dict[int, frozenset[str]]]  # path -> line -> node ids

    @property
    def failed(self) -> set[str]:
        """Node ids of the failing tests."""
        return {t for t, o in self.outcomes.items() if o == "failed"}

    @property
    def passed(self) -> set[str]:
        """Node ids of the passing tests."""
        return {t for t, o in self.outcomes.items() if o == "passed"}


def run_coverage(
    root: Path,
    pytest_args: Sequence[str],
    env: dict[str, str],
    timeout: float = 300.0,
    backend: str = "auto",
) -> CoverageMap:
    """Run the given tests under per-test coverage in the sandbox."""
    from agent.debug.execute import run_command

    out = root / ".agent" / "debug" / f"cover-{uuid.uuid4().hex[:8]}.json"
    argv = [
        sys.executable,
        "-m",
        "agent.debug.runner",
        "cover",
        "--root",
        str(root),
        "--out",
        str(out),
        "--",
        *pytest_args,
    ]
    out.parent.mkdir(parents=True, exist_ok=True)  # made here: the sandbox sees only what exists
    result = run_command(root, argv, timeout=timeout, env=env, backend=backend)
    if not out.exists():
        tail = (result.stdout + result.stderr)[-800:]
        raise UserError(f"coverage run produced no data (exit {result.exit_code}): {tail}")
    try:
        data = json.loads(read_text_inside(root, out))
    except LeavesWorkspace as refused:
        raise UserError(f"coverage data not read: {refused}") from None
    out.unlink()
    ids = list(data["tests"])
    inside = WorkspaceFilter(root)  # written in the sandbox: its paths are read on the host
    lines = {
        path: {int(ln): frozenset(ids[i] for i in tests) for ln, tests in per_line.items()}
        for path, per_line in data["files"].items()
        if inside.allows(path)
    }
    return CoverageMap(data["tests"], lines)


@dataclass(frozen=True)
class Span:
    """A function (or class body) and its line range."""

    qualname: str
    kind: str  # function | class
    start: int
    end: int


def spans(source: str) -> list[Span]:
    """Every function and class in a module, outermost first."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    out: list[Span] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                kind = "class" if isinstance(child, ast.ClassDef) else "function"
                out.append(Span(name, kind, child.lineno, child.end_lineno or child.lineno))
                walk(child, name + ".")
            else:
                walk(child, prefix)

    walk(tree, "")
    return out


def line_owner(source: str) -> dict[int, Span]:
    """Map each line to its innermost enclosing function or class."""
    owner: dict[int, Span] = {}
    for span in spans(source):  # outermost first, so inner spans overwrite
        for line in range(span.start, span.end + 1):
            owner[line] = span
    return owner
