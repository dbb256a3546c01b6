"""Cost of git safety and the session store on a real project (django, ~2,900 files).

    python tests/benchmarks/bench_checkpoint.py [DJANGO_DIR]

Without DJANGO_DIR, django is materialized with /work/shared/bench/get-repos into a
fresh temporary directory (from the sdist cache), so no one else's checkout is touched.
Prints a table of median wall times and a one-line summary.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench_kit import django_copy

from agent import events as ev
from agent.gitops.checkpoints import Workspace
from agent.session import SessionStore

RUNS = 5


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def median(action, runs: int = RUNS) -> float:
    return statistics.median(timed(action) for _ in range(runs))


def main() -> None:
    """Measure, print the table and the summary."""
    scratch = Path(tempfile.mkdtemp(prefix="bench-checkpoint-"))
    try:
        root = django_copy(scratch)
        files = len(
            subprocess.run(
                ["git", "-C", str(root), "ls-files"], capture_output=True, text=True, check=True
            ).stdout.splitlines()
        )
        rows = measure(root)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{'operation':<52} {'seconds':>8}")
    for name, seconds in rows:
        print(f"{name:<52} {seconds:>8.4f}")
    table = dict(rows)
    edit = table["checkpoint after editing one file"]
    print(
        f"summary: django ({files} files): first checkpoint "
        f"{table['first checkpoint (new process, nothing cached)']:.2f}s, then "
        f"{edit * 1000:.0f} ms per edit ({edit / table['dirty check (git status)']:.1f}x a "
        f"`git status`); undo {table['undo one step'] * 1000:.0f} ms; "
        f"{table['store one event (streamed text)'] * 1e6:.0f} µs per stored event; "
        f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )


def measure(root: Path) -> list[tuple[str, float]]:
    rows = []
    workspace = Workspace.open(root)
    rows.append(
        (
            "first checkpoint (new process, nothing cached)",
            timed(lambda: workspace.checkpoint("bench", "start")),
        )
    )
    rows.append(
        ("checkpoint with nothing changed", median(lambda: workspace.checkpoint("bench", "same")))
    )
    target = root / "django" / "utils" / "text.py"
    original = target.read_text()
    counter = iter(range(10_000))

    def edit_and_checkpoint() -> None:
        target.write_text(original + f"\n# edit {next(counter)}\n")
        workspace.checkpoint("bench", "edit")

    rows.append(("checkpoint after editing one file", median(edit_and_checkpoint)))
    rows.append(("diff against start", median(lambda: workspace.diff("bench"))))
    rows.append(("undo one step", median(lambda: workspace.undo("bench"))))
    for n in range(20):
        (root / "django" / f"new_{n}.py").write_text(f"x = {n}\n")
        workspace.checkpoint("bench", f"new {n}")
    rows.append(
        ("undo to start after 20 more edits", timed(lambda: workspace.undo_to_start("bench")))
    )
    rows.append(("dirty check (git status)", median(workspace.is_dirty)))
    rows += measure_store(root)
    return rows


def measure_store(root: Path) -> list[tuple[str, float]]:
    store = SessionStore.open(root)
    session = store.create("bench", "scripted")
    sink = store.sink(session)
    count = 2000
    elapsed = timed(lambda: [sink(ev.ModelText(text="token ", delta=True)) for _ in range(count)])
    for n in range(300):
        store.create(f"task {n}", "scripted")
    return [
        ("store one event (streamed text)", elapsed / count),
        ("list 300 sessions", median(store.list)),
        (f"read {count} events back", median(lambda: store.events(session))),
    ]


if __name__ == "__main__":
    main()
