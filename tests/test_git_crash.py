"""A session killed with SIGKILL mid-edit can be undone to its exact starting bytes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

from tests.test_git import files_state, make_repo, user_state

AGENT = [sys.executable, "-c", "from agent.cli import main; main()"]

EDIT_THEN_HANG = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from agent.gitops.checkpoints import Workspace
    from agent.session import SessionStore

    root = Path(sys.argv[1])
    session = SessionStore.open(root).create("crash test", "scripted", repo=str(root))
    workspace = Workspace.open(root)
    workspace.checkpoint(session, "start")
    (root / "app.py").write_text("edit 1\\n")
    workspace.checkpoint(session, "edit 1")
    (root / "notes.txt").unlink()
    (root / "data.bin").write_bytes(b"half")
    with open(root / "big.py", "wb") as half_written:
        half_written.write(b"x = 1\\n" * 1000)
        half_written.flush()
        print(session, flush=True)
        time.sleep(120)
""")

EDIT_AND_CHECKPOINT_FOREVER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from agent.gitops.checkpoints import Workspace

    root = Path(sys.argv[1])
    workspace = Workspace.open(root)
    workspace.checkpoint("loop", "start")
    print("started", flush=True)
    n = 0
    while True:
        n += 1
        (root / "app.py").write_text(f"edit {n}\\n" * n)
        (root / f"new_{n % 7}.py").write_bytes(bytes([n % 256]) * n)
        if n % 3 == 0:
            (root / "notes.txt").unlink(missing_ok=True)
        workspace.checkpoint("loop", f"edit {n}")
""")


def run_child(script: str, root):
    return subprocess.Popen(
        [sys.executable, "-c", script, str(root)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def test_sigkill_between_an_edit_and_its_checkpoint_then_cli_undo_to_start(tmp_path):
    root = make_repo(tmp_path)
    before_files, before_user = files_state(root), user_state(root)
    child = run_child(EDIT_THEN_HANG, root)
    session = child.stdout.readline().strip()
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=10) == -signal.SIGKILL
    assert (root / "big.py").exists() and (root / "data.bin").read_bytes() == b"half"

    result = subprocess.run(
        [*AGENT, "undo", "--to-start"],
        cwd=root,
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert session in result.stdout and "big.py" in result.stdout
    assert files_state(root) == before_files
    assert user_state(root) == before_user


def test_sigkill_at_a_random_moment_of_edits_and_checkpoints(tmp_path):
    root = make_repo(tmp_path)
    before_files, before_user = files_state(root), user_state(root)
    child = run_child(EDIT_AND_CHECKPOINT_FOREVER, root)
    assert child.stdout.readline().strip() == "started"
    time.sleep(1.5)
    os.killpg(child.pid, signal.SIGKILL)  # the whole group: git children die mid-write too
    child.wait(timeout=10)
    assert (root / "new_1.py").exists()

    from agent.gitops.checkpoints import Workspace

    Workspace.open(root).undo_to_start("loop")

    assert files_state(root) == before_files
    assert user_state(root) == before_user


def test_a_ref_lock_left_by_a_killed_process_does_not_block_undo(tmp_path):
    from agent.gitops.checkpoints import Workspace

    root = make_repo(tmp_path)
    before = files_state(root)
    workspace = Workspace.open(root)
    workspace.checkpoint("locked", "start")
    (root / "app.py").write_text("edited\n")
    (root / ".git" / "refs" / "agent" / "sessions" / "locked.lock").write_text("")

    workspace.undo_to_start("locked")

    assert files_state(root) == before
