"""Synthesize bug-fixing tasks from a real repository by breaking it on purpose.

1. Run the whole test suite once on the clean repository, under per-test coverage: the
   baseline outcome of every test and which lines the tests run.
2. Enumerate mutations (`agent.bench.mutations`) in the functions the tests run, order
   them with `--seed`, round-robin over kinds.
3. Validate each in a copy of the repository (one per worker process) by running the
   test command in the sandbox with a timeout; keep it when at least one baseline-passing
   test now fails (FAIL_TO_PASS) and at least one still passes (PASS_TO_PASS).
4. Write SWE-smith-style task instances as JSONL.
"""

from __future__ import annotations

import difflib
import hashlib
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.bench.mutations import Mutation, mutations
from agent.debug.calltree import is_test_path
from agent.debug.coverage_map import CoverageMap, PytestCommand, run_coverage
from agent.gitops.pin import git_argv, git_env

_SKIP_FILES = re.compile(
    r"(^|/)(setup|conftest|versioneer|_version|benchmarks?|noxfile|"
    r"fabfile|manage)\.py$|(^|/)(docs?|examples?|scripts?|build)/"
)


@dataclass(frozen=True)
class RunOutcome:
    """Per-test results of one test-suite run."""

    results: dict[str, str]  # node id -> PASSED | FAILED | ERROR | SKIPPED | XFAIL
    messages: dict[str, str]
    timed_out: bool
    uncollected: tuple[str, ...] = ()  # files pytest could not collect (import errors)


_JUDGED = {
    "passed": "PASSED",
    "failed": "FAILED",
    "error": "ERROR",
    "skipped": "SKIPPED",
    "xfailed": "XFAIL",
}


def run_tests(root: Path, cmd: PytestCommand, timeout: float, backend: str = "auto") -> RunOutcome:
    """Run the test command in the sandbox and read its per-test results from its JUnit XML.

    A run that leaves no report gives no results: every test counts as not passed.
    """
    from agent.debug.execute import run_command
    from agent.tools.junit import ReportUnreadable, pytest_cases, read_report_file

    report = root / f".agent-report-{uuid.uuid4().hex[:12]}.xml"
    argv = [
        sys.executable,
        "-m",
        "pytest",
        *cmd.args,
        "-q",
        "--tb=line",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        "-o",
        "junit_family=xunit1",
        f"--junitxml={report}",
    ]
    try:
        res = run_command(root, argv, timeout=timeout, env=cmd.env, backend=backend)
        cases = pytest_cases(read_report_file(report), root)
    except ReportUnreadable:
        cases = []
    finally:
        report.unlink(missing_ok=True)
    results = {c.test_id: _JUDGED[c.outcome] for c in cases}
    messages = {c.test_id: c.message for c in cases if c.message}
    uncollected = tuple(c.test_id for c in cases if c.collection)
    return RunOutcome(results, messages, res.timed_out, uncollected)


