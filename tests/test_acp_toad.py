"""Toad, a real ACP front end, runs `agent acp` in tmux: a person types a task, allows the
edit, and reads the plan and the diff on Toad's screen.

Toad is installed by tests/toad/install.sh (it asks for Python 3.14, so it runs on 3.13
with the shims named there); the test skips, saying so, where it is not installed.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.acp_kit import ROOT, answer_model
from tests.solve_kit import edit, finish, make_repo, plan
from tests.test_tui_tmux import Tmux

TOAD = os.environ.get("AGENT_TOAD") or shutil.which("toad") or "/opt/agent-toad/bin/toad"
needs_toad = pytest.mark.skipif(
    not Path(TOAD).is_file() or shutil.which("tmux") is None,
    reason="Toad is not installed (bash tests/toad/install.sh) or tmux is missing",
)
TASK = "clamp(15, 0, 10) returns 0 but should return 10"
# Toad checks for a new version and may send usage statistics: everything it sends goes to
# a closed port on the loopback, and its settings turn the statistics off.
NO_NETWORK = "HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 NO_PROXY="


def toad_settings(home: Path) -> dict[str, str]:
    """XDG folders of its own for Toad: tool calls shown expanded, no statistics."""
    config = home / "config" / "toad"
    config.mkdir(parents=True)
    (config / "toad.json").write_text(
        json.dumps({"tools": {"expand": "always"}, "statistics": {"allow_collect": False}})
    )
    return {f"XDG_{kind.upper()}_HOME": str(home / kind) for kind in ("config", "data", "state")}


@needs_toad
def test_toad_drives_agent_acp_and_shows_the_plan_and_the_diff(tmp_path):
    repo = make_repo(tmp_path / "r")
    bridge = tmp_path / "bridge"
    answer_model(bridge, [plan(), edit(), finish()])
    agent = f"{sys.executable} -m agent acp --model bridge:{bridge}"
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in toad_settings(tmp_path / "xdg").items())
    tmux = Tmux(tmp_path / "tmux.sock", "toad")
    tmux(
        "new-session",
        "-d",
        "-x",
        "160",
        "-y",
        "60",
        "-s",
        "toad",
        "-c",
        str(repo),
        f"env -u COLUMNS -u LINES PYTHONPATH={ROOT} {env} {NO_NETWORK} "
        f"{TOAD} acp {shlex.quote(agent)} {repo}; echo EXITED $?; sleep 30",
    )
    try:
        tmux.wait_for("How can I help you today?", 60)
        tmux("send-keys", "-t", "toad", "-l", TASK)
        tmux.wait_for(TASK, 10)
        time.sleep(1)  # Toad takes Enter as "send" only once the typing settled
        tmux("send-keys", "-t", "toad", "Enter")
        shown = tmux.wait_for("Allow once", 90)
        assert "edit_file calc.py" in shown and "Reject" in shown
        assert "calc.py clamp(): return high when" in shown  # the plan
        tmux("send-keys", "-t", "toad", "a")
        shown = tmux.wait_for("[solved: tests pass]", 90)
        (tmp_path / "toad-screen.txt").write_text(shown)
        assert "✔ calc.py clamp(): return high when" in shown  # the plan, done
        side_by_side = [
            line for line in shown.splitlines() if "return low" in line and "return high" in line
        ]
        assert len(side_by_side) == 1  # the diff's changed line, old and new
        assert "calc.py (+1, -1)" in shown
        assert "tests: 2 passed, 0 failed" in shown
        assert "return high" in (repo / "calc.py").read_text()
    finally:
        subprocess.run(["tmux", "-S", tmux.socket, "kill-server"], capture_output=True, check=False)
