"""Test runs per session with a reproduce phase and the test designer, and the agent's time.

usage: PYTHONPATH=. python tests/benchmarks/bench_shared_runs.py [--repeat N] [--plugins]

A scripted bug session on the small calc project (tests/solve_kit.py): a plan, the
designer's test file, a reproduction test written and named with `reproduced`, the fix,
finish. The designer's request is answered by its own script (it has no tools), so the
same answers fit the loop whether it asks the designer before or after the reproduce phase;
run it with PYTHONPATH pointing at another checkout to compare. `--plugins` keeps this
machine's pytest plugins (each start-up then costs about 1.9 s instead of 0.4 s, closer to
a real project's collection and imports). Printed per session: the test runs (each its
targets), their count, and the session's wall time (the model answers at once, so that is
the agent's own time).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from agent.events import TestsRun
from agent.messages import ModelRequest, ModelResponse
from agent.models.scripted import ScriptedModel
from agent.runner import SolveOptions, run_session
from tests.solve_kit import edit, finish, make_repo, plan, turn
from tests.test_test_designer import DESIGNED

TASK = "clamp(15, 0, 10) returns 0 but should return 10"
SETTINGS = "traces = false\nmax_plans = 1\n"
NO_PLUGINS = 'test_env = { PYTEST_DISABLE_PLUGIN_AUTOLOAD = "1" }\n'
REPRODUCTION = "tests/test_calc.py::test_clamp_above"
WRITE_REPRODUCTION = edit(
    "def test_clamp_inside():",
    "def test_clamp_above():\n    assert clamp(15, 0, 10) == 10\n\n\ndef test_clamp_inside():",
    "tests/test_calc.py",
)


class ByConversation:
    """A model answering the designer's requests (no tools) and the loop's from two scripts."""

    name = "scripted"

    def __init__(self, loop: ScriptedModel, designer: ScriptedModel) -> None:
        self.loop = loop
        self.designer = designer

    def complete(self, request: ModelRequest, on_text=None) -> ModelResponse:
        """The next answer of the script for this request's conversation."""
        return (self.designer if not request.tools else self.loop).complete(request, on_text)


def one_session(into: Path, plugins: bool) -> tuple[list[str], float]:
    """(the targets of each test run, wall seconds) of one scripted session."""
    settings = SETTINGS + ('test_command = "python -m pytest"\n' if plugins else NO_PLUGINS)
    repo = make_repo(into, settings)
    loop = ScriptedModel(
        [
            plan(bug=True, new_tests=[REPRODUCTION]),
            WRITE_REPRODUCTION,
            turn("", ("reproduced", {"test_ids": [REPRODUCTION]})),
            edit(),
            finish(),
        ]
    )
    events: list = []
    started = time.monotonic()
    result = run_session(
        SolveOptions(task=TASK, cwd=repo, model=ByConversation(loop, ScriptedModel([DESIGNED]))),
        [events.append],
    )
    wall = time.monotonic() - started
    assert result.outcome.status == "solved", result.outcome
    runs = [
        " ".join(e.command.split("no:cacheprovider")[-1].split()) or "(the suite)"
        for e in events
        if isinstance(e, TestsRun)
    ]
    return runs, wall


def main() -> None:
    """Run the sessions and print their test runs and times."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--plugins", action="store_true")
    args = parser.parse_args()
    walls = []
    with tempfile.TemporaryDirectory() as folder:
        for number in range(args.repeat):
            runs, wall = one_session(Path(folder) / f"s{number}", args.plugins)
            walls.append(wall)
            print(f"session {number + 1}: {len(runs)} test runs, {wall:.1f} s")
    for run in runs:
        print(f"  ran {run}")
    walls.sort()
    print(f"test runs per session: {len(runs)}; median wall {walls[len(walls) // 2]:.1f} s")


if __name__ == "__main__":
    main()
