"""Fault localization: spectra of per-test coverage, combined with trace evidence.

Given failing tests, trace them (what really happened), pick the passing tests that
touch the same code (by the modules the failing tests ran), measure per-test coverage,
and rank functions: Ochiai and DStar over their lines, raised by trace evidence (on the
failing call path, where the exception arose, which call returned the value the failing
assertion used).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.debug.calltree import is_test_path
from agent.debug.coverage_map import CoverageMap, PytestCommand, Span, line_owner, run_coverage
from agent.debug.evidence import (
    Suspect,
    add_missing_members,
    add_trace_evidence,
    demote_reporting,
)
from agent.debug.selection import related_test_files, test_files
from agent.debug.trace_run import trace_tests
from agent.debug.tracer import TESTS_ONLY

SMALL_SUITE_FILES = 50  # test files; up to this many, the whole suite's coverage is measured


@dataclass
class Localization:
    """The ranking, plain Ochiai's ranking for comparison, and what was run."""

    ranked: list[Suspect]
    ochiai_ranked: list[Suspect]
    failing: list[str]
    passing: int
    traces: list[dict[str, Any]]
    seconds: dict[str, float]


def localize(
    root: Path,
    failing: Sequence[str],
    test_command: str | None = None,
    timeout: float = 300.0,
    use_traces: bool = True,
    max_traces: int = 3,
    backend: str = "auto",
) -> Localization:
    """Rank the functions most likely to hold the bug that makes `failing` fail."""
    root = Path(root).resolve()
    cmd = PytestCommand.parse(test_command)
    seconds: dict[str, float] = {}

    def trace() -> list[dict[str, Any]]:
        # Locals line by line only in the tests: enough to see which result was asserted on.
        start = time.monotonic()
        found = (
            trace_tests(
                root,
                list(failing)[:max_traces],
                cmd,
                focus=[TESTS_ONLY],
                timeout=timeout,
                backend=backend,
            )
            if use_traces
            else []
        )
        seconds["trace"] = time.monotonic() - start
        return found

    def cover(related: list[str]) -> CoverageMap:
        start = time.monotonic()
        args = [*cmd.args_without_paths(), *related]
        args += [t for t in failing if t.split("::")[0] not in related]
        measured = run_coverage(root, args, cmd.env, timeout=timeout, backend=backend)
        seconds["coverage"] = time.monotonic() - start
        return measured

    if len(test_files(root, cmd)) <= SMALL_SUITE_FILES:
        # A small suite is covered whole while the tracer runs: two processes, two cores.
        with ThreadPoolExecutor(2) as pool:
            covering = pool.submit(cover, list(cmd.paths) or ["."])
            traces = trace()
            cov = covering.result()
    else:  # a big one only in the test files that touch what the failing tests ran
        traces = trace()
        cov = cover(related_test_files(root, cmd, failing, traces))
    given = [t for t in cov.failed if _named(t, failing)]
    ranked, plain = rank(root, cov, traces, set(given))
    return Localization(ranked, plain, sorted(given), len(cov.passed), traces, seconds)


def _named(test: str, names: Sequence[str]) -> bool:
    """Whether a node id is one of `names` (node ids, or files / classes containing it)."""
    return any(test == n or test.startswith((n + "::", n + "[")) for n in names)


def rank(
    root: Path, cov: CoverageMap, traces: list[dict[str, Any]], failed: set[str] | None = None
) -> tuple[list[Suspect], list[Suspect]]:
    """(combined ranking, plain Ochiai ranking) of the functions the failing tests ran.

    `failed` are the failing tests to explain (default: every failing test); other
    failing tests count neither way.
    """
    failed = cov.failed if failed is None else failed
    passed = cov.passed
    suspects = _spectra(root, cov, failed, passed)
    plain = sorted(suspects.values(), key=lambda s: (-s.ochiai, s.path, s.line))
    plain = [Suspect(s.function, s.path, s.line, s.ochiai, s.ochiai, s.dstar) for s in plain]
    max_dstar = max((s.dstar for s in suspects.values()), default=0.0) or 1.0
    for s in suspects.values():
        s.score = 0.5 * s.ochiai + 0.5 * s.dstar / max_dstar
    add_trace_evidence(suspects, traces)
    demote_reporting(suspects, traces)
    add_missing_members(root, suspects, traces, list(cov.lines), _owners)
    ranked = sorted(
        suspects.values(), key=lambda s: (-s.score, -s.ochiai, -s.density, s.path, -s.line)
    )
    return ranked, plain


def _spectra(
    root: Path, cov: CoverageMap, failed: set[str], passed: set[str]
) -> dict[tuple[str, str], Suspect]:
    total_failed = max(len(failed), 1)
    out: dict[tuple[str, str], Suspect] = {}
    for path, per_line in cov.lines.items():
        if is_test_path(path) or not path.endswith(".py"):
            continue
        owners = _owners(root / path)
        best: dict[str, list[tuple[float, float, int]]] = {}
        for line, tests in per_line.items():
            span = owners.get(line)
            if span is None:
                continue
            ef, ep = len(tests & failed), len(tests & passed)
            ochiai = ef / math.sqrt(total_failed * (ef + ep)) if ef else 0.0
            dstar = ef * ef / (ep + (total_failed - ef) + 0.1)
            best.setdefault(span.qualname + "\0" + str(span.start), []).append(
                (ochiai, dstar, line)
            )
        for key, scores in best.items():
            qual, start = key.split("\0")
            scores.sort(reverse=True)
            top = scores[0]
            if top[0] == 0.0:
                continue  # no failing test ran it
            s = Suspect(qual, path, int(start), 0.0, top[0], max(d for _, d, _ in scores))
            s.density = sum(o for o, _, _ in scores) / len(scores)
            s.lines = [ln for o, _, ln in scores if o >= top[0] - 1e-9][:5]
            ef_fn = max(len(per_line[ln] & failed) for _, _, ln in scores)
            s.reasons.append(f"ochiai {top[0]:.2f}: run by {ef_fn}/{len(failed)} failing tests")
            out[(path, qual)] = s
    return out


_OWNERS: dict[Path, tuple[float, dict[int, Span]]] = {}


def _owners(path: Path) -> dict[int, Span]:
    try:
        mtime = path.stat().st_mtime_ns
        cached = _OWNERS.get(path)
        if cached and cached[0] == mtime:
            return cached[1]
        owners = line_owner(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return {}
    _OWNERS[path] = (mtime, owners)
    return owners
