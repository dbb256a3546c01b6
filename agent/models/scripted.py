"""`ScriptedModel`: a model that gives queued answers, for tests and the demo.

Each queued item is a ModelResponse, an assistant Message, a str (a text answer), an
exception to raise, or a callable taking the ModelRequest and returning one of those.
Every request it receives is kept (a deep copy) in `.requests`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable

from agent.messages import Message, ModelRequest, ModelResponse, Text, Usage
from agent.models import ModelError, TextSink

Answer = ModelResponse | Message | str | BaseException
Scripted = Answer | Callable[[ModelRequest], Answer]


def from_spec(argument: str) -> ScriptedModel:
    """`scripted`: a model with nothing queued (build one with answers in code)."""
    if argument:
        raise ModelError("scripted takes no argument; build ScriptedModel(responses) in code")
    return ScriptedModel([])


class ScriptedModel:
    """A `Model` answering from a queue; it raises a ModelError when the queue runs out."""

    def __init__(self, responses: Iterable[Scripted], name: str = "scripted") -> None:
        self.name = name
        self.requests: list[ModelRequest] = []
        self._queue = list(responses)
        self._given = len(self._queue)

    @property
    def remaining(self) -> int:
        """How many queued answers are left."""
        return len(self._queue)

    def complete(self, request: ModelRequest, on_text: TextSink | None = None) -> ModelResponse:
        """The next queued answer (text is also passed to `on_text`)."""
        self.requests.append(copy.deepcopy(request))
        if not self._queue:
            raise ModelError(
                f"the scripted model has no answer for request "
                f"{len(self.requests)}: it was given {self._given}"
            )
        item = self._queue.pop(0)
        answer = item(request) if callable(item) else item
        if isinstance(answer, BaseException):
            raise answer
        response = as_response(answer, self.name)
        if on_text is not None and response.message.text:
            on_text(response.message.text)
        return response


def as_response(answer: ModelResponse | Message | str, model: str = "scripted") -> ModelResponse:
    """A ModelResponse from any scripted answer; stop_reason follows the tool calls."""
    if isinstance(answer, ModelResponse):
        return answer
    if isinstance(answer, str):
        answer = Message("assistant", [Text(answer)])
    if not isinstance(answer, Message):
        raise TypeError(
            f"a scripted answer must be a ModelResponse, Message or str, "
            f"not {type(answer).__name__}"
        )
    stop = "tool_use" if answer.tool_calls else "end_turn"
    return ModelResponse(answer, stop, Usage(), model)
