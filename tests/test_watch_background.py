"""A background run (the baseline's) and a command through one watch: each change is put down
to the one that made it, and the command's listeners hear only the command's own."""

from __future__ import annotations

import threading
import time

from agent.review.watch import WatchedSandbox
from agent.sandbox import Policy, create_sandbox
from tests.solve_kit import make_repo

BACKGROUND = "echo a > early.txt; while [ ! -e go ]; do sleep 0.05; done; echo c > late.txt"
COMMAND = "echo b > mine.txt"


def test_a_command_beside_a_background_run_gets_only_its_own_changes(tmp_path):
    root = make_repo(tmp_path / "r")
    touched: list[tuple[str, set[str]]] = []
    heard: list[tuple[str, set[str]]] = []
    box = WatchedSandbox(
        create_sandbox(Policy(workspace=root)),
        root,
        lambda what, changes: touched.append((what, {c.path for c in changes})),
    )
    box.command_listeners.append(
        lambda what, changes: heard.append((what, {c.path for c in changes}))
    )
    box.baseline()
    background_changes = []

    def background() -> None:
        with box.background():
            box.run(["bash", "-c", BACKGROUND], timeout=60)
        background_changes.append({c.path for c in box.last_changes})

    thread = threading.Thread(target=background)
    thread.start()
    while not (root / "early.txt").exists():  # the background run is going
        time.sleep(0.05)
    assert box.run(["bash", "-c", COMMAND], timeout=60).exit_code == 0
    mine = {c.path for c in box.last_changes}
    (root / "go").write_text("")
    thread.join(60)
    assert mine == {"mine.txt"}  # not the background run's early.txt
    assert heard == [(COMMAND, {"mine.txt"})]  # the background run is not a command
    assert touched == [
        (BACKGROUND, {"early.txt"}),  # taken when the command began
        (COMMAND, {"mine.txt"}),
        (BACKGROUND, {"go", "late.txt"}),
    ]
    assert background_changes == [{"go", "late.txt"}]
