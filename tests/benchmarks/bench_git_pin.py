"""Cost of pinning the git directory and of the safe git options, per call, on django.

    python tests/benchmarks/bench_git_pin.py [DJANGO_DIR]

Without DJANGO_DIR, django is materialized with /work/shared/bench/get-repos into a fresh
temporary directory; with it, a private copy is made, so no one else's checkout is touched.
Prints a table of median times and a one-line summary.
"""

from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench_kit import django_copy

from agent.gitops.pin import fingerprint, pin_work_tree, unpin
from agent.gitops.plumbing import run_git
from agent.sandbox.mounts import _agent_dir_hidden, _git_dir_binds

# One run_command costs two `git status` (what the command touched) and one checkpoint:
# two `ls-files`, `update-index`, `write-tree`, `for-each-ref`, `commit-tree`, `update-ref`.
GIT_CALLS_PER_COMMAND = 9


def per_call(action, runs: int) -> float:
    """Median seconds of one call, over `runs` batches of 20 calls each."""
    batches = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(20):
            action()
        batches.append((time.perf_counter() - start) / 20)
    return statistics.median(batches)


def plain_git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-pin-", dir="/var/tmp") as tmp:
        repo = django_copy(Path(tmp)).resolve()
        files = len(run_git(repo, "ls-files", "-z").split(b"\0")) - 1
        rows = [
            (
                "fingerprint (pin at session start)",
                per_call(lambda: fingerprint(repo, repo / ".git", repo / ".git"), 25),
            )
        ]
        pin = pin_work_tree(repo)
        rows.append(("pin check (before every git call)", per_call(pin.check, 25)))
        rows.append(
            (
                "sandbox mounts for .git and .agent",
                per_call(lambda: _git_dir_binds(repo) + _agent_dir_hidden(repo), 25),
            )
        )
        for args in (("rev-parse", "HEAD"), ("status", "--porcelain", "-z")):
            runs = 3 if args[0] == "status" else 10
            plain = per_call(lambda args=args: plain_git(repo, *args), runs)
            safe = per_call(lambda args=args: run_git(repo, *args), runs)
            rows.append((f"git {args[0]}: plain", plain))
            rows.append((f"git {args[0]}: pinned, safe options", safe))
        unpin(repo)
    print(f"django: {files} tracked files\n")
    print(f"| {'step':<40} | {'median ms':>9} |\n|{'-' * 42}|{'-' * 10}:|")
    for name, seconds in rows:
        print(f"| {name:<40} | {seconds * 1000:>9.3f} |")
    check, mounts = rows[1][1], rows[2][1]
    per_command = check * GIT_CALLS_PER_COMMAND + mounts
    print(
        f"\nper command: {GIT_CALLS_PER_COMMAND} pin checks + the mounts = "
        f"{per_command * 1000:.2f} ms (target with the inventory: under 20 ms)"
    )


if __name__ == "__main__":
    main()
