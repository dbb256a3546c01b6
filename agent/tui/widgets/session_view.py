"""The session screen's body: conversation on the left, plan, changes and tests on the right.

`SessionView.apply(event)` is the one place a loop event becomes pixels, for a live run and
for a replay of a stored session alike.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import TabbedContent, TabPane

from agent import events as ev
from agent.tui.widgets.changes import ChangesPane
from agent.tui.widgets.conversation import ConversationPane
from agent.tui.widgets.plan import PlanPane
from agent.tui.widgets.status import StatusLine
from agent.tui.widgets.tests import TestsPane


class SessionView(Horizontal):
    """The panes of one session."""

    def compose(self) -> ComposeResult:
        """Conversation | plan above changes/tests tabs."""
        yield ConversationPane(id="conversation")
        with Vertical(id="side"):
            yield PlanPane(id="plan")
            with TabbedContent(id="tabs"):
                with TabPane("Changes", id="changes-tab"):
                    yield ChangesPane(id="changes")
                with TabPane("Tests", id="tests-tab"):
                    yield TestsPane(id="tests")

    @property
    def conversation(self) -> ConversationPane:
        """The conversation pane."""
        return self.query_one(ConversationPane)

    @property
    def changes(self) -> ChangesPane:
        """The changes pane."""
        return self.query_one(ChangesPane)

    def next_tab(self) -> None:
        """Switch between the changes and tests tabs."""
        tabs = self.query_one(TabbedContent)
        tabs.active = "tests-tab" if tabs.active == "changes-tab" else "changes-tab"

    def follow_theme(self, dark: bool) -> None:
        """Redraw the diff for a dark or light background."""
        self.changes.dark = dark
        self.changes.refresh_diff()

    async def apply(self, event: ev.Event, status: StatusLine | None = None) -> None:
        """Show one loop event in the panes (and the status line, if given)."""
        handler = getattr(self, f"_on_{event.kind}", None)
        if handler is not None:
            await handler(event)
        if status is not None:
            _update_status(status, event)

    async def _on_session_started(self, e: ev.SessionStarted) -> None:
        verb = "resumed" if e.resumed else "started"
        await self.conversation.add_note(f"session {e.session_id} {verb} · {e.task}", "session")

    async def _on_phase_changed(self, e: ev.PhaseChanged) -> None:
        if e.detail:
            await self.conversation.add_note(f"▸ {e.phase}: {e.detail}", "phase")

    async def _on_plan_updated(self, e: ev.PlanUpdated) -> None:
        self.query_one(PlanPane).show(e.reading, e.steps, e.statuses, e.plan_number)

    async def _on_model_text(self, e: ev.ModelText) -> None:
        await self.conversation.add_text(e.text, e.delta)

    async def _on_tool_call_started(self, e: ev.ToolCallStarted) -> None:
        await self.conversation.call_started(e.call_id, e.name, e.arguments)

    async def _on_tool_call_finished(self, e: ev.ToolCallFinished) -> None:
        self.conversation.call_finished(e.call_id, e.name, e.output, e.is_error, e.duration_s)

    async def _on_edit_applied(self, e: ev.EditApplied) -> None:
        self.changes.add_edit(e.path, e.diff)

    async def _on_files_touched(self, e: ev.FilesTouched) -> None:
        self.changes.add_touched(e)

    async def _on_tests_run(self, e: ev.TestsRun) -> None:
        self.query_one(TestsPane).show(
            e.command, e.passed, e.failed, e.errors, e.failures, e.exit_code, e.output
        )

    async def _on_question_asked(self, e: ev.QuestionAsked) -> None:
        answer = f" → {e.assumption}" if e.assumption else ""
        await self.conversation.add_note(f"? {e.question}{answer}", "question")

    async def _on_server_problem(self, e: ev.ServerProblem) -> None:
        await self.conversation.add_note(f"✗ MCP server {e.server}: {e.problem}", "phase")

    async def _on_finished(self, e: ev.Finished) -> None:
        if e.diff:
            self.changes.set_diff(e.diff)
        summary = f"\n{e.summary}" if e.summary else ""
        await self.conversation.add_note(
            f"■ {e.status}: {e.stop_reason}{summary}", f"finished {e.status}"
        )


def _update_status(status: StatusLine, event: ev.Event) -> None:
    if isinstance(event, ev.SessionStarted):
        status.model = event.model
    elif isinstance(event, ev.PhaseChanged):
        status.phase = event.phase
    elif isinstance(event, ev.CostUpdated):
        status.tokens_in = event.input_tokens + event.cache_read_tokens + event.cache_write_tokens
        status.tokens_out, status.cost = event.output_tokens, event.cost_usd
    elif isinstance(event, ev.Finished):
        status.phase = event.status
    else:
        return
    status.refresh_line()
