"""`bridge:DIR`: a person or another program stands in for the model.

Each call writes DIR/NNNN.request.json (atomically) and waits for DIR/NNNN.response.json.
The format is described in `agent.models.exchange` and in DIR/README.txt, written on first
use. A response that cannot be read is moved aside to NNNN.response.rejected.json with the
reason in NNNN.error.txt, and the bridge keeps waiting for a corrected one. On timeout or
Ctrl-C the pending request file is removed, so the folder never holds a half-done call.
An answer without usage gets an estimate (agent/models/tokens.py), so costs and benchmarks
see the tokens a real model would have read.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from agent.messages import ModelRequest, ModelResponse
from agent.models import ModelError, TextSink
from agent.models.deadline import out_of_time
from agent.models.exchange import (
    request_numbers,
    request_path,
    request_to_json,
    response_from_json,
    response_path,
    write_json_atomic,
)
from agent.models.tokens import UsageEstimator

log = logging.getLogger("agent.models")

README = """\
This folder is a model bridge: the agent writes each request to the model here and waits
for your answer.

  NNNN.request.json   what the model is asked: "system", "tools" (name, description,
                      input_schema), "max_tokens" and "messages" (the conversation so far).
  NNNN.response.json  your answer, for the request with the same number.

Write the answer to a temporary file and rename it (mv answer.tmp 0001.response.json), so
the agent never reads a half-written file. The answer is JSON:

  {"content": [
     {"type": "text", "text": "What I think and will do next."},
     {"type": "tool_call", "name": "read_file", "arguments": {"path": "src/app.py"}}
   ],
   "stop_reason": "tool_use"}

A plain text answer can be just {"text": "..."}. Tool call ids may be left out. When you
call tools, the next request ends with their results; when you are done, answer without
tool calls (or call the finish tool if it is offered). If your answer cannot be read, it
is renamed NNNN.response.rejected.json and NNNN.error.txt says why: write a corrected
NNNN.response.json.

Numbers continue after the highest request already here; give each session its own folder
if you want to replay it later (agent ... --model replay:FOLDER).
"""


def from_spec(argument: str) -> BridgeModel:
    """`bridge:DIR`."""
    if not argument:
        raise ModelError("bridge: needs a folder, e.g. bridge:./model-bridge")
    folder = Path(argument).expanduser()
    if folder.exists() and not folder.is_dir():
        raise ModelError(
            f"bridge:{argument} is a file, not a folder; name a folder (it is created if missing)"
        )
    return BridgeModel(folder)


class BridgeModel:
    """A `Model` answered through request/response files in a folder."""

    def __init__(self, folder: Path, *, timeout_s: float = 3600.0, poll_s: float = 0.2) -> None:
        self.folder = folder
        self.name = f"bridge:{folder}"
        self.timeout_s = timeout_s
        self.poll_s = poll_s
        self._usage = UsageEstimator()

    def complete(self, request: ModelRequest, on_text: TextSink | None = None) -> ModelResponse:
        """Write the request, wait for its answer, return it."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ModelError(f"bridge: cannot use the folder {self.folder}: {error}") from None
        readme = self.folder / "README.txt"
        if not readme.exists():
            readme.write_text(README, encoding="utf-8")
        numbers = request_numbers(self.folder)
        number = numbers[-1] + 1 if numbers else 1
        pending = request_path(self.folder, number)
        write_json_atomic(pending, request_to_json(request, number))
        try:
            response = self._wait(number, request.deadline)
        except BaseException:  # timeout, Ctrl-C: leave no unanswered request behind
            pending.unlink(missing_ok=True)
            raise
        response = self._usage.fill_in(request, response)
        if on_text is not None and response.message.text:
            on_text(response.message.text)
        return response

    def _wait(self, number: int, session_deadline: float | None) -> ModelResponse:
        answer = response_path(self.folder, number)
        deadline = time.monotonic() + self.timeout_s
        if session_deadline is not None:
            deadline = min(deadline, session_deadline)
        while time.monotonic() < deadline:
            if answer.exists():
                response = self._read(answer, number)
                if response is not None:
                    return response
            time.sleep(min(self.poll_s, max(deadline - time.monotonic(), 0)))
        if session_deadline is not None and deadline == session_deadline:
            raise out_of_time(f"an answer in {answer}")
        raise ModelError(
            f"bridge: no answer in {answer} after {self.timeout_s:.0f} s; "
            f"see {self.folder / 'README.txt'} for how to answer"
        )

    def _read(self, answer: Path, number: int) -> ModelResponse | None:
        """The parsed answer, or None after moving an unreadable one aside."""
        error_file = self.folder / f"{number:04d}.error.txt"
        try:
            response = response_from_json(json.loads(answer.read_text(encoding="utf-8")), number)
        except (ValueError, UnicodeDecodeError) as problem:
            answer.replace(answer.with_name(f"{number:04d}.response.rejected.json"))
            error_file.write_text(
                f"{answer.name} was rejected: {problem}\nWrite a corrected one; see README.txt.\n",
                encoding="utf-8",
            )
            log.warning("bridge: %s rejected: %s", answer.name, problem)
            return None
        error_file.unlink(missing_ok=True)
        return response
