"""`agent bench run` / `compare` on tasks synthesized from a real project: real loop, real
sandboxed pytest, real worker processes and a real local Ray instance; only the model is scripted."""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from agent.bench.executors import InlineExecutor
from agent.bench.harness import run_bench
from agent.bench.results import read_rows
from agent.bench.run import BenchSettings, slug
from agent.bench.synth import synthesize
from agent.bench.workcopy import prepare
from agent.models.recording import RecordingModel
from agent.models.scripted import ScriptedModel
from tests.bench_run_kit import TEST_COMMAND, correct_fix, make_project, patch_sides, rewrite_tests
from tests.solve_kit import git, turn

SAME = (
    "resolved",
    "status",
    "stop_reason",
    "turns",
    "input_tokens",
    "output_tokens",
    "files",
    "fail_to_pass_failing",
    "pass_to_pass_failing",
    "reset_test_files",
)


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    """Two synthesized tasks, run in-process: the first fixed, the second 'fixed' by
    rewriting its tests; every model call recorded per task for replay by workers."""
    base = tmp_path_factory.mktemp("bench")
    tasks = synthesize(make_project(base / "stats"), TEST_COMMAND, seed=0, max_tasks=2, workers=1)
    assert len(tasks) == 2
    tasks_file = base / "tasks.jsonl"
    tasks_file.write_text("".join(json.dumps(t) + "\n" for t in tasks))
    scripts = {
        tasks[0]["instance_id"]: correct_fix(tasks[0]),
        tasks[1]["instance_id"]: rewrite_tests(tasks[1]),
    }
    models = {}

    def model_for(task):
        model = ScriptedModel(scripts[task["instance_id"]])
        models[task["instance_id"]] = model
        return RecordingModel(model, base / "rec" / slug(task["instance_id"]))

    out = base / "inline"
    rows = run_bench(tasks, out, BenchSettings(model="scripted"), InlineExecutor(model_for))
    return SimpleNamespace(
        base=base,
        tasks=tasks,
        tasks_file=tasks_file,
        out=out,
        rows={r["instance_id"]: r for r in rows},
        models=models,
    )


