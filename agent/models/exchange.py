"""The request/response folder format shared by `bridge:DIR`, `replay:DIR` and `--record DIR`.

Each model call is two files, numbered from 0001 in the order of the calls:

DIR/0001.request.json, written by the agent:

    {"number": 1,
     "system": "You are ...",
     "tools": [{"name": "read_file", "description": "...", "input_schema": {...}}],
     "max_tokens": 8192,
     "messages": [
       {"role": "user", "content": [{"type": "text", "text": "Fix the bug in ..."}]},
       {"role": "assistant", "content": [
          {"type": "text", "text": "Let me look."},
          {"type": "tool_call", "id": "call_1", "name": "read_file", "arguments": {"path": "a.py"}}]},
       {"role": "user", "content": [
          {"type": "tool_result", "call_id": "call_1", "content": "1 def f(): ..."}]}]}

A tool result carries `"is_error": true` only when the call failed.

DIR/0001.response.json, written by whoever stands in for the model:

    {"content": [{"type": "text", "text": "The bug is ..."},
                 {"type": "tool_call", "id": "call_2", "name": "edit_file", "arguments": {...}}],
     "stop_reason": "tool_use",
     "usage": {"input_tokens": 0, "output_tokens": 0}}

The response is read forgivingly: `{"text": "..."}` alone is a text answer; "content" may
be a string; ids may be left out; Anthropic's names ("tool_use" with "input") work; tool
arguments may be a JSON string; stop_reason defaults to "tool_use" when there are tool
calls and "end_turn" otherwise; usage may be left out.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from agent.messages import (
    Message,
    ModelRequest,
    ModelResponse,
    Part,
    Text,
    ToolCall,
    Usage,
    part_to_dict,
)

STOP_REASONS = {"end_turn", "tool_use", "max_tokens", "stop_sequence", "refusal", "other"}


def request_path(folder: Path, number: int) -> Path:
    """DIR/NNNN.request.json."""
    return folder / f"{number:04d}.request.json"


def response_path(folder: Path, number: int) -> Path:
    """DIR/NNNN.response.json."""
    return folder / f"{number:04d}.response.json"


def request_numbers(folder: Path) -> list[int]:
    """Numbers of the request files in the folder, in order."""
    numbers = []
    for path in folder.glob("*.request.json"):
        stem = path.name.split(".", 1)[0]
        if stem.isdigit():
            numbers.append(int(stem))
    return sorted(numbers)


def message_to_json(message: Message) -> dict[str, Any]:
    """A message as {"role", "content": [parts]}."""
    return {"role": message.role, "content": [part_to_dict(p) for p in message.parts]}


def request_to_json(request: ModelRequest, number: int) -> dict[str, Any]:
    """The request file's content."""
    data: dict[str, Any] = {
        "number": number,
        "system": request.system,
        "tools": [
            {"name": t.name, "description": t.description, "input_schema": t.input_schema}
            for t in request.tools
        ],
        "max_tokens": request.max_tokens,
        "messages": [message_to_json(m) for m in request.messages],
    }
    if request.temperature is not None:
        data["temperature"] = request.temperature
    return json.loads(json.dumps(data))  # plain JSON values, so files and requests compare


def response_to_json(response: ModelResponse) -> dict[str, Any]:
    """The response file's content."""
    usage = response.usage
    return {
        "content": [part_to_dict(p) for p in response.message.parts],
        "stop_reason": response.stop_reason,
        "usage": {
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cache_read_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
            "cost_usd": usage.cost_usd,
        },
        "model": response.model,
    }


def response_from_json(data: Any, number: int) -> ModelResponse:
    """A response file read forgivingly; ValueError says what is wrong with it."""
    if not isinstance(data, dict):
        raise ValueError("the response must be a JSON object")
    content = data.get("content", data.get("text", ""))
    if isinstance(content, str):
        content = [{"type": "text", "text": content}] if content else []
    if not isinstance(content, list):
        raise ValueError('"content" must be a list of parts or a string')
    content = content + list(data.get("tool_calls") or [])
    parts = [_part(item, number, index) for index, item in enumerate(content)]
    message = Message("assistant", [p for p in parts if not (isinstance(p, Text) and not p.text)])
    stop = data.get("stop_reason") or ("tool_use" if message.tool_calls else "end_turn")
    if stop not in STOP_REASONS:
        raise ValueError(f'"stop_reason" must be one of {sorted(STOP_REASONS)}')
    return ModelResponse(message, stop, _usage(data.get("usage") or {}), str(data.get("model", "")))


def _part(item: Any, number: int, index: int) -> Part:
    if isinstance(item, str):
        return Text(item)
    if not isinstance(item, dict):
        raise ValueError(f"content item {index + 1} must be an object or a string")
    kind = item.get("type") or ("tool_call" if "name" in item else "text")
    if kind in ("tool_call", "tool_use", "function"):
        if not isinstance(item.get("name"), str):
            raise ValueError(f'tool call {index + 1} needs a "name"')
        arguments = item.get("arguments", item.get("input", {}))
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except json.JSONDecodeError as error:
                raise ValueError(
                    f"tool call {index + 1}: arguments are not valid JSON ({error})"
                ) from None
        if not isinstance(arguments, dict):
            raise ValueError(f"tool call {index + 1}: arguments must be a JSON object")
        call_id = str(item.get("id") or f"call_{number}_{index + 1}")
        return ToolCall(call_id, item["name"], arguments)
    if kind == "text":
        return Text(str(item.get("text", "")))
    raise ValueError(f'content item {index + 1} has type {kind!r}; use "text" or "tool_call"')


def _usage(data: dict[str, Any]) -> Usage:
    def count(*names: str) -> int:
        return next((int(data[n]) for n in names if isinstance(data.get(n), (int, float))), 0)

    return Usage(
        count("input_tokens"),
        count("output_tokens"),
        count("cache_read_tokens", "cache_read_input_tokens"),
        count("cache_write_tokens", "cache_creation_input_tokens"),
        float(data.get("cost_usd") or 0.0),
    )


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to a temporary file in the same folder, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2, ensure_ascii=False)
            out.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
