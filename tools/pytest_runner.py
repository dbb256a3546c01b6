"""pytest (and unittest through it) as a test runner: its command line, its JUnit XML report,
and test ids that do not exist.

The report goes to a folder bound writable for that run alone (`agent.tools.run_folders`:
the sandbox's /tmp is private to each command, and the scratch folder is every command's, a
command running beside the baseline included); without a scratch folder, to a hidden file
in the workspace. Either way it is read as hostile input and deleted after each run. A run
that names a missing test id makes pytest stop before running anything (exit 4); the missing
ids are then found from a collection run, with the nearest existing ids, and the rest run
alone.
"""

from __future__ import annotations

import ast
import difflib
import re
import shlex
from pathlib import Path

from agent.confine import LeavesWorkspace, exists_inside, read_text_inside
from agent.tools.helper_asserts import with_helper_asserts
from agent.tools.junit import ReportUnreadable, pytest_cases, read_report_file
from agent.tools.pytest_report import parse_pytest
from agent.tools.run_folders import report_place
from agent.tools.testrun import TestRun

PYTEST_FLAGS = "-rfE --tb=short --color=no -p no:cacheprovider"
USAGE_ERROR = 4  # pytest's exit status for a test id or path it cannot find
NEAREST = 3
_SUBFAILED = re.compile(r"^SUBFAILED((?:\[[^\]]*\])?\s?(?:\(.*?\))?) (.+?)(?: - .*)?$")
_COLLECTION_ERROR = re.compile(r"^_+ ERROR collecting (\S+) _+$", re.MULTILINE)
COLLECTED = (0, 2, 5)  # collect-only exits: all collected, some files erred, none found


def run_pytest(ctx, base: str, targets: list[str], timeout: int, env: dict | None) -> TestRun:
    """Run pytest on `targets` (all when empty); missing ids are reported, not failed."""
    run = _run_once(ctx, base, targets, timeout, env)
    if run.exit_code != USAGE_ERROR or run.cases or not targets or run.source != "report":
        return run
    known = collected_ids(ctx, base, timeout, env)
    present = [t for t in targets if _exists(t, known, ctx.root)]
    missing = {t: nearest_ids(t, known) for t in targets if t not in present}
    if not missing:
        return run
    if present:
        run = _run_once(ctx, base, present, timeout, env)
    run.missing = missing
    return run


def command_line(base: str, targets: list[str]) -> str:
    """The command as the model may re-run it: the project's, our flags, the targets."""
    return " ".join([base, PYTEST_FLAGS, *(shlex.quote(t) for t in targets)])


def _run_once(ctx, base: str, targets: list[str], timeout: int, env: dict | None) -> TestRun:
    shown = command_line(base, targets)
    loaded, env = with_helper_asserts(base, env)
    with report_place(ctx, ".xml") as (report, own):
        real = " ".join(
            [
                loaded,
                PYTEST_FLAGS,
                "-o",
                "junit_family=xunit1",
                shlex.quote(f"--junitxml={report}"),
                *(shlex.quote(t) for t in targets),
            ]
        )
        result = ctx.sandbox.run(
            ["bash", "-c", real], cwd=ctx.root, timeout=max(timeout, 1), env=env, writable=own
        )
        data = _take(report)
    output = result.stdout + ("\n" + result.stderr if result.stderr else "")
    run = parse_pytest(output, shown, result.exit_code)
    if data is not None and not result.timed_out:
        try:
            run.cases = pytest_cases(data, ctx.root, subtest_labels(output))
            run.source = "report"
        except ReportUnreadable:
            pass
    run.duration_s, run.timed_out = result.duration_s, result.timed_out
    run.killed_by = result.killed_by
    return run


def _take(report: Path) -> bytes | None:
    try:
        return read_report_file(report)
    except ReportUnreadable:
        return None


