"""What loading the helper-assert plugin costs a pytest run.

    python tests/benchmarks/bench_helper_asserts.py REPO [--command CMD] [--runs K]

Two figures on the project at REPO (its test command CMD, default `python -m pytest`):
- the plugin's own work (finding the helper modules' names), timed inside a collect-only
  pytest process, median of K;
- the whole suite run in the sandbox as `run_tests` runs it, with and without the plugin,
  the median wall time of K interleaved runs each.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from agent.sandbox import Policy, create_sandbox
from agent.tools.helper_asserts import PLUGIN_DIR, with_helper_asserts
from agent.tools.pytest_runner import PYTEST_FLAGS

PROBE = """
import sys, time
sys.path.append(sys.argv[1])
import agent_helper_asserts as plugin
import pytest

class Probe:
    def pytest_load_initial_conftests(self, early_config):
        start = time.perf_counter()
        names = plugin.helper_module_names(early_config)
        with open(sys.argv[2], "w") as out:  # pytest captures the console by now
            print((time.perf_counter() - start) * 1000, len(names), file=out)

pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider"], plugins=[Probe()])
"""


def plugin_ms(repo: Path) -> tuple[float, int]:
    """(milliseconds the plugin spends finding names, how many it found)."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "probe.txt"
        subprocess.run(
            [sys.executable, "-c", PROBE, str(PLUGIN_DIR), str(out)],
            cwd=repo,
            capture_output=True,
            timeout=300,
        )
        ms, count = out.read_text().split()
    return float(ms), int(count)


def suite_seconds(repo: Path, command: str, plugin: bool) -> float:
    """Wall time of one sandboxed whole-suite run, with the plugin or without."""
    base, env = with_helper_asserts(command, None) if plugin else (command, None)
    sandbox = create_sandbox(Policy(workspace=repo), "bwrap")
    start = time.perf_counter()
    sandbox.run(["bash", "-c", f"{base} {PYTEST_FLAGS}"], cwd=repo, timeout=600, env=env)
    return time.perf_counter() - start


def main() -> None:
    """Print the plugin's own time and the suite's wall time with and without it."""
    parser = argparse.ArgumentParser()
    parser.add_argument("repo", type=Path)
    parser.add_argument("--command", default=f"{sys.executable} -m pytest")
    parser.add_argument("--runs", type=int, default=5)
    ns = parser.parse_args()
    probes = [plugin_ms(ns.repo) for _ in range(ns.runs)]
    print(f"plugin: {statistics.median(p[0] for p in probes):.2f} ms, {probes[0][1]} names")
    times: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(ns.runs):
        for plugin in (False, True):
            times[plugin].append(suite_seconds(ns.repo, ns.command, plugin))
    without, with_ = (statistics.median(times[p]) for p in (False, True))
    print(f"suite: {without:.2f} s without, {with_:.2f} s with ({with_ - without:+.2f} s)")


if __name__ == "__main__":
    main()
