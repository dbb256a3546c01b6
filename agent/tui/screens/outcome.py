"""When the loop ends: keep, commit or branch the change, or discard it, file by file."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, SelectionList

KEYS = "space toggle a file · k keep · c commit · b branch · d discard all · esc decide later"


class OutcomeScreen(ModalScreen[tuple[str, list[str], str] | None]):
    """Returns (mode, files to keep, branch name); files left unticked are discarded."""

    BINDINGS: ClassVar = [
        Binding("k", "choose('keep')", "keep"),
        Binding("c", "choose('commit')", "commit"),
        Binding("b", "branch", "branch"),
        Binding("d", "discard_all", "discard all"),
        Binding("escape", "later", "later"),
    ]
    AUTO_FOCUS = "#files"

    def __init__(self, status: str, files: list[str], default_branch: str) -> None:
        super().__init__()
        self.status = status
        self.files = files
        self.default_branch = default_branch

    def compose(self) -> ComposeResult:
        """The files, all ticked (kept) to begin with."""
        with Vertical(id="outcome"):
            yield Label(f"The session ended: {self.status}. Keep which files?", markup=False)
            yield SelectionList(*[(path, path, True) for path in self.files], id="files")
            branch = Input(value=self.default_branch, placeholder="branch name", id="branch-name")
            branch.display = False  # shown only when branching
            yield branch
            yield Label(KEYS, id="outcome-keys", markup=False)

    def _kept(self) -> list[str]:
        return list(self.query_one("#files", SelectionList).selected)

    def action_choose(self, mode: str) -> None:
        """Keep (leave in the tree) or commit the ticked files; discard the others."""
        self.dismiss((mode, self._kept(), ""))

    def action_branch(self) -> None:
        """Ask for the branch name; enter puts the ticked files on it."""
        box = self.query_one("#branch-name", Input)
        box.display = True
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """The branch name was given."""
        event.stop()
        self.dismiss(("branch", self._kept(), event.value.strip()))

    def action_discard_all(self) -> None:
        """Discard every file of the change."""
        self.dismiss(("keep", [], ""))

    def action_later(self) -> None:
        """Leave everything as it is for now (ctrl+o opens this again)."""
        self.dismiss(None)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Letters type the branch name while its box has focus."""
        return not isinstance(self.focused, Input) or action == "later"
