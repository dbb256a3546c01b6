"""`agent hook check --fix`: the repair loop on the failing change, within a small budget.

The session runs in the work tree with edits allowed only to the changed files (any other
edit, and any shell command, is refused and the model told why). A fix is left in the work
tree unstaged, never `git add`ed, so the commit still fails and the person reviews it and
stages it. A session that finds no fix is undone, leaving the files as they were.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.extension import ReviewCall
    from agent.messages import ToolCall

EDIT_TOOLS = ("edit_file", "create_file", "delete_file")
STOP_GRACE_S = 20.0  # after the deadline, time for the loop to stop at its next step


@dataclass(frozen=True)
class FixBudget:
    """How much one repair may spend."""

    cost_usd: float = 0.5
    wall_s: float = 300.0
    turns: int = 24


def staged_only(files: set[str], root: Path) -> ReviewCall:
    """A `ConversationHooks.review` that refuses shell commands and edits outside `files`."""

    def review(call: ToolCall) -> ToolCall | str:
        if call.name == "run_command":
            return (
                "the pre-commit hook runs no shell commands; use run_tests to run tests "
                "and edit_file to change the staged files"
            )
        if call.name in EDIT_TOOLS:
            path = _relative(root, str(call.arguments.get("path", "")))
            if path not in files:
                return (
                    f"{path} is not part of the change; only these files may be edited: "
                    + ", ".join(sorted(files))
                )
        return call

    return review


def _relative(root: Path, path: str) -> str:
    full = Path(path) if os.path.isabs(path) else root / path
    try:
        return Path(os.path.normpath(full)).relative_to(root).as_posix()
    except ValueError:
        return path


def repair(target, model, task: str, budget: FixBudget, allow_home: bool = False) -> list[str]:
    """Run the repair session; returns the lines to show the person."""
    from agent.errors import UserError
    from agent.extension import ConversationHooks
    from agent.runner import SolveOptions, run_session

    cancel = threading.Event()
    options = SolveOptions(
        task=task,
        cwd=target.root,
        allow_dirty=True,
        result="leave",
        model=model,
        allow_home=allow_home,
        overrides={
            "max_cost_usd": budget.cost_usd,
            "max_wall_s": budget.wall_s,
            "max_turns": budget.turns,
        },
    )
    box: dict = {}

    def work() -> None:
        try:
            reviewer = staged_only(set(target.files), target.root)
            box["result"] = run_session(
                options, [], hooks=ConversationHooks(review=reviewer, cancel=cancel)
            )
        except UserError as error:  # reported as a line; the commit is refused anyway
            box["error"] = error
        except BaseException as error:  # a defect: re-raised in the caller's thread
            box["crash"] = error

    thread = threading.Thread(target=work, name="agent-hook-fix", daemon=True)
    thread.start()
    thread.join(budget.wall_s)
    if thread.is_alive():
        cancel.set()
        thread.join(STOP_GRACE_S)
    if thread.is_alive():
        return [
            f"agent-check: --fix did not stop within {budget.wall_s + STOP_GRACE_S:.0f} s; "
            "check the working tree with git diff"
        ]
    if "crash" in box:
        raise box["crash"]
    if "error" in box:
        return [f"agent-check: --fix could not run: {box['error']}"]
    return _outcome_lines(target.root, box["result"])


def _outcome_lines(root: Path, result) -> list[str]:
    outcome = result.outcome
    if outcome.status == "solved" and result.files:
        files = " ".join(result.files)
        return [
            f"agent-check: a fix is in the working tree, not staged: {files}",
            f"agent-check: review it (git diff {files}), then `git add {files}` and commit again",
        ]
    if result.files:
        from agent.gitops.checkpoints import Workspace

        Workspace.open(root).undo_to_start(result.session_id)
    why = outcome.stop_reason or outcome.status
    if outcome.status == "error":
        return [f"agent-check: --fix skipped: the model could not be used ({why})"]
    return [
        f"agent-check: --fix found no fix ({outcome.status}: {why}); your files are as "
        f"they were (session {result.session_id})"
    ]
