"""Benchmark: whole-process time and peak memory of `agent map`, cold / warm / after an
edit, on pytest 8.3.4 and django 5.1.4, next to Aider's repo map on the same checkout.

    python tests/benchmarks/bench_index.py [--repos DIR] [--warm-runs 5] [--no-aider]
    python tests/benchmarks/bench_index.py --synthetic 100000   # time and memory at scale

Repositories are materialized with ../shared/bench/get-repos (PyPI sdists as git repos).
Aider runs from its own venv at /opt/aider (skipped with a note when absent):
`PYTHONHASHSEED=0 aider --show-repo-map --map-tokens 1024 ...`. Times are wall clock of
the whole process; cpu is user+sys of the process and its children; rss is the peak
resident set of the largest process (from wait4).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

GET_REPOS = Path("/work/shared/bench/get-repos")
AIDER = Path("/opt/aider/bin/aider")
AIDER_FLAGS = [
    "--model",
    "gpt-4o-mini",
    "--show-repo-map",
    "--map-tokens",
    "1024",
    "--no-check-update",
    "--no-analytics",
    "--no-gitignore",
    "--yes-always",
    "--no-pretty",
    "--no-show-model-warnings",
]
PROJECTS = {"pytest": "src/_pytest/main.py", "django": "django/db/models/query.py"}
AGENT = [sys.executable, "-c", "from agent.cli import main; main()"]


def measure(
    argv: list[str], cwd: Path, env: dict[str, str] | None = None
) -> tuple[float, float, float, str]:
    """(wall seconds, cpu seconds, peak rss MB, stdout) of one whole process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        argv,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{argv[-3:]} failed in {cwd} with exit {process.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.decode()


def load() -> str:
    """The 1, 5 and 15 minute load averages (other work shares these cores)."""
    return os.getloadavg().__repr__()


def row(project: str, tool: str, case: str, runs: list[tuple[float, float, float, str]]) -> dict:
    """One table row: medians of wall and cpu, the largest peak RSS."""
    return {
        "project": project,
        "tool": tool,
        "case": case,
        "runs": len(runs),
        "wall": statistics.median(run[0] for run in runs),
        "cpu": statistics.median(run[1] for run in runs),
        "rss": max(run[2] for run in runs),
    }


def bench_agent(project: str, repo: Path, warm_runs: int) -> list[dict]:
    """Cold, warm, a body edit (same names) and an edit that adds a definition."""
    shutil.rmtree(repo / ".agent", ignore_errors=True)
    command = [*AGENT, "map", "--tokens", "1024"]
    rows = [row(project, "agent", "cold", [measure(command, repo)])]
    warm = [measure(command, repo) for _ in range(warm_runs)]
    assert len({run[3] for run in warm}) == 1, "warm maps differ"
    rows.append(row(project, "agent", "warm", warm))
    target = repo / PROJECTS[project]
    original = target.read_bytes()
    try:
        body, added = [], []
        for number in range(3):  # edits inside a body: the names stay the same
            target.write_bytes(original + f"# bench edit {number}\n".encode())
            body.append(measure(command, repo))
        for number in range(3):  # a new definition: the ranking graph changes
            target.write_bytes(original + f"\n\ndef bench_added_{number}():\n    pass\n".encode())
            added.append(measure(command, repo))
        rows.append(row(project, "agent", "1 file edited (body)", body))
        rows.append(row(project, "agent", "1 file edited (new def)", added))
    finally:
        target.write_bytes(original)
        measure(command, repo)
    return rows


def bench_aider(project: str, repo: Path, warm_runs: int) -> list[dict]:
    """Aider's repo map, cold (no tags cache) and warm, with a fixed hash seed."""
    env = {"PYTHONHASHSEED": "0", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    exclude = repo / ".git" / "info" / "exclude"
    if ".aider*" not in exclude.read_text():
        exclude.write_text(exclude.read_text() + ".aider*\n")
    shutil.rmtree(repo / ".aider.tags.cache.v4", ignore_errors=True)
    command = [str(AIDER), *AIDER_FLAGS]
    rows = [row(project, "aider", "cold", [measure(command, repo, env)])]
    rows.append(
        row(
            project,
            "aider",
            "warm",
            [measure(command, repo, env) for _ in range(max(1, warm_runs // 2))],
        )
    )
    return rows


def synthetic_repo(root: Path, count: int) -> Path:
    """A repository of `count` small modules that import each other (for scale runs)."""
    repo = root / f"synthetic-{count}"
    if not (repo / ".git").is_dir():
        for number in range(count):
            folder = repo / f"pkg{number // 1000}"
            folder.mkdir(parents=True, exist_ok=True)
            other = (number * 7919) % count
            (folder / f"mod{number}.py").write_text(
                f"from pkg{other // 1000}.mod{other} import Thing{other}\n\n\n"
                f"class Thing{number}(Thing{other}):\n    def run_{number}(self):\n"
                f"        return helper_{number}(self)\n\n\ndef helper_{number}(x):\n"
                f"    return x\n"
            )
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    return repo


def bench_synthetic(root: Path, count: int) -> list[dict]:
    """Cold and warm on a generated repository, to show time and memory at scale."""
    repo = synthetic_repo(root, count)
    shutil.rmtree(repo / ".agent", ignore_errors=True)
    command = [*AGENT, "map", "--tokens", "1024"]
    name = f"{count // 1000}k files"
    return [
        row(name, "agent", "cold", [measure(command, repo)]),
        row(name, "agent", "warm", [measure(command, repo) for _ in range(3)]),
    ]


def print_table(rows: list[dict]) -> None:
    """Print the rows as a fixed-width table."""
    print(
        f"{'project':<9} {'tool':<6} {'case':<24} {'runs':>4} {'wall s':>8} {'cpu s':>7} {'peak MB':>8}"
    )
    for entry in rows:
        print(
            f"{entry['project']:<9} {entry['tool']:<6} {entry['case']:<24} {entry['runs']:>4} "
            f"{entry['wall']:>8.2f} {entry['cpu']:>7.2f} {entry['rss']:>8.0f}"
        )


def main() -> None:
    """Run the benchmark and print its table and summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=Path, default=Path("/tmp/idx-repos"))
    parser.add_argument("--warm-runs", type=int, default=5)
    parser.add_argument("--no-aider", action="store_true")
    parser.add_argument(
        "--synthetic",
        type=int,
        default=0,
        metavar="N",
        help="instead: a generated repository of N modules",
    )
    parser.add_argument("projects", nargs="*", default=list(PROJECTS))
    args = parser.parse_args()
    if args.synthetic:
        print(f"machine: {os.cpu_count()} cores; load average at start {load()}")
        print_table(bench_synthetic(args.repos, args.synthetic))
        print(f"load average at end {load()}")
        return
    subprocess.run(
        [str(GET_REPOS), str(args.repos), *args.projects], check=True, stdout=subprocess.DEVNULL
    )
    print(f"machine: {os.cpu_count()} cores; load average at start {load()}")
    rows: list[dict] = []
    for project in args.projects:
        repo = args.repos / project
        rows += bench_agent(project, repo, args.warm_runs)
        if args.no_aider:
            continue
        if not AIDER.exists():
            print(
                f"note: {AIDER} not found, Aider skipped (python -m venv /opt/aider && "
                "/opt/aider/bin/pip install aider-chat)"
            )
            continue
        rows += bench_aider(project, repo, args.warm_runs)
    print(f"load average at end {load()}\n")
    print_table(rows)
    summary = []
    for project in args.projects:
        found = {
            (entry["tool"], entry["case"]): entry for entry in rows if entry["project"] == project
        }
        ours = found[("agent", "warm")]
        text = f"{project}: agent cold {found[('agent', 'cold')]['wall']:.2f}s warm {ours['wall']:.2f}s"
        if ("aider", "warm") in found:
            theirs = found[("aider", "warm")]
            text += (
                f", aider warm {theirs['wall']:.2f}s ({theirs['wall'] / ours['wall']:.0f}x wall,"
                f" {theirs['cpu'] / ours['cpu']:.0f}x cpu)"
            )
        summary.append(text)
    print("\nsummary: " + "; ".join(summary))


if __name__ == "__main__":
    main()
