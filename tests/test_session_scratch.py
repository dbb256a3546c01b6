"""Commands of one session share a scratch folder outside the repository, and scripts there
import the project."""

from __future__ import annotations

import sys

from agent.runner import SolveOptions, run_session
from tests.session_snapshot import Recorder
from tests.solve_kit import edit, finish, git, make_repo, plan, turn

WRITE = (
    'printf \'from calc import add\\nprint("sum", add(2, 3))\\n\' > "$AGENT_SCRATCH/probe.py"'
    "; echo gone > /tmp/note.txt"
)
RUN = f'cd /tmp && {sys.executable} "$AGENT_SCRATCH/probe.py"; ls /tmp/note.txt'


def test_a_script_in_the_scratch_folder_lasts_and_imports_the_project(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    repo = make_repo(tmp_path / "r")
    model = Recorder(
        [
            plan(),
            turn("", ("run_command", {"command": WRITE})),
            turn("", ("run_command", {"command": RUN})),
            edit(),
            finish(),
        ]
    )
    result = run_session(
        SolveOptions(
            task="clamp(15, 0, 10) returns 0 but should return 10", cwd=repo, model=model.model
        ),
        [],
    )
    assert result.outcome.status == "solved", result.outcome
    ran = model.result("run_command", 1).content  # the second command's output
    assert "sum 5" in ran  # the script survived, run from /tmp, and imported calc
    assert "No such file" in ran  # while /tmp itself is fresh for every command
    scratch = tmp_path / "cache" / "agent" / "scratch" / result.session_id
    assert (scratch / "probe.py").is_file()
    assert "probe.py" not in git(repo, "status", "--porcelain", "--untracked-files=all")
