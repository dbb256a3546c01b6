"""The real `agent` binary in tmux: a person types a task and reads the screen."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import pytest

from agent.models.recording import RecordingModel
from agent.models.scripted import ScriptedModel
from agent.runner import SolveOptions, run_session
from tests.solve_kit import edit, finish, make_repo, plan

needs_tmux = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed here (.ci/run installs it)"
)
TASK = "clamp(15, 0, 10) returns 0 but should return 10"


class Tmux:
    """A private tmux server (its own socket) with one session."""

    def __init__(self, socket, name: str = "agent") -> None:
        self.socket, self.name = str(socket), name

    def __call__(self, *argv: str) -> str:
        """Run a tmux command on this server; returns its stdout."""
        return subprocess.run(
            ["tmux", "-S", self.socket, *argv], check=True, capture_output=True, text=True
        ).stdout

    def screen(self) -> str:
        """What the pane shows now."""
        return self("capture-pane", "-p", "-t", self.name)

    def wait_for(self, text: str, timeout: float = 60) -> str:
        """The screen once it shows `text`; fails with the last screen after `timeout`."""
        deadline, shown = time.monotonic() + timeout, ""
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{shown}")


@needs_tmux
def test_a_task_typed_into_agent_tui_is_solved_on_screen(tmp_path):
    recording = tmp_path / "rec"
    model = RecordingModel(ScriptedModel([plan(), edit(), finish()]), recording)
    run_session(SolveOptions(task=TASK, cwd=make_repo(tmp_path / "a"), model=model), [])
    repo = make_repo(tmp_path / "b")
    tmux = Tmux(tmp_path / "tmux.sock")
    # tmux hands COLUMNS/LINES of its own (80x24) to the pane when started without a terminal.
    agent = f"env -u COLUMNS -u LINES {sys.executable} -m agent"
    tmux(
        "new-session",
        "-d",
        "-x",
        "100",
        "-y",
        "30",
        "-s",
        "agent",
        "-c",
        str(repo),
        f"{agent} tui --model replay:{recording} --mode full-auto; echo EXITED $?; sleep 30",
    )
    try:
        tmux.wait_for("What should the agent do?", 30)
        tmux("send-keys", "-t", "agent", "-l", TASK)
        tmux("send-keys", "-t", "agent", "Enter")
        shown = tmux.wait_for("Keep which files?")
        assert "calc.py" in shown and "Plan 1" in shown
        tmux("send-keys", "-t", "agent", "k")
        shown = tmux.wait_for("1 file(s) kept", 20)
        assert "solved: tests pass" in shown and "mode full-auto" in shown
        tmux("send-keys", "-t", "agent", "C-q")
        shown = tmux.wait_for("EXITED 0", 20)
        session_id = shown.split("session ", 1)[1].split(":", 1)[0]
        assert "return high" in (repo / "calc.py").read_text()
        tmux(
            "respawn-pane", "-k", "-t", "agent", "-c", str(repo), f"{agent} show {session_id} --tui"
        )
        shown = tmux.wait_for(f"replay of session {session_id}", 30)
        assert "Plan 1" in shown and "solved: tests pass" in shown
    finally:
        subprocess.run(["tmux", "-S", tmux.socket, "kill-server"], capture_output=True, check=False)


def test_bare_agent_opens_the_tui_only_in_a_repository_and_help_still_helps(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "agent"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 2 and "not inside a git repository" in done.stderr
    assert "Traceback" not in done.stderr
    helped = subprocess.run(
        [sys.executable, "-m", "agent", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert helped.returncode == 0 and "tui" in helped.stdout and "solve" in helped.stdout
