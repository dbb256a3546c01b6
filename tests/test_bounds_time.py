"""`--max-time` is a hard wall-clock bound: model servers that hang, drip or ask for a long
retry-after, and commands that outlast it, all end the session at the deadline as a budget
stop (status budget_exhausted, exit 3). Real SDKs against the loopback server, real
`agent solve` processes, the real sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from agent.budget import BudgetExhausted
from agent.messages import Message, ModelRequest, Text
from agent.models.bridge import BridgeModel
from agent.models.scripted import ScriptedModel
from agent.runner import SolveOptions, run_session
from tests.loopback import LoopbackServer, Reply
from tests.solve_kit import QUIET, make_repo, plan, turn

MAX_TIME = 12  # room for start-up, the map and the first request on a loaded machine
# Start-up of a fresh `python -m agent` (SDK import, index, sandbox probe) on a busy machine.
SLACK_S = 6
STUCK = {
    "hang": Reply(hang=True),
    "drip": Reply(drip_s=1.0),
    "retry-after": Reply(status=529, error_type="overloaded_error", headers={"retry-after": "300"}),
}


def solve_against(
    server: LoopbackServer, repo, model: str
) -> tuple[subprocess.CompletedProcess, float]:
    """`agent solve --max-time MAX_TIME --json` in `repo` with the model at the loopback."""
    env = {
        **os.environ,
        "ANTHROPIC_BASE_URL": server.url,
        "ANTHROPIC_API_KEY": "test",
        "OPENAI_API_KEY": "test",
    }
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent",
            "solve",
            "make clamp return high above the range",
            "--model",
            model,
            "--max-time",
            str(MAX_TIME),
            "--json",
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, time.monotonic() - started


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
@pytest.mark.parametrize("stuck", sorted(STUCK))
def test_a_stuck_model_server_ends_the_session_at_max_time(tmp_path, provider, stuck):
    repo = make_repo(tmp_path / "repo")
    with LoopbackServer() as server:
        server.fallback = lambda request: STUCK[stuck]
        model = (
            "anthropic:claude-test"
            if provider == "anthropic"
            else f"openai:gpt-test@{server.openai_url}"
        )
        done, took = solve_against(server, repo, model)
        asked = len(server.requests)
    assert took < MAX_TIME + SLACK_S, (took, done.stderr)
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "budget_exhausted"
    assert "time limit reached" in result["stop_reason"]
    assert asked >= 1  # the model server was really asked
    if stuck == "retry-after":
        assert asked == 1  # no wait of 300 s (or 120) was begun
        assert "the next try is 120 s away" in result["stop_reason"]


def test_a_command_gets_no_more_than_the_time_left(tmp_path):
    repo = make_repo(tmp_path / "repo", QUIET + "max_wall_s = 3\n")
    model = ScriptedModel(
        [plan(), turn("", ("run_command", {"command": "sleep 60", "timeout": 120}))]
    )
    started = time.monotonic()
    result = run_session(SolveOptions(task="fix clamp", cwd=repo, model=model), [])
    took = time.monotonic() - started
    assert result.outcome.status == "budget_exhausted"
    assert "time limit reached" in result.outcome.stop_reason
    assert took < 3 + SLACK_S


def test_a_bridge_waits_for_an_answer_no_longer_than_the_time_left(tmp_path):
    model = BridgeModel(tmp_path / "bridge", timeout_s=3600)
    request = ModelRequest(
        system="s", messages=[Message("user", [Text("hi")])], deadline=time.monotonic() + 1.0
    )
    started = time.monotonic()
    with pytest.raises(BudgetExhausted, match="time limit reached while waiting for an answer"):
        model.complete(request)
    assert time.monotonic() - started < 3
    assert not list((tmp_path / "bridge").glob("*.request.json"))  # nothing left pending
