"""A tiny real project for `agent bench run` tests, and scripted answers to its bug tasks."""

from __future__ import annotations

from pathlib import Path

from tests.solve_kit import PYTEST, QUIET, finish, make_repo, plan, turn

STATS = '''"""Small statistics helpers."""


def clip(value, low, high):
    """`value` limited to [low, high]."""
    if value < low:
        return low
    if value > high:
        return high
    return value


def mean(values):
    """The arithmetic mean."""
    total = 0
    for value in values:
        total += value
    return total / len(values)


def span(values):
    """Largest minus smallest."""
    return max(values) - min(values)
'''
STATS_TESTS = """from calc import clip, mean, span


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
"""
TEST_COMMAND = f"{PYTEST} -q tests"
SETTINGS = QUIET + "debug_rounds = 0\nmax_plans = 1\n"


def make_project(root: Path) -> Path:
    """The stats project as a committed git repository (one plan, no debug rounds)."""
    return make_repo(root, SETTINGS, {"calc.py": STATS, "tests/test_calc.py": STATS_TESTS})


def patch_sides(patch: str) -> tuple[str, str]:
    """(buggy text, original text) of a one-hunk unified diff."""
    buggy, original = [], []
    for line in patch.splitlines(keepends=True):
        if line.startswith(("---", "+++", "@@")):
            continue
        if line[:1] in (" ", "+"):
            buggy.append(line[1:])
        if line[:1] in (" ", "-"):
            original.append(line[1:])
    return "".join(buggy), "".join(original)


def correct_fix(task: dict) -> list:
    """Plan, undo the bug with one edit, finish."""
    buggy, original = patch_sides(task["patch"])
    change = {"path": task["path"], "old": buggy, "new": original}
    return [
        plan(tests=task["FAIL_TO_PASS"]),
        turn("", ("edit_file", change)),
        finish("put the code back as it was"),
    ]


def rewrite_tests(task: dict) -> list:
    """A wrong fix: plan, make the failing tests pass by rewriting their file (keeping their
    names, so the tests the task names do pass), finish."""
    test_file = task["FAIL_TO_PASS"][0].split("::")[0]
    names = dict.fromkeys(t.split("::")[-1] for t in task["FAIL_TO_PASS"])
    content = "".join(f"def {name}():\n    assert True\n\n\n" for name in names).rstrip() + "\n"
    return [
        plan(),
        turn("", ("create_file", {"path": test_file, "overwrite": True, "content": content})),
        finish("the tests pass now"),
    ]
