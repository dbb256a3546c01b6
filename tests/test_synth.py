"""Bug synthesis: mutation operators, validation in the sandbox, determinism, evaluation."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agent.bench.mutations import mutations
from agent.bench.synth import candidates, synthesize
from agent.debug.coverage_map import CoverageMap
from tests.solve_kit import PYTEST

SAMPLE = '''
class Base:
    pass


class Box(Base):
    """A box."""

    def size(self):
        return 1

    def grow(self, n):
        total = 0
        for i in range(n):
            if i < 3 and n > 1:
                total += i * 2
        return sorted([total])[0]
'''

CODE = """
def clip(value, low, high):
    if value < low:
        return low
    if value > high:
        return high
    return value


def mean(values):
    return sum(values) / len(values)


def span(values):
    return max(values) - min(values)


def describe(values):
    return f"{mean(values):.1f} over {span(values)}"
"""

TESTS = """
from calc import clip, describe, mean, span


def test_clip_low():
    assert clip(-5, 0, 10) == 0


def test_clip_high():
    assert clip(50, 0, 10) == 10


def test_clip_inside():
    assert clip(5, 0, 10) == 5


def test_mean():
    assert mean([1, 2, 3, 6]) == 3


def test_span():
    assert span([4, 1, 9]) == 8


def test_describe():
    assert describe([1, 3]) == "2.0 over 2"
"""


def test_each_operator_kind_makes_a_compiling_change() -> None:
    found = mutations("sample.py", textwrap.dedent(SAMPLE))
    kinds = {m.kind for m in found}
    assert {
        "flip_comparison",
        "flip_boolean",
        "change_operator",
        "change_constant",
        "invert_if",
        "remove_condition",
        "remove_if",
        "remove_loop",
        "remove_assignment",
        "remove_wrapper",
        "remove_base",
        "remove_method",
        "swap_operands",
    } <= kinds
    source = textwrap.dedent(SAMPLE)
    flip = next(m for m in found if m.kind == "flip_comparison" and "i >= 3" in m.apply(source))
    assert flip.function == "Box.grow"
    assert "class Box:" in next(m for m in found if m.kind == "remove_base").apply(source)
    for mutation in found:
        changed = mutation.apply(source)
        compile(changed, "sample.py", "exec")
        assert changed != source and "A box." in changed  # only the bug changes


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synthrepo") / "calc"
    (root / "tests").mkdir(parents=True)
    (root / "calc.py").write_text(textwrap.dedent(CODE))
    (root / "tests" / "test_calc.py").write_text(textwrap.dedent(TESTS))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "calc"], cwd=root, check=True)
    return root


@pytest.fixture(scope="module")
def cli_tasks(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    out = tmp_path_factory.mktemp("tasks") / "tasks.jsonl"
    run = subprocess.run(
        [
            "agent",
            "bench",
            "synth",
            str(repo),
            "--tests",
            f"{PYTEST} -q tests",
            "--seed",
            "3",
            "--max",
            "4",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "4 validated bugs" in run.stderr
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_synthesized_bugs_fail_some_tests_and_pass_others(
    repo: Path, cli_tasks: list[dict], tmp_path: Path
) -> None:
    assert len(cli_tasks) == 4
    for task in cli_tasks:
        assert task["FAIL_TO_PASS"] and task["PASS_TO_PASS"]
        assert not set(task["FAIL_TO_PASS"]) & set(task["PASS_TO_PASS"])
        assert task["function"] in {"clip", "mean", "span", "describe"}
        assert " calc.py" not in task["problem_statement"]  # no location hint
        assert "/calc.py" not in task["problem_statement"]
    task = cli_tasks[0]
    copy = tmp_path / "copy"
    shutil.copytree(repo, copy)
    subprocess.run(["git", "apply", "-"], input=task["patch"], text=True, cwd=copy, check=True)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *task["FAIL_TO_PASS"],
            task["PASS_TO_PASS"][0],
        ],
        cwd=copy,
        capture_output=True,
        text=True,
    )
    assert f"{len(task['FAIL_TO_PASS'])} failed, 1 passed" in run.stdout


def test_same_seed_same_tasks(repo: Path, cli_tasks: list[dict]) -> None:
    again = synthesize(repo, f"{PYTEST} -q tests", seed=3, max_tasks=4, workers=2)
    assert [t["instance_id"] for t in again] == [t["instance_id"] for t in cli_tasks]
    assert [t["patch"] for t in again] == [t["patch"] for t in cli_tasks]


def test_other_seeds_order_candidates_differently(repo: Path) -> None:
    cov = CoverageMap(
        {"t::a": "passed"}, {"calc.py": {n: frozenset({"t::a"}) for n in range(1, 20)}}
    )
    order = [candidates(repo, ["calc.py"], cov, seed) for seed in (1, 1, 2)]
    assert order[0] == order[1] and order[0] != order[2]
    assert len({m.function for m in order[0][:3]}) == 3  # each function before repeats


def test_synthesized_bugs_are_localized(cli_tasks: list[dict], tmp_path: Path) -> None:
    tasks_file = tmp_path / "t.jsonl"
    tasks_file.write_text("".join(json.dumps(t) + "\n" for t in cli_tasks[:2]))
    run = subprocess.run(
        ["agent", "bench", "localize", str(tasks_file), "--json"], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    ranks = [json.loads(line)["rank"] for line in run.stdout.splitlines() if line.startswith("{")]
    assert len(ranks) == 2 and all(r is not None and r <= 2 for r in ranks), run.stdout
    assert "summary: 2 tasks, top-1" in run.stdout
