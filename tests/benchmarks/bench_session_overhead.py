"""The agent's own time per session, and how soon the first model call starts.

usage: PYTHONPATH=. python tests/benchmarks/bench_session_overhead.py TASKS.jsonl... \
           [--repeat N] [--model-wait S]

Each task of `agent bench synth` is set up as a fresh git repository (the bug applied and
committed) and solved by a whole session whose model is scripted: a plan, the edit that
undoes the bug, finish; every answer waits `--model-wait` seconds like a network call.
`--repeat N` lists the suite's path N times (pytest --keep-duplicates) for a suite that
takes longer here. `suite_s` is one whole-suite run of the task's tree (the buggy one, which
the baseline runs) with the loop's pytest flags. From the session's events: wall time, the
agent's own time (wall minus the model's waits), the test runs (`suite_runs`: those that ran
the whole suite, no test id named), the first model call's start
after the localize phase began, and `index_s`, the part of that the repo map took (where
the code reports it).
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from agent.events import Finished, PhaseChanged, SessionStarted, TestsRun
from agent.models.scripted import ScriptedModel
from agent.runner import SolveOptions, run_session
from tests.solve_kit import finish, git, turn

SETTINGS = "independent_tests = false\nreproduce = false\ntraces = false\nmax_plans = 1\n"


def suite_command(command: str, repeat: int) -> str:
    """The task's pytest command with its test path listed `repeat` times.

    `--keep-duplicates` goes before the paths: a targeted run drops the trailing paths of the
    command (tools.run), so it runs its targets once and not the suite as well.
    """
    words = shlex.split(command)
    if repeat <= 1 or len(words) < 2 or words[-1].startswith("-") or "=" in words[-1]:
        return command
    return shlex.join(words[:-1] + ["--keep-duplicates"] + [words[-1]] * repeat)


def suite_seconds(task: dict, into: Path, command: str) -> float:
    """One whole-suite run of the task's tree as the loop runs it (its flags; outside the
    sandbox), in seconds; in a copy of its own, so the session's tree stays as prepared."""
    from agent.tools.run import test_command_line

    repo = prepared(task, into, command)
    started = time.monotonic()
    subprocess.run(
        ["bash", "-c", test_command_line(command, "")], cwd=repo, capture_output=True, check=False
    )
    return time.monotonic() - started


def prepared(task: dict, into: Path, command: str) -> Path:
    """A git repository with the task's bug committed, and the settings for the session."""
    repo = into / task["repo"]
    shutil.copytree(
        task["repo_path"],
        repo,
        ignore=shutil.ignore_patterns("__pycache__", ".agent", ".pytest_cache"),
    )
    subprocess.run(["git", "apply"], input=task["patch"], text=True, cwd=repo, check=True)
    (repo / ".agent.toml").write_text(SETTINGS + f"test_command = {json.dumps(command)}\n")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=b", "-c", "user.email=b@localhost", "commit", "-qm", "bug")
    return repo


def fix_edit(patch: str) -> tuple[str, str]:
    """(old, new) for edit_file that turns the patched text back (the hunk's lines)."""
    old, new = [], []
    for line in patch.splitlines(keepends=True)[3:]:
        if line.startswith("@@"):
            continue
        tag, text = line[:1], line[1:]
        if tag in (" ", "+"):
            old.append(text)
        if tag in (" ", "-"):
            new.append(text)
    return "".join(old), "".join(new)


def answers(task: dict, wait_s: float, calls: list[tuple[float, float]]) -> list:
    """Plan, fix, finish; each call waits `wait_s` and records its (start, end)."""
    old, new = fix_edit(task["patch"])
    plan = turn(
        "",
        (
            "submit_plan",
            {
                "reading": f"undo the bug in {task['function']}",
                "steps": [f"fix {task['path']}"],
                "check_input": "the failing test",
                "check_expected": "it passes",
                "check_walkthrough": "the fix restores the behaviour",
                "check_agrees": True,
                "bug": False,
                "tests": [],
            },
        ),
    )
    fix = turn("", ("edit_file", {"path": task["path"], "old": old, "new": new}))

    def waiting(answer):
        def answer_after_wait(request):
            started = time.time()
            time.sleep(wait_s)
            calls.append((started, time.time()))
            return answer

        return answer_after_wait

    return [waiting(a) for a in (plan, fix, finish("fixed"))]


def measure(task: dict, repeat: int, wait_s: float) -> dict:
    """One session on one task: its times."""
    command = suite_command(task["test_command"], repeat)
    with tempfile.TemporaryDirectory() as scratch:
        suite_s = suite_seconds(task, Path(scratch) / "timed", command)
        repo = prepared(task, Path(scratch) / "session", command)
        calls: list[tuple[float, float]] = []
        events: list = []
        run_session(
            SolveOptions(
                task=task["problem_statement"],
                cwd=repo,
                model=ScriptedModel(answers(task, wait_s, calls)),
            ),
            [events.append],
        )
    return times(task, events, calls, suite_s)


def times(task: dict, events: list, calls: list[tuple[float, float]], suite_s: float) -> dict:
    """The row for one session, from its events and its model calls' (start, end)."""
    begin = next(e.at for e in events if isinstance(e, SessionStarted))
    end = next(e for e in events if isinstance(e, Finished))
    localize = next(e.at for e in events if isinstance(e, PhaseChanged) and e.phase == "localize")
    ready = [e.at for e in events if isinstance(e, PhaseChanged) and "repo map ready" in e.detail]
    wall = end.at - begin
    model = sum(b - a for a, b in calls)
    runs = [e for e in events if isinstance(e, TestsRun)]
    return {
        "task": task["instance_id"],
        "status": end.status,
        "stop": end.stop_reason[:80],
        "last_failures": next(
            (list(e.failures[:3]) for e in reversed(events) if isinstance(e, TestsRun)), []
        ),
        "suite_s": round(suite_s, 1),
        "wall_s": round(wall, 1),
        "model_s": round(model, 1),
        "own_s": round(wall - model, 1),
        "test_runs": len(runs),
        "suite_runs": sum("::" not in r.command for r in runs),
        "last_suite_in_session_s": _last_suite_s(events),
        "first_call_after_localize_s": round(calls[0][0] - localize, 2) if calls else None,
        "index_s": round(ready[0] - localize, 2) if ready else None,
    }


def _last_suite_s(events: list) -> float | None:
    """How long the session's last whole-suite run took: its TestsRun event's time less
    that of the event before it (the run began right after that one)."""
    ends = [i for i, e in enumerate(events) if isinstance(e, TestsRun) and "::" not in e.command]
    return round(events[ends[-1]].at - events[ends[-1] - 1].at, 1) if ends else None


def main() -> None:
    """Run every task given and print one JSON line per session."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="+", type=Path)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--model-wait", type=float, default=2.0)
    options = parser.parse_args()
    for path in options.tasks:
        for line in path.read_text().splitlines():
            if line.strip():
                row = measure(json.loads(line), options.repeat, options.model_wait)
                print(json.dumps(row), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