def subtest_labels(output: str) -> dict[str, list[str]]:
    """Each test id's failing subtests' labels, in order, from pytest's `SUBFAILED` lines.

    Only labels: the verdicts come from the report, which does not carry them.
    """
    labels: dict[str, list[str]] = {}
    for line in output.splitlines():
        found = _SUBFAILED.match(line)
        if found:
            labels.setdefault(found.group(2), []).append(found.group(1).strip())
    return labels


def collected_ids(ctx, base: str, timeout: int, env: dict | None) -> list[str]:
    """Every test id the project's command collects (for existence and nearest-id hints)."""
    return _ids(_collect(ctx, base, [], timeout, env).stdout)


def missing_ids(
    ctx, base: str, test_ids: list[str], timeout: int, env: dict | None
) -> dict[str, list[str]]:
    """The ids among `test_ids` that exist in no form, each with the nearest existing ids.

    An id its file plainly defines is taken without a run; for the others, only the files
    they name are collected (the whole suite only to find neighbours for an id whose file does
    not exist). An id in a file that fails to import, or a collection that does not finish,
    cannot be judged and is taken as existing.
    """
    test_ids = [t for t in test_ids if not plainly_defined(ctx.root, t)]
    files = list(
        dict.fromkeys(f for f in (t.split("::")[0] for t in test_ids) if exists_inside(ctx.root, f))
    )
    known: list[str] = []
    broken: set[str] = set()
    if any("::" in t for t in test_ids if t.split("::")[0] in files):
        result = _collect(ctx, base, files, timeout, env)
        if result.timed_out or result.exit_code not in COLLECTED:
            return {}
        known, broken = _ids(result.stdout), set(_COLLECTION_ERROR.findall(result.stdout))
    absent = [
        t for t in test_ids if t.split("::")[0] not in broken and not _exists(t, known, ctx.root)
    ]
    if any(t.split("::")[0] not in files for t in absent):
        known = collected_ids(ctx, base, timeout, env)
    return {t: nearest_ids(t, known) for t in absent}


def plainly_defined(root: Path, test_id: str) -> bool:
    """True when the id's file defines it in plain sight: `def test_*` (or `class Test*`) at
    the top level or in the `class Test*` the id names. Not for parametrized ids."""
    path, *names = test_id.split("::")
    if not names or "[" in test_id or not all(n.startswith(("test", "Test")) for n in names):
        return False
    try:
        body = ast.parse(read_text_inside(root, path)).body
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError, LeavesWorkspace):
        return False
    for name in names[:-1]:
        body = next((n.body for n in body if isinstance(n, ast.ClassDef) and n.name == name), [])
    return any(
        isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == names[-1]
        for n in body
    )


def _collect(ctx, base: str, files: list[str], timeout: int, env: dict | None):
    command = " ".join(
        [
            base,
            "--collect-only --verbosity=-1 --color=no -p no:cacheprovider",
            *(shlex.quote(f) for f in files),
        ]
    )
    return ctx.sandbox.run(["bash", "-c", command], cwd=ctx.root, timeout=max(timeout, 1), env=env)


def _ids(stdout: str) -> list[str]:
    return [
        line.strip()
        for line in stdout.splitlines()
        if "::" in line and not line.startswith((" ", "=", "_"))
    ]


def nearest_ids(test_id: str, known: list[str]) -> list[str]:
    """The existing ids closest to `test_id`: by spelling, else the first ones of its file."""
    close = difflib.get_close_matches(test_id, known, n=NEAREST, cutoff=0.6)
    if close:
        return close
    same_file = [k for k in known if k.split("::")[0] == test_id.split("::")[0]]
    return same_file[:NEAREST] or difflib.get_close_matches(test_id, known, n=NEAREST, cutoff=0.0)


def _exists(target: str, known: list[str], root: Path) -> bool:
    if "::" not in target:
        return exists_inside(root, target)
    return any(k == target or k.startswith((target + "::", target + "[")) for k in known)
