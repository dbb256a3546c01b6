"""Model providers behind one small protocol, chosen by a model string.

    anthropic:MODEL          the Anthropic Messages API (ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL)
    openai:MODEL[@BASE_URL]  any OpenAI-compatible chat-completions server
    bridge:DIR               a person or another program answers request files in DIR
    replay:DIR               answers from a recorded bridge folder, checking the history
    scripted                 an empty ScriptedModel (tests build their own with responses)

Usage counts follow Anthropic's meaning everywhere: `input_tokens` are the input tokens
neither read from nor written to the prompt cache; `cache_read_tokens` and
`cache_write_tokens` are the others, so the whole prompt is their sum.

Nothing heavy is imported here: each provider module is imported when it is chosen.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

from agent.errors import UserError
from agent.messages import ModelRequest, ModelResponse, ToolCall

DEFAULT_MODEL = "anthropic:claude-sonnet-5-5"

# provider name -> "module:function"; the function takes the text after "name:".
PROVIDERS: dict[str, str] = {
    "anthropic": "agent.models.anthropic:from_spec",
    "openai": "agent.models.openai:from_spec",
    "bridge": "agent.models.bridge:from_spec",
    "replay": "agent.models.replay:from_spec",
    "scripted": "agent.models.scripted:from_spec",
}

# Keys of ToolCall.arguments when the model's tool input was not valid JSON.
RAW_ARGUMENTS_KEY = "_raw_arguments"
ARGUMENTS_ERROR_KEY = "_arguments_error"

TextSink = Callable[[str], None]


class ModelError(UserError):
    """A model call failed in a way the user can act on (key, request, server, recording)."""


@runtime_checkable
class Model(Protocol):
    """Anything that answers a `ModelRequest`; streamed text goes to `on_text` as it arrives."""

    name: str

    def complete(self, request: ModelRequest, on_text: TextSink | None = None) -> ModelResponse:
        """Answer the request with one assistant message."""
        ...


def load_model(spec: str = DEFAULT_MODEL, record: Path | str | None = None) -> Model:
    """The model a model string names; with `record`, every call is also saved there
    in the bridge format so the folder can be replayed with `replay:DIR`."""
    provider, _, argument = spec.partition(":")
    target = PROVIDERS.get(provider.strip().lower())
    if target is None:
        known = ", ".join(f"{name}:" for name in PROVIDERS)
        raise ModelError(f"unknown model {spec!r}: start it with one of {known} "
                         f"(for example {DEFAULT_MODEL})")
    module_name, _, function = target.partition(":")
    model = getattr(importlib.import_module(module_name), function)(argument.strip())
    if record is not None:
        from agent.models.recording import RecordingModel

        model = RecordingModel(model, Path(record))
    return model


def tool_call_from_json(call_id: str, name: str, raw: str) -> ToolCall:
    """A tool call from the model's raw JSON input. Input that is not a JSON object
    becomes a call whose arguments carry the raw text and the problem, so the loop can
    answer with a tool error (see `arguments_error`) instead of crashing."""
    try:
        value = json.loads(raw) if raw.strip() else {}
        problem = "" if isinstance(value, dict) else f"expected an object, got {type(value).__name__}"
    except json.JSONDecodeError as error:
        value, problem = None, str(error)
    if not problem:
        return ToolCall(call_id, name, value)
    shown = raw if len(raw) <= 300 else raw[:300] + "..."
    message = (f"the arguments of {name} were not valid JSON ({problem}); they were: {shown}\n"
               "Call the tool again with its arguments as one JSON object.")
    return ToolCall(call_id, name, {RAW_ARGUMENTS_KEY: raw, ARGUMENTS_ERROR_KEY: message})


def arguments_error(call: ToolCall) -> str | None:
    """The error to send back for a call made by `invalid_arguments`, else None."""
    error = call.arguments.get(ARGUMENTS_ERROR_KEY)
    return error if isinstance(error, str) else None
