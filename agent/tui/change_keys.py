"""Undo and the end-of-session outcome: the keys that act on the session's files.

They act only while no run is using the working tree (before a run, or once it stopped).
"""

from __future__ import annotations

from agent.errors import UserError
from agent.tui import outcome_actions
from agent.tui.screens.outcome import OutcomeScreen

BUSY = ("running", "stopping")


class ChangeKeys:
    """ctrl+z and ctrl+o of an AgentApp."""

    def __init__(self, app) -> None:
        self.app = app

    async def undo(self) -> None:
        """Take back the last change (the session's previous git checkpoint)."""
        workspace = self._idle_workspace("undo")
        if workspace is None:
            return
        session_id = self.app.session_id
        try:
            restored = workspace.undo(session_id)
        except UserError as error:
            self.app.notify(str(error), severity="warning")
            return
        self.app.view.changes.set_diff(workspace.diff(session_id))
        target = restored.target
        files = ", ".join(restored.paths) or "nothing to restore"
        await self.app.view.conversation.add_note(
            f"undo: back to checkpoint {target.sha[:8]} ({target.label}): {files}"
        )

    def open_outcome(self) -> None:
        """Ask: keep, commit, branch or discard the change, file by file."""
        workspace = self._idle_workspace("decide on the change")
        if workspace is None:
            return
        files = workspace.changed_files(self.app.session_id)
        if not files:
            self.app.notify("the session changed no files")
            return
        session_id = self.app.session_id
        screen = OutcomeScreen(self.app.last_status or "stopped", files, f"agent/{session_id}")
        self.app.push_screen(screen, self._decided)

    async def _decided(self, choice) -> None:
        if choice is None:
            return
        app, (mode, keep, branch) = self.app, choice
        message = outcome_actions.commit_message(app.session_task, app.summary, app.session_id)
        try:
            decision = outcome_actions.decide(app.root, app.session_id, keep, mode, message, branch)
        except UserError as error:
            app.notify(str(error), severity="error")
            return
        app.view.changes.set_diff(self._workspace().diff(app.session_id))
        await app.view.conversation.add_note(f"outcome: {decision.describe()}", "user")

    def _workspace(self):
        from agent.gitops.checkpoints import Workspace

        return Workspace.open(self.app.root)

    def _idle_workspace(self, what: str):
        """The workspace, when no run is using it and there is a session to act on."""
        if self.app.state in BUSY:
            self.app.notify(f"esc stops the run first; then {what}", severity="warning")
            return None
        if not self.app.session_id:
            self.app.notify("no session yet", severity="warning")
            return None
        return self._workspace()
