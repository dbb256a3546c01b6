"""The work behind `agent bench mine`: candidates mined in parallel, resumable, with progress.

Every decided commit is appended to OUT.state (one JSON line, flushed), so an interrupted
run loses nothing and a rerun skips the commits already decided; OUT itself is written
whole (temp file + rename) from the kept tasks, newest commit first.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from agent.bench.mine import KINDS, Candidate, Verdict, candidates, mine_one
from agent.errors import UserError


def mine_tasks(
    repo: Path,
    tests: str,
    out: Path,
    *,
    max_tasks: int = 50,
    since: str | None = None,
    grep: str | None = None,
    kind: str = "all",
    workers: int = 2,
    timeout: float = 300.0,
    backend: str = "auto",
    on_verdict: Callable[[Verdict, int, bool], None] | None = None,
) -> list[dict[str, Any]]:
    """Mine up to `max_tasks` tasks into OUT; returns them. `on_verdict(verdict, kept,
    resumed)` is called for each decided commit, in history order."""
    from agent.debug.coverage_map import PytestCommand

    repo = _checked_repo(repo)
    try:
        PytestCommand.parse(tests)  # a clear error before any work
    except UserError:
        raise UserError(f"bench mine runs pytest test commands only, got: {tests}") from None
    if kind not in KINDS:
        raise UserError(f"--kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if max_tasks < 1 or workers < 1:
        raise UserError("--max and --workers must be at least 1")
    state = out.with_name(out.name + ".state")
    decided = _read_state(state)
    kept: list[dict[str, Any]] = []
    with state.open("a", encoding="utf-8") as log:
        for verdict, resumed in _verdicts(
            repo,
            tests,
            since,
            grep,
            kind,
            workers,
            timeout,
            backend,
            decided,
            lambda: len(kept) >= max_tasks,
        ):
            if not resumed:
                log.write(
                    json.dumps(
                        {
                            "commit": verdict.commit,
                            "reason": verdict.reason,
                            "seconds": verdict.seconds,
                            "task": verdict.task,
                        }
                    )
                    + "\n"
                )
                log.flush()
            if verdict.task is not None:
                kept.append(verdict.task)
            if on_verdict:
                on_verdict(verdict, len(kept), resumed)
    _write_tasks(out, kept)
    return kept


def _verdicts(
    repo: Path,
    tests: str,
    since: str | None,
    grep: str | None,
    kind: str,
    workers: int,
    timeout: float,
    backend: str,
    decided: dict[str, Verdict],
    enough: Callable[[], bool],
) -> Iterator[tuple[Verdict, bool]]:
    """Verdicts in history order: recorded ones as they were, the rest mined `workers` at once."""
    found = candidates(repo, since, grep)
    with ThreadPoolExecutor(workers) as pool:
        pending: list[tuple[Candidate, Future[Verdict] | None]] = []
        while True:
            while len(pending) < workers * 2 and not enough():
                candidate = next(found, None)
                if candidate is None:
                    break
                job = (
                    None
                    if candidate.commit in decided
                    else pool.submit(mine_one, repo, candidate, tests, timeout, backend, kind)
                )
                pending.append((candidate, job))
            if not pending or enough():
                for _, job in pending:
                    if job is not None:
                        job.cancel()
                return
            candidate, job = pending.pop(0)
            yield (decided[candidate.commit], True) if job is None else (job.result(), False)


def _read_state(state: Path) -> dict[str, Verdict]:
    if not state.exists():
        return {}
    decided = {}
    for line in state.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
            decided[row["commit"]] = Verdict(
                row["commit"], row.get("task"), row["reason"], row.get("seconds", 0.0)
            )
        except (json.JSONDecodeError, KeyError, TypeError):
            continue  # a line cut short by a crash: that commit is mined again
    return decided


def _write_tasks(out: Path, tasks: list[dict[str, Any]]) -> None:
    from agent.atomic import atomic_write

    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, "".join(json.dumps(t) + "\n" for t in tasks).encode("utf-8"))


def _checked_repo(repo: Path) -> Path:
    from agent.bench.workcopy import git

    repo = Path(repo).expanduser().resolve()
    if not repo.is_dir():
        raise UserError(f"not a directory: {repo}")
    if not (repo / ".git").exists():
        raise UserError(f"{repo} is not the top of a git repository")
    git(repo, "rev-parse", "--verify", "-q", "HEAD")
    return repo


def print_verdict(verdict: Verdict, kept: int, resumed: bool) -> None:
    """One progress line per decided commit, on stderr."""
    what = (
        f"kept ({len(verdict.task['FAIL_TO_PASS'])} fail-to-pass, "
        f"{len(verdict.task['PASS_TO_PASS'])} pass-to-pass, {verdict.task['kind']})"
        if verdict.task
        else f"skipped: {verdict.reason}"
    )
    note = ", recorded before" if resumed else f", {verdict.seconds:.1f} s"
    print(f"mine: {verdict.commit[:12]} {what}{note}; {kept} kept", file=sys.stderr, flush=True)
