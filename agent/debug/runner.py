"""Run pytest inside the test process with our tracer or per-test coverage.

Executed in the sandbox as `python -m agent.debug.runner MODE --root R --out P -- ARGS`:

- `trace`: each test's call phase runs under `Tracer`; one JSON artifact per test in
  the directory P (file name from the node id), written atomically by the process that
  started the tracer only (a forked child never writes).
- `cover`: coverage.py measures the repository with one dynamic context per test
  (`Coverage.switch_context(nodeid)`); P receives {tests: {id: outcome}, files:
  {path: {line: [test index]}}}.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path
from typing import Any

# The standalone pytest plugin that rewrites the asserts of the tests' helper modules; a
# file found by its path, not imported: it lives with the runners in agent/tools.
HELPER_ASSERTS = Path(__file__).absolute().parents[1] / "tools" / "pytest_plugin"


def artifact_name(test_id: str) -> str:
    """A file name for one test's trace artifact (stable, filesystem-safe)."""
    digest = hashlib.sha1(test_id.encode()).hexdigest()[:10]
    tail = "".join(c if c.isalnum() else "_" for c in test_id.split("::")[-1])[:40]
    return f"{tail}-{digest}.json"


class TracePlugin:
    """Traces the call phase of each test and writes its artifact."""

    def __init__(
        self, root: Path, out: Path, focus: tuple[str, ...] | None, max_events: int, max_bytes: int
    ) -> None:
        self.root, self.out, self.focus = root, out, focus
        self.max_events, self.max_bytes = max_events, max_bytes
        self.tracers: dict[str, Any] = {}

    def pytest_runtest_call(self, item: Any) -> Any:
        """Wrap the test body in the tracer (declared as a pluggy wrapper below)."""
        from agent.debug.tracer import TraceLimits, Tracer

        tracer = Tracer(self.root, self.focus, TraceLimits(self.max_events, self.max_bytes))
        self.tracers[item.nodeid] = tracer
        tracer.start()
        try:
            result = yield
        except BaseException as error:
            tracer.stop(error)
            raise
        tracer.stop()
        return result

    def pytest_runtest_logreport(self, report: Any) -> None:
        """After the call phase, write the artifact with the outcome and failure text."""
        from agent.debug.tracer import write_atomic

        tracer = self.tracers.pop(report.nodeid, None) if report.when == "call" else None
        if tracer is None or not tracer.owner:
            return
        failure = _failure(report) if report.failed else None
        data = tracer.to_dict(test=report.nodeid, outcome=report.outcome, failure=failure)
        write_atomic(self.out / artifact_name(report.nodeid), data)


def _failure(report: Any) -> dict[str, Any]:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = str(report.longrepr)
    return {
        "message": crash.message if crash else (text.splitlines() or [""])[-1],
        "path": crash.path if crash else "",
        "line": crash.lineno if crash else 0,
        "text": text[-4000:],
    }


class CoverPlugin:
    """Switches coverage contexts per test and records each test's outcome."""

    def __init__(self, cov: Any) -> None:
        self.cov = cov
        self.outcomes: dict[str, str] = {}

    def _measured(self, item: Any) -> Any:
        # Only setup, call and teardown: not the report (whose reprs would count as
        # code the failing tests ran).
        self.cov.switch_context(item.nodeid)
        try:
            return (yield)
        finally:
            self.cov.switch_context("")

    def pytest_runtest_setup(self, item: Any) -> Any:
        """Measure the test's setup in its context (a pluggy wrapper)."""
        return (yield from self._measured(item))

    def pytest_runtest_call(self, item: Any) -> Any:
        """Measure the test's body in its context (a pluggy wrapper)."""
        return (yield from self._measured(item))

    def pytest_runtest_teardown(self, item: Any) -> Any:
        """Measure the test's teardown in its context (a pluggy wrapper)."""
        return (yield from self._measured(item))

    def pytest_runtest_logreport(self, report: Any) -> None:
        """A test failed if any of its phases failed."""
        if report.failed:
            self.outcomes[report.nodeid] = "failed"
        elif report.when == "call" or (report.when == "setup" and report.skipped):
            self.outcomes.setdefault(report.nodeid, report.outcome)


def _mark_wrappers() -> None:
    import pytest

    TracePlugin.pytest_runtest_call = pytest.hookimpl(wrapper=True)(TracePlugin.pytest_runtest_call)
    for name in ("pytest_runtest_setup", "pytest_runtest_call", "pytest_runtest_teardown"):
        setattr(CoverPlugin, name, pytest.hookimpl(wrapper=True)(getattr(CoverPlugin, name)))


def run_cover(root: Path, out: Path, pytest_args: list[str]) -> int:
    """Run pytest under coverage with one context per test; write the JSON map."""
    import coverage
    import pytest

    tests = ["*/test_*.py", "*_test.py", "*/tests/*", "*/test/*", "*/testing/*", "*/conftest.py"]
    cov = coverage.Coverage(data_file=None, source=[str(root)], omit=tests, config_file=False)
    plugin = CoverPlugin(cov)
    cov.start()
    try:
        code = pytest.main(pytest_args, plugins=[plugin])
    finally:
        cov.stop()
    data = cov.get_data()
    ids = {t: i for i, t in enumerate(plugin.outcomes)}
    files: dict[str, dict[int, list[int]]] = {}
    prefix = str(root) + "/"
    for name in sorted(data.measured_files()):
        if not name.startswith(prefix):
            continue
        lines = {
            ln: sorted(ids[c] for c in ctxs if c in ids)
            for ln, ctxs in data.contexts_by_lineno(name).items()
        }
        files[name[len(prefix) :]] = {ln: t for ln, t in lines.items() if t}
    from agent.debug.tracer import write_atomic

    write_atomic(out, {"tests": plugin.outcomes, "files": files})
    return int(code)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point inside the sandbox."""
    parser = argparse.ArgumentParser(prog="python -m agent.debug.runner")
    parser.add_argument("mode", choices=["trace", "cover"])
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--focus", action="append")
    parser.add_argument("--max-events", type=int, default=20_000)
    parser.add_argument("--max-bytes", type=int, default=1_000_000)
    argv = list(sys.argv[1:] if argv is None else argv)
    cut = argv.index("--") if "--" in argv else len(argv)
    ns = parser.parse_args(argv[:cut])
    args = argv[cut + 1 :]
    root = ns.root.resolve()
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    _mark_wrappers()
    sys.path.append(str(HELPER_ASSERTS))
    base = ["-p", "no:cacheprovider", "-p", "no:randomly", "-q", "--no-header"]
    base += ["-p", "agent_helper_asserts"]
    if ns.mode == "cover":
        return run_cover(root, ns.out.resolve(), base + args)
    import pytest

    plugin = TracePlugin(
        root, ns.out.resolve(), tuple(ns.focus) if ns.focus else None, ns.max_events, ns.max_bytes
    )
    return int(pytest.main(base + args, plugins=[plugin]))


if __name__ == "__main__":
    sys.exit(main())
