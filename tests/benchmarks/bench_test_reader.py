"""Does the test reader agree with pytest, and what does the report cost a run?

    python tests/benchmarks/bench_test_reader.py REPOS_DIR [NAME ...] [--runs N]

For each project (materialized by /work/shared/bench/get-repos into REPOS_DIR), part 1 runs
the whole suite once through `run_tests_structured` (sandbox, JUnit XML, our reader) and
once on the host with a plugin that records pytest's own per-test reports; every test id's
outcome must be the same. Part 2 times the suite in the sandbox with and without the report
(median of N interleaved runs each). Prints a table and a one-line summary.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from agent.sandbox import Policy, create_sandbox
from agent.tools import ToolContext
from agent.tools.pytest_runner import PYTEST_FLAGS, run_pytest
from agent.tools.run import run_tests_structured

PLUGIN = """
import json, os

OUT = {}

def pytest_runtest_logreport(report):
    if getattr(report, "context", None) is not None and report.failed:  # a failing subtest
        OUT[report.nodeid] = "failed"
        return
    if report.when == "call" or report.outcome != "passed":
        if hasattr(report, "wasxfail") and report.skipped:
            outcome = "xfailed"
        elif report.failed and report.when != "call":
            outcome = "error"
        else:
            outcome = report.outcome
        if OUT.get(report.nodeid) not in ("failed", "error"):
            OUT[report.nodeid] = outcome

def pytest_sessionfinish(session):
    with open(os.environ["BENCH_OUT"], "w") as handle:
        json.dump(OUT, handle)
"""
COMMAND = f"PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {sys.executable} -m pytest -q"


def pytest_own(root: Path, scratch: Path) -> dict[str, str]:
    """pytest's own per-test outcomes, recorded in-process by a plugin."""
    (scratch / "bench_own_plugin.py").write_text(PLUGIN)
    out = scratch / "own.json"
    env = {
        "PYTHONPATH": str(scratch),
        "BENCH_OUT": str(out),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "PATH": "/usr/bin:/bin",
    }
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "bench_own_plugin", "-p", "no:cacheprovider"],
        cwd=root,
        env=env,
        capture_output=True,
        check=False,
    )
    return json.loads(out.read_text())


def timed(ctx: ToolContext, with_report: bool) -> float:
    """Seconds for one whole-suite run in the sandbox."""
    started = time.monotonic()
    if with_report:  # the same run, plus writing, reading and parsing the report
        run_pytest(ctx, COMMAND, [], 600, None)
    else:
        ctx.sandbox.run(["bash", "-c", f"{COMMAND} {PYTEST_FLAGS}"], cwd=ctx.root, timeout=600)
    return time.monotonic() - started


def main(argv: list[str]) -> None:
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 5
    names = [a for a in argv[1:] if not a.startswith("--") and not a.isdigit()]
    repos = Path(names[0])
    print(f"{'project':<12}{'tests':>7}{'agree':>7}{'plain s':>9}{'report s':>10}{'added':>8}")
    worst, disagreements = 0.0, 0
    for name in names[1:] or sorted(p.name for p in repos.iterdir()):
        root = repos / name
        ctx = ToolContext(
            root, create_sandbox(Policy(workspace=root), "bwrap"), test_command=COMMAND
        )
        with tempfile.TemporaryDirectory() as scratch:
            own = pytest_own(root, Path(scratch))
        ours = {c.test_id: c.outcome for c in run_tests_structured(ctx, "").cases}
        differ = sorted(t for t in set(own) | set(ours) if own.get(t) != ours.get(t))
        disagreements += len(differ)
        for test_id in differ[:5]:
            print(f"  differs: {test_id}: pytest {own.get(test_id)}, reader {ours.get(test_id)}")
        pairs = [(timed(ctx, False), timed(ctx, True)) for _ in range(runs)]  # interleaved
        plain = statistics.median(p for p, _ in pairs)
        report = statistics.median(r for _, r in pairs)
        added = (report - plain) / plain
        worst = max(worst, added)
        print(
            f"{name:<12}{len(own):>7}{len(own) - len(differ):>7}{plain:>9.2f}{report:>10.2f}"
            f"{added:>8.1%}"
        )
    print(f"summary: {disagreements} outcomes differ; time added per run at most {worst:.1%}")


if __name__ == "__main__":
    main(sys.argv)
