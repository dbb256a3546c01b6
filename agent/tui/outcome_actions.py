"""What the person does with a finished session's change: keep, commit or branch it, per file.

Discarding a file puts it back as it was when the session started, from the session's first
checkpoint; the user's index and HEAD are not touched (only a commit moves HEAD, on request).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ACCEPT_MODES = ("keep", "commit", "branch")


@dataclass
class Decision:
    """What became of the change: the files kept and dropped, and a commit if one was made."""

    mode: str
    kept: list[str] = field(default_factory=list)
    discarded: list[str] = field(default_factory=list)
    commit: str = ""
    branch: str = ""

    def describe(self) -> str:
        """One line for the person."""
        parts = []
        if self.kept:
            where = (
                f"committed {self.commit[:10]}"
                if self.mode == "commit"
                else f"on branch {self.branch} ({self.commit[:10]})"
                if self.mode == "branch"
                else "kept in the working tree"
            )
            parts.append(f"{len(self.kept)} file(s) {where}")
        if self.discarded:
            parts.append(f"{len(self.discarded)} file(s) discarded")
        return "; ".join(parts) or "nothing changed"


def discard_files(workspace, session_id: str, paths: list[str]) -> list[str]:
    """Put `paths` back as they were at the session's start; returns the paths touched.

    The state before is kept as a checkpoint, so `agent undo` can bring the files back.
    """
    from agent.gitops.plumbing import diff_trees
    from agent.gitops.restore import apply_changes

    if not paths:
        return []
    workspace.checkpoint(session_id, "before discard")
    changes = diff_trees(
        workspace.root, workspace.write_tree(), workspace.start(session_id).tree, paths
    )
    apply_changes(workspace.root, changes)
    workspace.checkpoint(session_id, "discarded " + ", ".join(paths))
    return [c.path for c in changes]


def decide(
    root: Path, session_id: str, keep: list[str], mode: str, message: str, branch: str = ""
) -> Decision:
    """Drop the changed files not in `keep`, then keep, commit or branch the rest."""
    from agent.gitops.checkpoints import Workspace

    if mode not in ACCEPT_MODES:
        raise ValueError(f"unknown mode {mode!r}")
    workspace = Workspace.open(root)
    changed = workspace.changed_files(session_id)
    dropped = [path for path in changed if path not in keep]
    discard_files(workspace, session_id, dropped)
    decision = Decision(mode, [p for p in changed if p in keep], dropped)
    if not decision.kept or mode == "keep":
        return decision
    if mode == "commit":
        decision.commit = workspace.commit(session_id, message)
    else:
        decision.branch = branch or f"agent/{session_id}"
        decision.commit = workspace.branch(session_id, decision.branch, message)
    return decision


def commit_message(task: str, summary: str, session_id: str) -> str:
    """The message of a commit made from the TUI, like `agent solve --commit` makes."""
    head = (task.strip().splitlines() or ["agent change"])[0][:72]
    return f"{head}\n\n{summary}\n\nagent session {session_id}".replace("\n\n\n\n", "\n\n")
