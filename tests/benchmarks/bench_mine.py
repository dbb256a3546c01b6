"""`agent bench mine` on real projects: candidates, tasks kept, time per candidate.

The projects of shared/bench/repos.txt come as source distributions, without history. A
history is made of their consecutive releases instead: each release's sdist committed on
top of the one before, so every release is one commit (with its release notes as message)
that changes code and tests together, as a squashed pull request would. Its message is the
release's entry in the project's changelog (CHANGELOG, CHANGES, HISTORY or README), or just
the name and version where the sdist has none.

    python tests/benchmarks/bench_mine.py DEST cachetools:5.0.0,5.1.0,... toolz:0.11.0,...

Prints one row per project and writes DEST/NAME.tasks.jsonl.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

TESTS = {
    "cachetools": "PYTHONPATH=src python -m pytest -q tests",
    "toolz": "python -m pytest -q toolz",
    "parse": "python -m pytest -q",
    "tabulate": "python -m pytest -q test",
}


def release_history(dest: Path, name: str, versions: list[str]) -> Path:
    """DEST/NAME: a git repository with one commit per release, oldest first."""
    repo = dest / name
    if (repo / ".git").exists():
        return repo
    cache = dest / "sdists"
    cache.mkdir(parents=True, exist_ok=True)
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    for version in versions:
        archive = _sdist(cache, name, version)
        for child in repo.iterdir():
            if child.name != ".git":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        with tempfile.TemporaryDirectory() as tmp, tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
            [top] = Path(tmp).iterdir()
            for child in top.iterdir():
                shutil.move(str(child), repo / child.name)
        _git(repo, "add", "-A")
        message = f"{name} {version}\n\n{release_notes(repo, version)}".strip()
        _git(
            repo,
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@localhost",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            message,
        )
    return repo


def release_notes(repo: Path, version: str) -> str:
    """The changelog's lines for `version`: from the line naming it to the next version."""
    names = ("CHANGELOG", "CHANGES", "HISTORY", "NEWS", "README")
    for path in sorted(repo.iterdir()):
        if not path.is_file() or not path.name.upper().startswith(names):
            continue
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        heading = re.compile(rf"^\W*v?{re.escape(version)}\b")
        start = next((i for i, line in enumerate(lines) if heading.match(line)), None)
        if start is None:
            continue
        end = next(
            (j for j in range(start + 1, len(lines)) if re.match(r"^\W*v?\d+\.\d+", lines[j])),
            len(lines),
        )
        return "\n".join(lines[start:end]).strip()[:2000]
    return ""


def _sdist(cache: Path, name: str, version: str) -> Path:
    found = [
        p
        for p in cache.glob("*.tar.gz")
        if p.name.lower().replace("_", "-") == f"{name}-{version}.tar.gz"
    ]
    if not found:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--no-binary",
                ":all:",
                "-d",
                str(cache),
                f"{name}=={version}",
            ],
            check=True,
            capture_output=True,
        )
        return _sdist(cache, name, version)
    return found[0]


def _git(repo: Path, *argv: str) -> None:
    subprocess.run(["git", *argv], cwd=repo, check=True, capture_output=True)


def main() -> None:
    """Build each project's release history, mine it, print the table."""
    from agent.bench.mine import candidates
    from agent.bench.mine_cli import mine_tasks

    parser = argparse.ArgumentParser()
    parser.add_argument("dest", type=Path)
    parser.add_argument("projects", nargs="+", help="NAME:V1,V2,... (oldest first)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print("| project | releases | candidates | kept (bug / feature) | s per candidate |")
    print("|---|---:|---:|---:|---:|")
    for spec in args.projects:
        name, _, versions = spec.partition(":")
        repo = release_history(args.dest.resolve(), name, versions.split(","))
        found = len(list(candidates(repo)))
        out = args.dest / f"{name}.tasks.jsonl"
        out.with_name(out.name + ".state").unlink(missing_ok=True)  # time every commit
        started = time.monotonic()
        tasks = mine_tasks(repo, TESTS[name], out, max_tasks=1000, workers=args.workers)
        took = time.monotonic() - started
        kinds = [t["kind"] for t in tasks]
        print(
            f"| {name} | {len(versions.split(','))} | {found} | {len(tasks)} "
            f"({kinds.count('bug')} / {kinds.count('feature')}) | "
            f"{took / max(found, 1):.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
