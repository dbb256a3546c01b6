"""Cost of keeping host reads inside the workspace, on django's checkout.

    python tests/benchmarks/bench_confine.py [DJANGO_DIR]

Without DJANGO_DIR, django is materialized with /work/shared/bench/get-repos into a fresh
temporary directory. Measures the link check over every listed file (what a warm index
refresh and list_files add), the credentials scan each sandboxed command adds, and a warm
`agent map` for scale. Prints median wall times and a one-line summary.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from agent.confine import WorkspaceFilter
from agent.index import RepoIndex
from agent.index.files import list_files
from agent.sandbox.secrets import workspace_secrets

GET_REPOS = "/work/shared/bench/get-repos"
RUNS = 7


def django(scratch: Path) -> Path:
    """django's checkout: the one named, or a fresh one."""
    if len(sys.argv) > 1:
        return Path(sys.argv[1]).resolve()
    out = subprocess.run(
        [GET_REPOS, str(scratch), "django"], capture_output=True, text=True, check=True
    )
    return Path(out.stdout.split()[1])


def median_ms(action) -> float:
    """Median wall time of `action` in milliseconds."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def check_all(inside: WorkspaceFilter, paths: list[str]) -> int:
    """How many of `paths` stay inside (each folder checked once, one lstat per file)."""
    return sum(inside.allows(path) for path in paths)


def warm_map(root: Path) -> None:
    """One warm repo map, as a session's first turn builds it."""
    with RepoIndex.open(root) as index:
        index.repo_map(tokens=1024)


def main() -> None:
    """Measure and print the table and summary."""
    scratch = Path(tempfile.mkdtemp(prefix="bench-confine-"))
    try:
        root = django(scratch)
        paths = list_files(root)
        warm_map(root)
        filter_ms = median_ms(lambda: check_all(WorkspaceFilter(root), paths))
        secrets_ms = median_ms(lambda: workspace_secrets(root))
        map_ms = median_ms(lambda: warm_map(root))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{'operation':<48} {'ms':>8}")
    print(f"{f'link check over {len(paths)} listed files':<48} {filter_ms:>8.1f}")
    print(f"{'credentials scan per sandboxed command':<48} {secrets_ms:>8.2f}")
    print(f"{'warm agent map (includes the link check)':<48} {map_ms:>8.1f}")
    print(
        f"summary: link check {filter_ms:.1f} ms per refresh of {len(paths)} files, "
        f"credentials scan {secrets_ms:.2f} ms per command, warm map {map_ms:.0f} ms"
    )


if __name__ == "__main__":
    main()
