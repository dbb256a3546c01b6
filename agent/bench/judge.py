"""The judge's own pytest run of the tests a task names, and the check of what it reported.

The run is `python -P agent/bench/judge_runner.py` in the sandbox (see that file for what
cannot shadow it); its report goes to a fresh folder outside the workspace, the one folder
there that the sandbox may write to. A report that does not account for exactly the tests asked
for, each run once, with pytest's exit code agreeing, is a judge error, never a pass.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

RUNNER = Path(__file__).with_name("judge_runner.py")
FAILING = ("FAILED", "ERROR")


@dataclass
class JudgedRun:
    """Each asked test's outcome, and why the report could not be trusted ("" when it could)."""

    results: dict[str, str] = field(default_factory=dict)
    timed_out: bool = False
    problem: str = ""


def judge_run(
    root: Path,
    env: dict[str, str],
    options: Sequence[str],
    ids: Sequence[str],
    timeout: float,
    backend: str = "auto",
) -> JudgedRun:
    """Run the tests `ids` with pytest `options` in the sandbox and check the report."""
    from agent.debug.execute import run_command
    from agent.sandbox import Policy, create_sandbox

    folder = Path(tempfile.mkdtemp(prefix="agent-judge-"))
    report = folder / "report.json"
    # The task's PYTHONPATH (else the person's, which the sandbox would pass on) is blank at
    # start-up, so that no sitecustomize.py there runs; the runner puts it on sys.path.
    env = {
        **env,
        "PYTHONPATH": "",
        "AGENT_JUDGE_REPORT": str(report),
        "AGENT_JUDGE_PYTHONPATH": env.get("PYTHONPATH", os.environ.get("PYTHONPATH", "")),
    }
    argv = [
        sys.executable,
        "-P",
        str(RUNNER),
        *options,
        *ids,
        "-q",
        "--tb=line",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
    ]
    # What remains possible: the code under test runs in the judge's pytest process, so it
    # can still do what any code there can (patch pytest or the recorder in memory, find the
    # report's open file through /proc and write it); the sandbox bounds it, and the checks
    # here and in `agent.bench.tamper` catch the fakes a change can plant as files.
    try:
        box = create_sandbox(
            Policy(workspace=Path(root), writable=(folder,), timeout_s=timeout), backend=backend
        )
        result = run_command(root, argv, timeout=timeout, env=env, backend=box)
        data = _read(report)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if result.timed_out:
        return JudgedRun(timed_out=True)
    if data is None:
        return JudgedRun(problem=f"the test run left no report (exit code {result.exit_code})")
    return check_report(data, list(ids))


def check_report(data: dict[str, Any], ids: list[str]) -> JudgedRun:
    """The asked tests' outcomes, or the first way the report fails to match them."""
    outcomes, runs = data["outcomes"], data["runs"]
    broken = data["collection_errors"]
    extra = sorted(set(outcomes) - set(ids))
    if extra:
        return JudgedRun(problem=f"the report names tests not asked for: {', '.join(extra[:5])}")
    missing = [t for t in ids if t not in outcomes]
    if missing and not broken:
        return JudgedRun(
            problem=f"the report lacks {len(missing)} of the {len(ids)} tests "
            f"asked for, e.g. {missing[0]} (pytest exit code {data['exit_code']})"
        )
    twice = sorted(t for t, n in runs.items() if n != 1)
    if twice or (not broken and data["collected"] != len(outcomes)):
        return JudgedRun(
            problem=f"the report's counts are off: {len(outcomes)} outcomes, "
            f"{data['collected']} tests collected, run more than once: {twice[:5]}"
        )
    failing = any(o in FAILING for o in outcomes.values())
    # Exit code 1 with every test passed is a plugin's verdict (coverage below its minimum).
    if not broken and (data["exit_code"] not in (0, 1) or (data["exit_code"] == 0 and failing)):
        return JudgedRun(
            problem=f"pytest's exit code {data['exit_code']} does not match the outcomes reported"
        )
    # A test file that could not be collected fails its tests (pytest stopped there).
    results = {t: outcomes.get(t) or ("ERROR" if _under_any(t, broken) else "NOT RUN") for t in ids}
    return JudgedRun(results)


def _under_any(test_id: str, collectors: list[str]) -> bool:
    path = PurePosixPath(test_id.split("::")[0])
    return any(
        c == test_id or PurePosixPath(c) == path or PurePosixPath(c) in path.parents
        for c in collectors
    )


def _read(report: Path) -> dict[str, Any] | None:
    """The runner's report when it is whole and of the right shape."""
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    shapes = {
        "outcomes": dict,
        "runs": dict,
        "collected": int,
        "collection_errors": list,
        "exit_code": int,
    }
    ok = isinstance(data, dict) and all(isinstance(data.get(k), t) for k, t in shapes.items())
    return data if ok else None