def agent(*argv, **popen):
    """The real CLI in a child process."""
    return subprocess.Popen(
        [sys.executable, "-m", "agent", *map(str, argv)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def finish_cli(process, timeout=150) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def test_a_fix_is_resolved_and_rewriting_the_failing_tests_is_not(bench):
    fixed, rewritten = bench.tasks
    good, bad = bench.rows[fixed["instance_id"]], bench.rows[rewritten["instance_id"]]
    assert good["resolved"] and good["status"] == "solved", good
    assert good["turns"] == 3 and good["input_tokens"] == 300 and good["output_tokens"] == 30
    restored = [
        line
        for line in patch_sides(fixed["patch"])[1].splitlines()
        if line not in patch_sides(fixed["patch"])[0].splitlines()
    ]
    assert all(f"+{line}" in good["diff"] for line in restored)
    # The loop believed the rewritten tests; the evaluation puts the task's tests back first.
    assert bad["status"] == "solved" and not bad["resolved"]
    test_file = rewritten["FAIL_TO_PASS"][0].split("::")[0]
    assert bad["reset_test_files"] == [test_file]
    assert bad["fail_to_pass_failing"] == rewritten["FAIL_TO_PASS"]
    assert f"+++ b/{test_file}" in bad["diff"]
    # The model got the problem statement as its task, and each session's store is kept.
    first = bench.models[fixed["instance_id"]].requests[0]
    assert fixed["problem_statement"] in first.messages[0].parts[0].text
    with sqlite3.connect(good["session_store"]) as db:
        assert db.execute(
            "select status from sessions where id = ?", (good["session_id"],)
        ).fetchone() == ("solved",)
    assert [
        json.loads(line)["instance_id"]
        for line in (bench.out / "results.jsonl").read_text().splitlines()
    ] == list(bench.rows)


def test_the_working_copy_is_one_clean_commit_with_the_bug_and_no_history(bench, tmp_path):
    task = bench.tasks[0]
    root = tmp_path / "copy"
    prepare(task, root)
    assert git(root, "rev-list", "--count", "HEAD").strip() == "1"
    assert git(root, "status", "--porcelain") == ""
    buggy, original = patch_sides(task["patch"])
    source = (root / task["path"]).read_text()
    assert buggy in source and original not in source


def test_the_per_task_cost_limit_stops_the_session(bench, tmp_path):
    costly = [turn("", ("read_file", {"path": "calc.py"}), cost=1.0) for _ in range(3)]
    rows = run_bench(
        bench.tasks[:1],
        tmp_path / "out",
        BenchSettings("scripted", task_cost_usd=0.5),
        InlineExecutor(lambda task: ScriptedModel(costly)),
    )
    assert rows[0]["status"] == "budget_exhausted" and not rows[0]["resolved"]
    assert "cost limit reached ($1.00 of $0.50)" in rows[0]["stop_reason"]
    assert rows[0]["cost_usd"] == 1.0 and rows[0]["turns"] == 1


def test_local_workers_with_a_bridge_stop_on_ctrl_c_and_resume(bench, tmp_path):
    first, second = (t["instance_id"] for t in bench.tasks)
    bridge, out = tmp_path / "bridge", tmp_path / "out"
    _answers(bench.base / "rec" / first, bridge / first)
    command = [
        "bench",
        "run",
        bench.tasks_file,
        "--model",
        f"bridge:{bridge}",
        "--out",
        out,
        "--workers",
        "1",
    ]
    run = agent(*command)
    waiting = bridge / second / "0001.request.json"
    deadline = time.monotonic() + 120
    while not (waiting.exists() and len(read_rows(out)) == 1):
        assert run.poll() is None and time.monotonic() < deadline, run.communicate()
        time.sleep(0.2)
    run.send_signal(signal.SIGINT)
    code, _, err = finish_cli(run, timeout=60)
    assert code == 130 and "interrupted" in err
    assert [r["instance_id"] for r in read_rows(out)] == [first]
    assert not waiting.exists()  # the worker stopped cleanly: no request left unanswered
    kept = read_rows(out)[0]

    _answers(bench.base / "rec" / second, bridge / second)
    code, stdout, err = finish_cli(agent(*command[:-1], "2"))
    assert code == 0, err
    assert "1 already done" in err and "resolved 1/2" in stdout
    rows = {r["instance_id"]: r for r in read_rows(out)}
    assert rows[first] == kept  # not run again
    for instance_id, row in rows.items():
        assert {k: row[k] for k in SAME} == {k: bench.rows[instance_id][k] for k in SAME}

    code, stdout, _ = finish_cli(agent("bench", "compare", bench.out, out))
    assert code == 0 and "0 gained, 0 lost" in stdout


def test_the_ray_executor_gives_the_same_results_as_local_runs(bench, tmp_path):
    pytest.importorskip("ray", reason="ray is not installed (pip install 'agent[ray]')")
    out = tmp_path / "ray"
    code, stdout, err = finish_cli(
        agent(
            "bench",
            "run",
            bench.tasks_file,
            "--model",
            f"replay:{bench.base / 'rec'}",
            "--out",
            out,
            "--executor",
            "ray",
            "--workers",
            "2",
        ),
        timeout=170,
    )
    assert code == 0, err
    rows = {r["instance_id"]: r for r in read_rows(out)}
    assert set(rows) == set(bench.rows)
    for instance_id, row in rows.items():
        assert row["error"] == "", row
        assert {k: row[k] for k in SAME} == {k: bench.rows[instance_id][k] for k in SAME}
    assert "resolved 1/2" in stdout


def _answers(recording: Path, folder: Path) -> None:
    """A bridge folder with a recording's answers already written."""
    folder.mkdir(parents=True, exist_ok=True)
    for answer in recording.glob("*.response.json"):
        shutil.copy(answer, folder / answer.name)
