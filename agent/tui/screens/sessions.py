"""The session picker: this repository's sessions, newest first; enter resumes one."""

from __future__ import annotations

import time
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option


class SessionPicker(ModalScreen[str | None]):
    """Pick a session to resume; esc closes without one."""

    BINDINGS: ClassVar = [Binding("escape", "dismiss_none", "close")]

    def __init__(self, records: list) -> None:
        super().__init__()
        self.records = records

    def compose(self) -> ComposeResult:
        """A heading and one option per session."""
        with Vertical(id="picker"):
            yield Label("Resume a session (enter) · esc closes", id="picker-heading")
            if not self.records:
                yield Label("No sessions in this repository yet.")
            yield OptionList(*[Option(_line(r), id=r.id) for r in self.records], id="sessions")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """The chosen session's id."""
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        """Close without choosing."""
        self.dismiss(None)


def _line(record) -> str:
    when = time.strftime("%m-%d %H:%M", time.localtime(record.created))
    task = " ".join(record.task.split())
    return f"{record.id}  {record.status:<16} {when}  ${record.cost_usd:.2f}  {task[:60]}"
