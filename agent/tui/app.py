"""The interactive session: give a task, watch the loop, approve, interrupt, undo, accept.

The loop runs on its own thread (agent/tui/runs.py); this app only reacts to its events and
to the person's keys. States: idle (no session) -> running -> stopping (esc pressed) ->
interrupted | ended; enter in interrupted or ended resumes the same session with guidance.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Input

from agent.oversight import MODE_HELP, Oversight
from agent.tui.asking import Asker
from agent.tui.change_keys import BUSY, ChangeKeys
from agent.tui.runs import AgentEvent, RunEnded, SessionDiff, SessionRun
from agent.tui.screens.help import HelpScreen
from agent.tui.screens.sessions import SessionPicker
from agent.tui.widgets.session_view import SessionView
from agent.tui.widgets.status import StatusLine

QUIT_WAIT_S = 3.0
WIDE = 120
PLACEHOLDERS = {
    "idle": "What should the agent do? (enter starts · f1 help)",
    "running": "Guidance for the agent's next turn (enter) · esc interrupts",
    "stopping": "Stopping… type guidance; enter resumes once the current step ends",
    "interrupted": "Interrupted. Guidance, then enter resumes (empty enter resumes as is)",
    "ended": "A follow-up for this session (enter) · ctrl+o accept/discard · ctrl+n new",
}


class AgentApp(App[None]):
    """A person overseeing the agent on one repository."""

    CSS_PATH = Path(__file__).with_name("agent.tcss")
    TITLE = "agent"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar = [
        Binding("escape", "interrupt", "stop"),
        Binding("ctrl+t", "mode", "mode"),
        Binding("ctrl+z", "undo", "undo"),
        Binding("ctrl+o", "outcome", "accept"),
        Binding("ctrl+r", "sessions", "resume"),
        Binding("ctrl+n", "new", "new"),
        Binding("ctrl+g", "next_tab", "tab", show=False),
        Binding("ctrl+l", "light_dark", "theme"),
        Binding("f1", "help", "help"),
        Binding("question_mark", "help", "help", show=False),
        Binding("ctrl+q", "quit", "quit"),
    ]

    def __init__(
        self,
        root: Path,
        overrides: dict | None = None,
        model=None,
        mode: str = "suggest",
        allow_home: bool = False,
    ) -> None:
        super().__init__()
        self.root = Path(root)
        self.allow_home = allow_home
        self.overrides = dict(overrides or {})
        self.model = model  # a ready Model (tests); else config/--model names one
        self.oversight = Oversight(mode)
        self.asker = Asker(self, self.root, self.overrides, self.oversight)
        self.oversight.ask_person = self.asker.approval_from_thread
        self.change_keys = ChangeKeys(self)
        self.state = "idle"
        self.session_id: str | None = None
        self.session_task = ""
        self.summary = ""
        self.last_status = ""
        self.session_run: SessionRun | None = None
        self._waiting_guidance: str | None = None
        self._quitting = False  # events still queued when quitting are not shown

    def compose(self) -> ComposeResult:
        """Panes, the input box, the status line and the keys."""
        yield SessionView(id="view")
        yield Input(placeholder=PLACEHOLDERS["idle"], id="prompt")
        yield StatusLine(id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        """Focus the input; show the permission mode."""
        self.status.mode = self.oversight.mode
        self.query_one("#prompt").focus()
        self._adapt(self.size.width)

    def on_resize(self, event) -> None:
        """Wide terminals give the plan and the diff more room."""
        self._adapt(event.size.width)

    def _adapt(self, width: int) -> None:
        self.screen.set_class(width >= WIDE, "-wide")

    @property
    def view(self) -> SessionView:
        """The panes."""
        return self.query_one(SessionView)

    @property
    def status(self) -> StatusLine:
        """The status line."""
        return self.query_one(StatusLine)

    def _set_state(self, state: str) -> None:
        self.state = state
        self.query_one("#prompt", Input).placeholder = PLACEHOLDERS[state]

    # The person's words

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter: a new task, guidance for the running loop, or a resume with guidance."""
        text = event.value.strip()
        event.input.value = ""
        if self.state == "idle":
            if text:
                await self.start(text)
        elif self.state == "running":
            if text:
                self.oversight.give_guidance(text)
                await self.view.conversation.add_note(f"you (next turn): {text}", "user")
        elif self.state == "stopping":
            self._waiting_guidance = text
            await self.view.conversation.add_note(f"you (on resume): {text}", "user")
        else:
            await self.resume(self.session_id, text)

    async def start(self, task: str) -> None:
        """Start a new session on `task`."""
        from agent.runner import SolveOptions

        await self.view.conversation.add_note(f"you: {task}", "user")
        self._launch(
            SolveOptions(
                task=task,
                cwd=self.root,
                overrides=self.overrides,
                model=self.model,
                allow_home=self.allow_home,
            )
        )

    async def resume(self, session_id: str, guidance: str = "") -> None:
        """Continue a session; `guidance` reaches the model on its first turn."""
        from agent.runner import SolveOptions

        if guidance:
            await self.view.conversation.add_note(f"you: {guidance}", "user")
        self._launch(
            SolveOptions(
                cwd=self.root,
                overrides=self.overrides,
                resume=session_id,
                model=self.model,
                allow_home=self.allow_home,
            ),
            guidance,
        )

    def _launch(self, options, guidance: str = "") -> None:
        self.oversight.cancel = threading.Event()
        if guidance:
            self.oversight.give_guidance(guidance)
        self.session_run = SessionRun(
            self.post_message, options, self.oversight, self.asker.question_from_thread
        )
        self._set_state("running")
        self.status.start_clock()
        self.session_run.start()

    # Events from the run

    async def on_agent_event(self, message: AgentEvent) -> None:
        """Show a loop event."""
        if self._quitting:
            return
        event = message.event
        if event.kind == "session_started":
            self.session_id, self.session_task = event.session_id, event.task
        await self.view.apply(event, self.status)

    def on_session_diff(self, message: SessionDiff) -> None:
        """The whole session diff after an edit."""
        if self._quitting:
            return
        self.view.changes.set_diff(message.diff)

    async def on_run_ended(self, message: RunEnded) -> None:
        """The run is over: offer guidance (interrupted) or the outcome (ended)."""
        if message.run is not self.session_run or self._quitting:
            return
        self.status.stop_clock()
        if message.error:
            await self.view.conversation.add_note(f"error: {message.error}", "problem")
            self._set_state("ended" if self.session_id else "idle")
            return
        result = message.result
        self.session_id, self.summary = result.session_id, result.outcome.summary
        self.last_status = result.outcome.status
        if self.last_status == "interrupted":
            await self._interrupted()
            return
        self._set_state("ended")
        if self._waiting_guidance:  # the run finished before it could stop: keep the words
            self.query_one("#prompt", Input).value, self._waiting_guidance = (
                self._waiting_guidance,
                None,
            )
        self.view.changes.set_diff(result.diff)
        if result.files:
            self.action_outcome()

    async def _interrupted(self) -> None:
        guidance, self._waiting_guidance = self._waiting_guidance, None
        if guidance is not None:
            await self.resume(self.session_id, guidance)
            return
        self._set_state("interrupted")
        self.query_one("#prompt").focus()

    # Keys

    def action_interrupt(self) -> None:
        """Stop the running step now; the person types guidance meanwhile."""
        if self.state != "running":
            return
        self.oversight.cancel.set()
        self._set_state("stopping")
        self.query_one("#prompt").focus()

    def action_mode(self) -> None:
        """Next permission mode, effective from the next call."""
        mode = self.oversight.next_mode()
        self.status.mode = mode
        self.status.refresh_line()
        self.notify(f"{mode}: {MODE_HELP[mode]}")

    async def action_undo(self) -> None:
        """Take back the last change (the session's previous git checkpoint)."""
        await self.change_keys.undo()

    def action_outcome(self) -> None:
        """Keep, commit, branch or discard the change, file by file."""
        self.change_keys.open_outcome()

    def action_sessions(self) -> None:
        """Pick a previous session of this repository to resume."""
        from agent.session import SessionStore

        if self.state in BUSY:
            self.notify("a session is running; esc stops it first", severity="warning")
            return
        records = SessionStore.open(self.root).list(limit=50)
        self.push_screen(SessionPicker(records), self._picked)

    async def _picked(self, session_id: str | None) -> None:
        from agent.session import SessionStore

        if session_id is None:
            return
        await self._fresh_view()
        for event in SessionStore.open(self.root).events(session_id):
            await self.view.apply(event, self.status)
        prompt = self.query_one("#prompt", Input)
        guidance, prompt.value = prompt.value.strip(), ""
        self.session_id = session_id
        await self.resume(session_id, guidance)

    async def action_new(self) -> None:
        """Clear the screen for a new task."""
        if self.state in BUSY:
            self.notify("a session is running; esc stops it first", severity="warning")
            return
        await self._fresh_view()
        self.session_id, self.session_task, self.last_status = None, "", ""
        self._set_state("idle")

    async def _fresh_view(self) -> None:
        await self.view.remove()
        await self.mount(SessionView(id="view"), before=self.query_one("#prompt"))

    def action_next_tab(self) -> None:
        """Switch between the changes and tests tabs."""
        self.view.next_tab()

    def action_light_dark(self) -> None:
        """Toggle a light or dark theme."""
        self.theme = "textual-dark" if self.theme == "textual-light" else "textual-light"
        self.view.follow_theme(self.theme != "textual-light")

    def action_help(self) -> None:
        """Show every key."""
        self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        """Quit; a running session is stopped first and stays resumable."""
        if self.session_run is not None and self.session_run.alive:
            self.oversight.cancel.set()
            await asyncio.to_thread(self.session_run.thread.join, QUIT_WAIT_S)
        self._quitting = True
        self.exit()