def source_files(root: Path, cmd: PytestCommand) -> list[str]:
    """Python files of the project that are not tests, setup or docs."""
    try:
        listed = subprocess.run(
            [*git_argv(root), "ls-files", "*.py"],
            cwd=root,
            capture_output=True,
            text=True,
            env=git_env(),
            check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        listed = [p.relative_to(root).as_posix() for p in root.rglob("*.py")]
    return sorted(
        p
        for p in listed
        if not is_test_path(p) and not _SKIP_FILES.search(p) and not p.startswith(".")
    )


def candidates(root: Path, files: list[str], cov: CoverageMap, seed: int) -> list[Mutation]:
    """Mutations on lines the passing tests run, in a seeded order.

    Every function's first candidate comes before any function's second; within a
    function, kinds take turns in a seeded order, so the first bugs kept are varied.
    Removing a whole method or base class comes after a function's other candidates.
    """
    passing = cov.passed
    by_function: dict[tuple[str, str], list[Mutation]] = {}
    for path in files:
        covered = {ln for ln, tests in cov.lines.get(path, {}).items() if tests & passing}
        if not covered:
            continue
        source = (root / path).read_text(encoding="utf-8")
        for m in mutations(path, source):
            if (
                m.line in covered
                or (m.kind == "remove_method" and m.line + 1 in covered)
                or (m.kind == "remove_base" and covered)
            ):
                by_function.setdefault((m.path, m.function), []).append(m)
    rng = random.Random(seed)
    queues = [_function_queue(by_function[key], rng) for key in sorted(by_function)]
    rng.shuffle(queues)
    order: list[Mutation] = []
    for depth in range(max((len(q) for q in queues), default=0)):
        order.extend(q[depth] for q in queues if depth < len(q) and q[depth] is not None)
    return order


def _function_queue(found: list[Mutation], rng: random.Random) -> list[Mutation | None]:
    by_kind: dict[str, list[Mutation]] = {}
    for m in found:
        by_kind.setdefault(m.kind, []).append(m)
    kinds = sorted(by_kind)
    for kind in kinds:
        rng.shuffle(by_kind[kind])
    queue: list[Mutation | None] = []
    while any(by_kind.values()):
        rng.shuffle(kinds)
        queue.extend(by_kind[k].pop() for k in kinds if by_kind[k])
    whole = [m for m in queue if m is not None and m.kind in ("remove_method", "remove_base")]
    rest = [m for m in queue if m not in whole]
    return [*rest, *([None] if not rest else []), *whole]


# -- worker side -------------------------------------------------------------------------
_WORK: dict[str, Any] = {}


def _init_worker(repo: str, cmd: PytestCommand, timeout: float, backend: str) -> None:
    from multiprocessing.util import Finalize

    copy = Path(tempfile.mkdtemp(prefix="agent-synth-"))
    Finalize(None, shutil.rmtree, args=(str(copy), True), exitpriority=10)
    shutil.copytree(
        repo,
        copy / "repo",
        ignore=shutil.ignore_patterns(
            ".git", "__pycache__", ".agent", ".pytest_cache", ".tox", ".venv"
        ),
    )
    _WORK.update(root=copy / "repo", cmd=cmd, timeout=timeout, backend=backend)


def _validate(mutation: Mutation) -> tuple[Mutation, RunOutcome | None]:
    root: Path = _WORK["root"]
    target = root / mutation.path
    original = target.read_text(encoding="utf-8")
    try:
        target.write_text(mutation.apply(original), encoding="utf-8")
        outcome = run_tests(root, _WORK["cmd"], _WORK["timeout"], _WORK["backend"])
    finally:
        target.write_text(original, encoding="utf-8")
    return mutation, outcome


def task_instance(
    repo: Path,
    name: str,
    commit: str,
    mutation: Mutation,
    baseline: set[str],
    outcome: RunOutcome,
    command: str,
) -> dict[str, Any] | None:
    """The task for a validated bug, or None when it does not fail and pass tests."""
    if outcome.timed_out:
        return None
    fail = sorted(t for t in baseline if outcome.results.get(t) in ("FAILED", "ERROR"))
    fail += sorted(
        t
        for t in baseline
        if t not in outcome.results
        and any(t.split("::")[0] == r.split("::")[0] for r in outcome.results)
    )
    passing = sorted(t for t in baseline if outcome.results.get(t) == "PASSED")
    if not fail or not passing:
        return None
    source = (repo / mutation.path).read_text(encoding="utf-8")
    patch = "".join(
        difflib.unified_diff(
            source.splitlines(keepends=True),
            mutation.apply(source).splitlines(keepends=True),
            f"a/{mutation.path}",
            f"b/{mutation.path}",
        )
    )
    digest = hashlib.sha1(patch.encode()).hexdigest()[:8]
    return {
        "instance_id": f"{name}__{mutation.function}__{mutation.kind}__{digest}",
        "repo": name,
        "repo_path": str(repo),
        "base_commit": commit,
        "patch": patch,
        "FAIL_TO_PASS": fail,
        "PASS_TO_PASS": passing,
        "test_command": command,
        "problem_statement": problem_statement(fail, outcome.messages),
        "function": mutation.function,
        "path": mutation.path,
        "mutation": mutation.kind,
        "description": mutation.description,
        "line": mutation.line,
    }


def problem_statement(failing: list[str], messages: dict[str, str]) -> str:
    """What a user would report: which tests fail and how (no location of the bug)."""
    lines = [f"{len(failing)} test(s) fail after a recent change:"]
    for test in failing[:8]:
        message = messages.get(test, "").strip()
        lines.append(f"- {test}" + (f": {message[:200]}" if message else ""))
    if len(failing) > 8:
        lines.append(f"- ... and {len(failing) - 8} more")
    return "\n".join(lines)


def validated(
    repo: Path,
    cmd: PytestCommand,
    order: list[Mutation],
    workers: int,
    timeout: float,
    backend: str,
    skip: Callable[[Mutation], bool] = lambda m: False,
) -> Iterator[tuple[Mutation, RunOutcome]]:
    """Validate mutations in a process pool, yielding results in candidate order.

    `skip(m)` is asked before a candidate is submitted; it must only say yes for
    candidates the consumer would reject anyway, so the results stay deterministic.
    """
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(
        workers, initializer=_init_worker, initargs=(str(repo), cmd, timeout, backend)
    ) as pool:
        pending: list[Any] = []
        todo = iter(order)
        try:
            while True:
                while len(pending) < workers * 2:
                    nxt = next(todo, None)
                    if nxt is None:
                        break
                    if not skip(nxt):
                        pending.append(pool.submit(_validate, nxt))
                if not pending:
                    return
                mutation, outcome = pending.pop(0).result()
                if outcome is not None:
                    yield mutation, outcome
        finally:
            for future in pending:
                future.cancel()


def synthesize(
    repo: Path,
    command: str,
    seed: int = 0,
    max_tasks: int = 50,
    workers: int = 2,
    timeout: float | None = None,
    backend: str = "auto",
    per_function: int = 2,
    on_progress: Callable[[int, int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Validated task instances (at most `max_tasks`), deterministic for a given seed.

    `on_progress(tried, kept, total)` is called after each validated candidate.
    """
    from agent.errors import UserError

    repo = Path(repo).resolve()
    cmd = PytestCommand.parse(command)
    started = time.monotonic()
    cov = run_coverage(repo, list(cmd.args), cmd.env, timeout=timeout or 600, backend=backend)
    cov_seconds = time.monotonic() - started
    baseline = cov.passed
    if not baseline:
        raise UserError(f"no test passes on the clean repository with: {command}")
    order = candidates(repo, source_files(repo, cmd), cov, seed)
    commit = _head(repo)
    run_timeout = timeout or max(30.0, 5 * cov_seconds)
    tasks: list[dict[str, Any]] = []
    per_fn: dict[str, int] = {}
    tried = 0

    def full(m: Mutation) -> bool:
        return per_fn.get(f"{m.path}:{m.function}", 0) >= per_function

    for mutation, outcome in validated(repo, cmd, order, workers, run_timeout, backend, full):
        tried += 1
        key = f"{mutation.path}:{mutation.function}"
        task = None
        if not full(mutation):
            task = task_instance(repo, repo.name, commit, mutation, baseline, outcome, command)
        if task is not None:
            per_fn[key] = per_fn.get(key, 0) + 1
            tasks.append(task)
        if on_progress:
            on_progress(tried, len(tasks), len(order))
        if len(tasks) >= max_tasks:
            break
    return tasks


def _head(repo: Path) -> str:
    try:
        return subprocess.run(
            [*git_argv(repo), "rev-parse", "HEAD"],
            cwd=repo,
            capture_output=True,
            text=True,
            env=git_env(),
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
