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
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

from agent.errors import UserError
from agent.messages import ModelRequest, ModelResponse

DEFAULT_MODEL = "anthropic:claude-sonnet-5-5"

# provider name -> "module:function"; the function takes the text after "name:".
PROVIDERS: dict[str, str] = {
    "anthropic": "agent.models.anthropic:from_spec",
    "openai": "agent.models.openai:from_spec",
    "bridge": "agent.models.bridge:from_spec",
    "replay": "agent.models.replay:from_spec",
    "scripted": "agent.models.scripted:from_spec",
}

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
        raise ModelError(
            f"unknown model {spec!r}: start it with one of {known} (for example {DEFAULT_MODEL})"
        )
    module_name, _, function = target.partition(":")
    factory: Callable[[str], Model] = getattr(importlib.import_module(module_name), function)
    model = factory(argument.strip())
    if record is not None:
        from agent.models.recording import RecordingModel

        model = RecordingModel(model, Path(record))
    return model
