"""`agent solve` killed with SIGKILL at several moments, then `agent undo --to-start` gives back
the exact starting files, git-ignored ones included. Real CLI, real bwrap, a bridged model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from tests.solve_kit import plan, turn
from tests.test_git import files_state, user_state
from tests.test_review_inventory import TASK, attacked_repo

HARM = (
    "rm app.db; printf 'import os\\n' > build/evil.pth; echo more >> logs/run.log; "
    "chmod 644 app.db 2>/dev/null; printf x > new.db"
)


def answer(folder, answers):
    """Stand in for the model: write each answer once its request appears."""
    for number, response in enumerate(answers, 1):
        request = folder / f"{number:04d}.request.json"
        while not request.exists():
            time.sleep(0.05)
        body = {
            "content": [
                {"type": "tool_call", "id": c.id, "name": c.name, "arguments": c.arguments}
                for c in response.message.tool_calls
            ]
        }
        (folder / f".{number:04d}.tmp").write_text(json.dumps(body))
        os.replace(folder / f".{number:04d}.tmp", folder / f"{number:04d}.response.json")


def wait_for(predicate, process, timeout=120):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "the session never got there"
        time.sleep(0.05)


def command(line):
    return turn("", ("run_command", {"command": line}))


# (what the model answers, when to kill: "request N" or a file the command makes)
MOMENTS = {
    "before any command": ([], "request 1"),
    "while a command runs": ([plan(), command(HARM + "; touch started; sleep 60")], "started"),
    "between two commands": (
        [plan(), command(HARM), command("echo again >> logs/run.log")],
        "request 4",
    ),
}


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_sigkill_then_undo_to_start_is_exact_with_ignored_files(tmp_path, moment):
    answers, kill_at = MOMENTS[moment]
    repo = attacked_repo(tmp_path / "r")
    (repo / "build").mkdir()
    before_files, before_user = files_state(repo), user_state(repo)
    folder = tmp_path / "bridge"
    process = subprocess.Popen(
        [sys.executable, "-m", "agent", "solve", TASK, "--model", f"bridge:{folder}", "--jsonl"],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    threading.Thread(target=answer, args=(folder, answers), daemon=True).start()
    kind, _, what = kill_at.partition(" ")
    marker = folder / f"{int(what):04d}.request.json" if kind == "request" else repo / kill_at
    wait_for(marker.exists, process)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    time.sleep(0.3)  # the sandbox dies with its parent
    if moment != "before any command":
        assert not (repo / "app.db").exists()

    undone = subprocess.run(
        [sys.executable, "-m", "agent", "undo", "--to-start"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert undone.returncode == 0, undone.stderr
    assert files_state(repo) == before_files
    assert user_state(repo) == before_user
