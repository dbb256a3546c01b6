"""A question from the loop: which reading of the task is meant."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList


class QuestionScreen(ModalScreen[str]):
    """The options as a list; enter answers."""

    def __init__(self, question: str, options: list[str]) -> None:
        super().__init__()
        self.question = question
        self.options = options

    def compose(self) -> ComposeResult:
        """The question and its options."""
        with Vertical(id="question"):
            yield Label(self.question, markup=False)
            yield OptionList(*self.options, id="readings")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """The chosen reading."""
        self.dismiss(self.options[event.option_index])
