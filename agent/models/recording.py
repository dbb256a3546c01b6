"""`--record DIR`: wrap any model and save each call in the bridge format, so the folder
replays with `replay:DIR` (and reads like a bridge session)."""

from __future__ import annotations

from pathlib import Path

from agent.messages import ModelRequest, ModelResponse
from agent.models import Model, ModelError, TextSink
from agent.models.bridge import README
from agent.models.exchange import (
    request_numbers,
    request_path,
    request_to_json,
    response_path,
    response_to_json,
    write_json_atomic,
)


class RecordingModel:
    """A `Model` that answers with `inner` and writes NNNN.request.json / NNNN.response.json."""

    def __init__(self, inner: Model, folder: Path) -> None:
        if folder.is_dir() and request_numbers(folder):
            raise ModelError(
                f"record: {folder} already holds a recorded session; choose an empty or new folder"
            )
        self.inner = inner
        self.folder = folder
        self.name = inner.name
        self.calls = 0

    def complete(self, request: ModelRequest, on_text: TextSink | None = None) -> ModelResponse:
        """Answer with the wrapped model, then save the pair."""
        response = self.inner.complete(request, on_text)
        number = self.calls + 1
        if number == 1:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / "README.txt").write_text(README, encoding="utf-8")
        write_json_atomic(request_path(self.folder, number), request_to_json(request, number))
        write_json_atomic(response_path(self.folder, number), response_to_json(response))
        self.calls = number
        return response
