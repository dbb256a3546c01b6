"""`replay:DIR`: answers from a recorded bridge folder, in order.

Before each answer the new request's conversation is compared with the recorded one; when
they differ, a ModelError names the first differing message, so a changed loop is found at
once rather than producing a confusing session. What the model said is compared exactly;
of the user side only the shape (part types, tool-call ids, error flags), because tool
output and test results are measured anew on each run (durations, temporary paths).
Answers recorded without usage get an estimate from the requests (agent/models/tokens.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent.messages import ModelRequest, ModelResponse
from agent.models import ModelError, TextSink
from agent.models.exchange import request_path, request_to_json, response_from_json, response_path
from agent.models.tokens import UsageEstimator


def from_spec(argument: str) -> ReplayModel:
    """`replay:DIR`."""
    if not argument:
        raise ModelError("replay: needs a recorded folder, e.g. replay:./recording")
    return ReplayModel(Path(argument).expanduser())


class ReplayModel:
    """A `Model` that gives the recorded answers and checks it is asked the recorded questions."""

    def __init__(self, folder: Path) -> None:
        if not response_path(folder, 1).exists():
            raise ModelError(
                f"replay: {folder} holds no recorded answers (expected 0001.response.json)"
            )
        self.folder = folder
        self.name = f"replay:{folder}"
        self.calls = 0
        self._usage = UsageEstimator()

    def complete(self, request: ModelRequest, on_text: TextSink | None = None) -> ModelResponse:
        """The next recorded answer, after checking the conversation matches the recording."""
        number = self.calls + 1
        answer = response_path(self.folder, number)
        if not answer.exists():
            raise ModelError(
                f"replay: the recording in {self.folder} has {number - 1} answers "
                f"but the session asked for answer {number}"
            )
        recorded = request_path(self.folder, number)
        if recorded.exists():
            expected = _read(recorded)["messages"]
            check_same_conversation(expected, request_to_json(request, number)["messages"], number)
        try:
            response = response_from_json(_read(answer), number)
        except ValueError as problem:
            raise ModelError(f"replay: {answer} cannot be read: {problem}") from None
        self.calls = number
        response = self._usage.fill_in(request, response)
        if on_text is not None and response.message.text:
            on_text(response.message.text)
        return response


def check_same_conversation(recorded: list[Any], sent: list[Any], number: int) -> None:
    """Raise a ModelError naming the first message where the two conversations differ."""
    for index, (old, new) in enumerate(zip(recorded, sent, strict=False)):
        if _comparable(old) != _comparable(new):
            raise ModelError(
                f"replay diverged at request {number}, message {index + 1} ({new['role']}): "
                f"recorded {_summary(old)} but the session sent {_summary(new)}"
            )
    if len(recorded) != len(sent):
        raise ModelError(
            f"replay diverged at request {number}: the recording has "
            f"{len(recorded)} messages but the session sent {len(sent)}"
        )


def _comparable(message: dict[str, Any]) -> Any:
    """The part of a message a replay must match: all of the model's, the user's shape."""
    if message["role"] == "assistant":
        return message
    return [
        (part.get("type"), part.get("call_id"), bool(part.get("is_error")))
        for part in message["content"]
    ]


def _summary(message: dict[str, Any], limit: int = 120) -> str:
    text = json.dumps(message["content"], ensure_ascii=False)
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as problem:
        raise ModelError(f"replay: cannot read {path}: {problem}") from None
