"""What reading a report costs the Node and cargo runs, and does the reader count as they do?

    python tests/benchmarks/bench_runner_reports.py [--tests N] [--runs K]

Makes a Node project (`node --test`, N tests over 4 files, a tenth failing) and a cargo
crate (N unit tests, a tenth failing) in a temporary folder. For each, the runner's own
command runs in the sandbox with its console summary (`node --test`'s `# pass`/`# fail`,
libtest's `test result:` lines), and `run_tests_structured` runs it with the report; the
reader's passed/failed counts must equal the summary's. Then the median of K interleaved
runs of each: the time the report adds. Prints a table and a one-line summary.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from agent.sandbox import Policy, create_sandbox
from agent.tools import ToolContext
from agent.tools.cargo_runner import CARGO_ENV, cargo_folders, cargo_paths
from agent.tools.run import run_tests_structured


def node_project(root: Path, count: int) -> tuple[str, str]:
    """A `node --test` project; (its test command, the plain command with a summary)."""
    for number in range(4):
        lines = ["const test = require('node:test');", "const assert = require('node:assert');"]
        for index in range(number, count, 4):
            lines.append(
                f"test('t{index}', () => {{ assert.strictEqual({index % 10}, "
                f"{index % 10 if index % 10 else 1}); }});"
            )
        (root / "test").mkdir(exist_ok=True)
        (root / "test" / f"f{number}.test.js").write_text("\n".join(lines) + "\n")
    (root / "package.json").write_text('{"name": "b", "scripts": {"test": "node --test"}}\n')
    return "npm test", "node --test --test-reporter=tap"


def cargo_project(root: Path, count: int) -> tuple[str, str]:
    """A crate of `count` unit tests; (its test command, the plain command)."""
    (root / "src").mkdir()
    tests = "".join(
        f"    #[test]\n    fn t{i}() {{ assert_eq!({i % 10}, {i % 10 if i % 10 else 1}); }}\n"
        for i in range(count)
    )
    (root / "src" / "lib.rs").write_text(f"#[cfg(test)]\nmod tests {{\n{tests}}}\n")
    (root / "Cargo.toml").write_text('[package]\nname = "b"\nversion = "0.1.0"\nedition = "2021"\n')
    return "cargo test", "cargo test --no-fail-fast 2>&1"


def summary_counts(output: str) -> tuple[int, int]:
    """(passed, failed) from the runner's own summary lines."""
    tap = re.findall(r"^# (pass|fail) (\d+)$", output, re.MULTILINE)
    if tap:
        found = {k: int(v) for k, v in tap}
        return found.get("pass", 0), found.get("fail", 0)
    results = re.findall(r"^test result: \w+\. (\d+) passed; (\d+) failed", output, re.MULTILINE)
    return sum(int(p) for p, _ in results), sum(int(f) for _, f in results)


def measure(name: str, make, count: int, runs: int) -> dict:
    """Agreement and the median seconds of a plain run and a run with the report."""
    with tempfile.TemporaryDirectory(dir="/var/tmp") as folder:
        root, scratch = Path(folder) / "p", Path(folder) / "scratch"
        root.mkdir()
        scratch.mkdir()
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        command, plain = make(root, count)
        box = create_sandbox(Policy(workspace=root, writable=(scratch,)), "bwrap")
        ctx = ToolContext(root, box, test_command=command, scratch=scratch)
        env = {**CARGO_ENV, **cargo_paths(ctx)} if name == "cargo" else {}
        own_folders = cargo_folders(ctx) if name == "cargo" else ()  # the runner's binds
        run_tests_structured(ctx)  # warm: builds, caches
        own = box.run(["bash", "-c", plain], cwd=root, timeout=600, env=env, writable=own_folders)
        report = run_tests_structured(ctx)
        agree = summary_counts(own.stdout) == (report.passed, report.failed)
        plain_s, report_s = [], []
        for _ in range(runs):
            started = time.perf_counter()
            box.run(["bash", "-c", plain], cwd=root, timeout=600, env=env, writable=own_folders)
            plain_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            run_tests_structured(ctx)
            report_s.append(time.perf_counter() - started)
        return {
            "runner": name,
            "tests": len(report.cases),
            "failed": report.failed,
            "agree": agree,
            "plain": statistics.median(plain_s),
            "report": statistics.median(report_s),
        }


def main() -> None:
    """Measure both runners and print the table and the summary line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--tests", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = [
        measure("node", node_project, args.tests, args.runs),
        measure("cargo", cargo_project, args.tests, args.runs),
    ]
    print(
        f"{'runner':8} {'tests':>6} {'failed':>6} {'agree':>6} {'plain s':>8} "
        f"{'report s':>9} {'added':>7}"
    )
    for row in rows:
        added = (row["report"] - row["plain"]) / row["plain"] * 100
        print(
            f"{row['runner']:8} {row['tests']:6} {row['failed']:6} {row['agree']!s:>6} "
            f"{row['plain']:8.2f} {row['report']:9.2f} {added:6.1f}%"
        )
    worst = max((r["report"] - r["plain"]) / r["plain"] * 100 for r in rows)
    print(
        f"summary: reader agrees on {sum(r['agree'] for r in rows)}/{len(rows)} runners; "
        f"the report adds at most {worst:.1f}% per run"
    )


if __name__ == "__main__":
    main()
