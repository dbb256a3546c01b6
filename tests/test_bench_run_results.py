"""Results files of `agent bench run`: summary with a Wilson interval, comparison of two runs,
rows cut short by a crash, and the refusals a user can act on. No sessions run here."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from agent.bench.results import ResultsFile, compare, read_rows, summarize, wilson_interval


def row(instance_id, resolved, cost=0.1, wall=10.0, turns=3, status=None, tokens=(0, 0)):
    return {
        "instance_id": instance_id,
        "resolved": resolved,
        "cost_usd": cost,
        "wall_s": wall,
        "turns": turns,
        "status": status or ("solved" if resolved else "not_solved"),
        "input_tokens": tokens[0],
        "cached_tokens": tokens[1],
    }


def write(path, rows):
    path.mkdir(parents=True, exist_ok=True)
    (path / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def agent(*argv, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "agent", *map(str, argv)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_wilson_interval_matches_known_values():
    low, high = wilson_interval(7, 10)
    assert (round(low, 4), round(high, 4)) == (0.3968, 0.8922)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    low, high = wilson_interval(10, 10)
    assert high == 1.0 and round(low, 4) == 0.7225


def test_the_summary_counts_rates_costs_and_errors():
    rows = [
        row("a", True, 0.1, 10, 3),
        row("b", False, 0.3, 30, 5),
        row("c", True, 0.2, 20, 4),
        row("d", False, 0.0, 1, 0, status="error"),
    ]
    s = summarize(rows)
    assert (s.tasks, s.resolved, s.errors, s.rate) == (4, 2, 1, 0.5)
    assert s.cost == pytest.approx((0.15, 0.15, 0.6))
    assert s.wall_s == pytest.approx((15.25, 15.0)) and s.turns == pytest.approx((3.0, 3.5))


def test_compare_reports_gained_lost_and_deltas_on_common_tasks(tmp_path):
    a = write(
        tmp_path / "a",
        [
            row("t1", True, 0.2, tokens=(2000, 8000)),
            row("t2", False, 0.2),
            row("t3", True, 0.2),
            row("only-a", True),
        ],
    )
    b = write(
        tmp_path / "b",
        [
            row("t1", True, 0.1, turns=2, tokens=(1000, 5000)),
            row("t2", True, 0.1),
            row("t3", False, 0.4),
            row("only-b", False),
        ],
    )
    c = compare(read_rows(a), read_rows(b))
    assert (c.common, c.gained, c.lost, c.only_a, c.only_b) == (3, ["t2"], ["t3"], 1, 1)
    assert c.cost_b - c.cost_a == pytest.approx(0.0)
    result = agent("bench", "compare", a, b / "results.jsonl")
    assert result.returncode == 0, result.stderr
    assert "gained: t2" in result.stdout and "lost: t3" in result.stdout
    assert "1 gained, 1 lost, rate +0.0 pts" in result.stdout
    assert (c.turns_a, c.turns_b, c.input_a, c.input_b) == pytest.approx(
        (3, 8 / 3, 3333.3, 2000), abs=0.1
    )
    assert "model calls -0.3, input tokens -1333 (-40%)" in result.stdout
    assert "1 only in A, 1 only in B" in result.stdout


def test_a_row_cut_short_by_a_crash_is_dropped_and_that_task_runs_again(tmp_path):
    out = write(tmp_path / "out", [row("t1", True)])
    with (out / "results.jsonl").open("a") as handle:
        handle.write('{"instance_id": "t2", "resol')
    results = ResultsFile(out)
    assert results.finished() == {"t1"}
    results.append(row("t2", False))
    assert [r["instance_id"] for r in read_rows(out)] == ["t1", "t2"]


def test_user_errors_are_one_line_and_exit_2(tmp_path):
    missing = agent("bench", "run", tmp_path / "nope.jsonl", "--model", "scripted")
    assert missing.returncode == 2 and "cannot read tasks file" in missing.stderr
    assert "Traceback" not in missing.stderr
    task = {
        "instance_id": "t1",
        "problem_statement": "x",
        "FAIL_TO_PASS": ["t::a"],
        "repo": "r",
        "repo_path": str(tmp_path),
    }
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps(task) + "\n")
    out = write(tmp_path / "out", [])
    (out / "run.json").write_text(json.dumps({"model": "anthropic:claude-x"}))
    other = agent("bench", "run", tasks, "--model", "replay:rec", "--out", out)
    assert other.returncode == 2 and "holds a run of anthropic:claude-x" in other.stderr
    compared = agent("bench", "compare", out, tmp_path / "none")
    assert compared.returncode == 2 and "no results at" in compared.stderr


def test_a_task_whose_repository_is_missing_is_an_error_row_and_is_tried_again(tmp_path):
    task = {
        "instance_id": "t1",
        "problem_statement": "x",
        "FAIL_TO_PASS": ["t::a"],
        "repo": "r",
        "repo_path": str(tmp_path / "gone"),
    }
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps(task) + "\n")
    for _attempt in range(2):
        result = agent(
            "bench",
            "run",
            tasks,
            "--model",
            "scripted",
            "--out",
            tmp_path / "out",
            "--workers",
            "1",
        )
        assert result.returncode == 0, result.stderr
        assert "0 already done" in result.stderr and "repository of t1 not found" in result.stderr
        assert "resolved 0/1" in result.stdout and "1 errors" in result.stdout
    rows = (tmp_path / "out" / "results.jsonl").read_text().splitlines()
    assert len(rows) == 2 and json.loads(rows[-1])["status"] == "error"
