"""Questions from the loop's thread to the person: approvals and readings of the task.

The loop's thread asks; the prompt opens on the UI thread (`call_from_thread`); the thread
waits for the answer, giving up as "interrupted" when the person presses stop.
"""

from __future__ import annotations

import threading
from pathlib import Path

from agent.budget import Interrupted
from agent.errors import UserError
from agent.oversight import Oversight, Pending, Verdict
from agent.tui.screens.approval import ApprovalScreen
from agent.tui.screens.question import QuestionScreen

POLL_S = 0.05


class Asker:
    """Opens approval and question prompts in `app` for the run's thread."""

    def __init__(self, app, root: Path, overrides: dict, oversight: Oversight) -> None:
        self.app = app
        self.root = root
        self.overrides = overrides
        self.oversight = oversight

    def approval_from_thread(self, pending: Pending) -> None:
        """Open the approval prompt for `pending` (the thread then waits on it)."""
        self.app.call_from_thread(self.show_approval, pending)

    def show_approval(self, pending: Pending) -> None:
        """On the UI thread: the prompt, with the preview of what the call will do."""
        from agent.config import load_config
        from agent.tui.preview import preview

        try:
            config = load_config(self.root, self.overrides)
        except UserError:
            config = None
        heading, body = preview(pending.call, self.root, config)

        async def answered(verdict: Verdict) -> None:
            pending.answer(verdict)
            await self.app.view.conversation.add_note(verdict_note(verdict, heading), "user")
            if verdict.action == "interrupt":
                self.app.action_interrupt()

        self.app.push_screen(ApprovalScreen(pending, heading, body), answered)

    def question_from_thread(self, question: str, options: list[str]) -> str:
        """For the loop's `ask`: which reading the person means (blocks until answered)."""
        answered, box = threading.Event(), []

        def chosen(answer: str) -> None:
            box.append(answer)
            answered.set()

        self.app.call_from_thread(
            self.app.push_screen, QuestionScreen(question, list(options)), chosen
        )
        while not answered.wait(POLL_S):
            if self.oversight.cancel.is_set():
                raise Interrupted("stopped by the person")
        return box[0]


def verdict_note(verdict: Verdict, heading: str) -> str:
    """The line the conversation shows for the person's answer."""
    if verdict.action == "reject":
        return f"you refused: {heading} — {verdict.feedback.strip() or 'no reason given'}"
    if verdict.action == "interrupt":
        return f"you stopped the run at: {heading}"
    always = " (and every later call of this tool)" if verdict.action == "always" else ""
    edited = " (edited)" if verdict.edited else ""
    return f"you approved: {heading}{always}{edited}"
