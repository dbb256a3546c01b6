"""Wall time of `.ci/checks`, with an empty type-check cache (as in CI's fresh clone) and warm.

    python tests/benchmarks/bench_checks.py [RUNS]

Each cold run gets its own empty MYPY_CACHE_DIR; the warm runs reuse the last one. Prints the
median and the slowest of each, and fails if a cold run took a minute or more.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT_S = 60.0


def timed_checks(cache: str) -> float:
    """Seconds one `bash .ci/checks` took with its type-check cache in `cache`."""
    started = time.perf_counter()
    subprocess.run(
        ["bash", ".ci/checks"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "MYPY_CACHE_DIR": cache},
    )
    return time.perf_counter() - started


def main(runs: int) -> int:
    """Time `runs` cold and `runs` warm checks; non-zero when a cold one reached LIMIT_S."""
    with tempfile.TemporaryDirectory() as scratch:
        caches = [str(Path(scratch) / f"cache{i}") for i in range(runs)]
        cold = [timed_checks(cache) for cache in caches]
        warm = [timed_checks(caches[-1]) for _ in range(runs)]
    for name, times in (("cold", cold), ("warm", warm)):
        print(
            f"{name}: median {statistics.median(times):.2f} s, slowest {max(times):.2f} s "
            f"over {runs} runs"
        )
    return 0 if max(cold) < LIMIT_S else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
