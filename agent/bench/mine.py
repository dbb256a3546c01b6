"""Mine tasks from a repository's own history, the way SWE-bench was built from pull requests.

A candidate is a non-merge commit that changes library code and test modules. In a copy of
its parent, with only the commit's test changes applied, its test modules run in the
sandbox; with the whole commit applied they run twice more (a test whose outcome differs
between those two is flaky and judged by neither). FAIL_TO_PASS are the tests that did not
pass before and pass after, PASS_TO_PASS those that passed every time. A candidate is kept
when FAIL_TO_PASS is not empty and the runs after the change were clean (no timeout, every
module collected). Before the change, a module that cannot be collected (it imports what the
commit adds) counts its tests as failing.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.bench.api_added import added_api
from agent.bench.synth import RunOutcome, run_tests
from agent.bench.workcopy import apply_patch, git
from agent.debug.calltree import is_test_path
from agent.debug.coverage_map import PytestCommand

KINDS = ("bug", "feature", "all")
_NOT_CODE = re.compile(r"(^|/)(setup|conftest|noxfile|_version|versioneer)\.py$|(^|/)docs?/")


@dataclass(frozen=True)
class Candidate:
    """A commit that changes code and test modules: where a task may be."""

    commit: str
    parent: str
    message: str
    date: str
    code_files: tuple[str, ...]
    test_modules: tuple[str, ...]


@dataclass(frozen=True)
class Verdict:
    """What mining one candidate gave: a task, or the reason there is none."""

    commit: str
    task: dict[str, Any] | None
    reason: str
    seconds: float


def candidates(
    repo: Path, since: str | None = None, grep: str | None = None
) -> Iterator[Candidate]:
    """Non-merge commits, newest first (only those after `since`), that change library code
    and test modules; `grep` keeps those whose message matches (a regular expression)."""
    pattern = re.compile(grep, re.IGNORECASE) if grep else None
    span = f"{since}..HEAD" if since else "HEAD"
    for commit in git(repo, "rev-list", "--no-merges", span).split():
        parents = git(repo, "rev-list", "--parents", "-n", "1", commit).split()[1:]
        if len(parents) != 1:
            continue  # the root commit: nothing to compare with
        message = git(repo, "log", "-1", "--format=%B", commit).strip()
        if pattern and not pattern.search(message):
            continue
        changed = git(repo, "diff", "--name-only", "--no-renames", parents[0], commit).split("\n")
        code = tuple(
            p
            for p in changed
            if p.endswith(".py") and not is_test_path(p) and not _NOT_CODE.search(p)
        )
        tests = tuple(p for p in changed if p.endswith(".py") and _is_test_module(p))
        if code and tests:
            date = git(repo, "log", "-1", "--format=%cI", commit).strip()
            yield Candidate(commit, parents[0], message, date, code, tests)


def mine_one(
    repo: Path, candidate: Candidate, tests: str, timeout: float, backend: str, kind: str = "all"
) -> Verdict:
    """Run the candidate's test modules before and after its change; the task, if any."""
    started = time.monotonic()
    api = added_api(repo, candidate)
    task_kind = "feature" if api else "bug"
    if kind != "all" and kind != task_kind:
        return Verdict(candidate.commit, None, f"a {task_kind}, not a {kind}", _since(started))
    work = Path(tempfile.mkdtemp(prefix="agent-mine-"))
    try:
        copy = work / "repo"
        git(work, "clone", "-q", "--shared", "--no-checkout", str(repo), copy.name)
        git(copy, "checkout", "-q", "--detach", candidate.parent)
        code_patch, test_patch = _patches(repo, candidate)
        apply_patch(copy, test_patch)
        command = PytestCommand.parse(tests)
        present = [m for m in candidate.test_modules if (copy / m).is_file()]
        chosen = PytestCommand(
            command.env, (*command.args_without_paths(), *present), tuple(present)
        )
        before = run_tests(copy, chosen, timeout, backend)
        apply_patch(copy, code_patch)
        after = run_tests(copy, chosen, timeout, backend)
        again = run_tests(copy, chosen, timeout, backend)
        reason, fail_to_pass, pass_to_pass = judge(before, after, again)
        if reason:
            return Verdict(candidate.commit, None, reason, _since(started))
        task = _task(
            repo,
            candidate,
            tests,
            code_patch,
            test_patch,
            task_kind,
            api,
            fail_to_pass,
            pass_to_pass,
        )
        return Verdict(candidate.commit, task, "kept", _since(started))
    except Exception as problem:  # one commit's trouble (a patch that will not apply) skips it
        return Verdict(candidate.commit, None, f"could not be run: {problem}", _since(started))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def judge(
    before: RunOutcome, after: RunOutcome, again: RunOutcome
) -> tuple[str, list[str], list[str]]:
    """(why the candidate is skipped or "", FAIL_TO_PASS, PASS_TO_PASS)."""
    if before.timed_out or after.timed_out or again.timed_out:
        return "a test run timed out", [], []
    if after.uncollected or again.uncollected:
        return f"not collected after the change: {', '.join(after.uncollected[:3])}", [], []
    if not after.results:
        return "no test ran after the change", [], []
    flaky = {
        t
        for t in after.results.keys() | again.results.keys()
        if after.results.get(t) != again.results.get(t)
    }
    passed_after = sorted(t for t, r in after.results.items() if r == "PASSED" and t not in flaky)
    fail_to_pass = [t for t in passed_after if before.results.get(t) != "PASSED"]
    pass_to_pass = [t for t in passed_after if before.results.get(t) == "PASSED"]
    if not fail_to_pass:
        if flaky:
            return "only flaky tests changed outcome", [], []
        return "no test fails before and passes after", [], []
    return "", fail_to_pass, pass_to_pass


def _task(
    repo: Path,
    candidate: Candidate,
    tests: str,
    code_patch: str,
    test_patch: str,
    kind: str,
    api: list[str],
    fail_to_pass: list[str],
    pass_to_pass: list[str],
) -> dict[str, Any]:
    statement = candidate.message
    if api:
        statement += (
            "\n\nThe change adds this public API (signatures and docstrings):\n\n"
            + "\n\n".join(api)
        )
    return {
        "instance_id": f"{repo.name}__{candidate.commit[:12]}",
        "repo": repo.name,
        "repo_path": str(repo),
        "base_commit": candidate.parent,
        "environment_setup_commit": candidate.parent,
        "commit": candidate.commit,
        "patch": code_patch,
        "test_patch": test_patch,
        "FAIL_TO_PASS": fail_to_pass,
        "PASS_TO_PASS": pass_to_pass,
        "problem_statement": statement,
        "kind": kind,
        "test_command": tests,
        "created_at": candidate.date,
        "hints_text": "",
        "version": "",
    }


def _patches(repo: Path, candidate: Candidate) -> tuple[str, str]:
    """(the commit's change outside the tests, its change to the tests) as git diffs."""
    changed = git(
        repo, "diff", "--name-only", "--no-renames", candidate.parent, candidate.commit
    ).split("\n")
    test_side = [p for p in changed if p and is_test_path(p)]
    diff = (
        "diff",
        "--binary",
        "--no-color",
        "--no-ext-diff",
        "--no-renames",
        candidate.parent,
        candidate.commit,
        "--",
    )
    test_patch = git(repo, *diff, *test_side) if test_side else ""
    code_patch = git(repo, *diff, ".", *(f":(exclude){p}" for p in test_side))
    return code_patch, test_patch


def _is_test_module(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.startswith("test_") or name.endswith("_test.py")


def _since(started: float) -> float:
    return round(time.monotonic() - started, 3)
