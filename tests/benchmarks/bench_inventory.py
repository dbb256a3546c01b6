"""Cost per command of the review's workspace inventory on django's checkout (~6,800 files).

    python tests/benchmarks/bench_inventory.py [DJANGO_DIR]

Without DJANGO_DIR, django is materialized with /work/shared/bench/get-repos into a fresh
temporary directory; with it, the checkout is copied first, so nothing shared is touched.
Each command a session runs costs: a fresh look at .git's watched entries before it, one
inventory after it and a comparison with the one before. Prints median wall times and a
one-line summary.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench_kit import django_copy

from agent.review import inventory
from agent.review.notify import NotifyTracker

RUNS = 21
EDIT = "echo '# touched' >> django/__init__.py; touch docs/conf.py"
PYTEST_LIKE = (
    "mkdir -p tests/__pycache__ && for n in $(seq 50); do "
    "echo x > tests/__pycache__/t$n.cpython-311.pyc; done"
)


def median_ms(action, before=None, runs: int = RUNS) -> float:
    """Median milliseconds of `action()`, each run after an untimed `before()`."""
    times = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def shell(root: Path, line: str):
    return lambda: subprocess.run(["bash", "-c", line], cwd=root, check=True)


def measure(root: Path) -> list[tuple[str, float]]:
    """(operation, median ms) rows."""
    base = str(root)
    first = inventory.take(base)
    tracker = inventory.Tracker(base)
    tracker.take()
    notify = NotifyTracker(base)
    start = time.perf_counter()
    notify.take()
    setup_ms = (time.perf_counter() - start) * 1000
    shell(root, EDIT)()
    after = notify.take()
    rows = [
        ("full walk: os.scandir + lstat of every file", median_ms(lambda: inventory.take(base))),
        ("walk listing only changed folders (ctime)", median_ms(tracker.take)),
        ("inotify: watches + first walk (once a session)", setup_ms),
        ("inotify: after a command that edits 2 files", median_ms(notify.take, shell(root, EDIT))),
        (
            "inotify: after a command writing 50 .pyc files",
            median_ms(notify.take, shell(root, PYTEST_LIKE)),
        ),
        ("inotify: after a command that changes nothing", median_ms(notify.take)),
        (".git's watched entries, looked at afresh", median_ms(lambda: inventory.take_git(base))),
        ("compare two inventories", median_ms(lambda: inventory.compare(first, after))),
        (
            "(removed) git status --untracked-files=all, x1",
            median_ms(
                shell(root, "git status --porcelain -z --untracked-files=all >/dev/null"), runs=7
            ),
        ),
    ]
    assert notify.take() == inventory.take(base), "the fast inventory must equal a full walk"
    return rows


def main() -> None:
    """Measure, print the table and the summary."""
    scratch = Path(tempfile.mkdtemp(prefix="bench-inventory-"))
    try:
        root = django_copy(scratch)
        files = len(inventory.take(str(root)))
        rows = measure(root)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{'operation':<52} {'ms':>8}")
    for name, ms in rows:
        print(f"{name:<52} {ms:>8.2f}")
    costs = dict(rows)
    per_command = (
        costs["inotify: after a command that edits 2 files"]
        + costs[".git's watched entries, looked at afresh"]
        + costs["compare two inventories"]
    )
    full = costs["full walk: os.scandir + lstat of every file"]
    print(
        f"summary: {files} files; per command {per_command:.1f} ms (inventory after it, "
        f".git look, comparison) against {full:.0f} ms for a full walk"
    )


if __name__ == "__main__":
    main()
