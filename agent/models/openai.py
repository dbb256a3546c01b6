"""OpenAI-compatible chat completions (OpenAI, vLLM, llama.cpp server, Ollama, LM Studio)
through the official openai SDK, streamed, with tools, usage and our retries.

`openai:MODEL@BASE_URL` names the server; `openai:MODEL` uses OPENAI_BASE_URL or OpenAI
itself. Local servers usually need no key, so a placeholder is sent when none is set.
"""

from __future__ import annotations

import json
import os
from typing import Any

from agent.messages import (
    Message,
    ModelRequest,
    ModelResponse,
    StopReason,
    Text,
    ToolCall,
    ToolResult,
    Usage,
    token_count,
    tool_call_from_json,
)
from agent.models import ModelError, TextSink
from agent.models.deadline import CallWatch
from agent.models.pricing import with_cost
from agent.models.retry import (
    ReplayGuard,
    Retryable,
    RetryPolicy,
    parse_retry_after,
    transport_errors,
    with_retries,
)

RETRY_STATUSES = {408, 409, 429, 500, 502, 503, 504, 529}
RETRY_ERROR_TYPES = {
    "server_error",
    "rate_limit_exceeded",
    "rate_limit_error",
    "overloaded",
    "overloaded_error",
    "api_error",
}
STOP_REASONS: dict[str, StopReason] = {
    "stop": "end_turn",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "length": "max_tokens",
    "content_filter": "refusal",
}
NO_KEY = "no-key-needed"
DEFAULT_RETRY = RetryPolicy()


def from_spec(argument: str) -> OpenAIModel:
    """`openai:MODEL` or `openai:MODEL@BASE_URL`."""
    model, _, base_url = argument.partition("@")
    if not model:
        raise ModelError(
            "openai: needs a model name, e.g. openai:gpt-4.1 or "
            "openai:qwen2.5-coder@http://localhost:8000/v1"
        )
    return OpenAIModel(model, base_url=base_url or None)


class OpenAIModel:
    """A `Model` answered by an OpenAI-compatible chat-completions server."""

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        timeout_s: float = 600.0,
        stream: bool = True,
    ) -> None:
        self.model = model
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        self.name = f"openai:{model}" + (f"@{base_url}" if base_url else "")
        self.retry = retry
        self.stream = stream
        self._api_key = api_key
        self._timeout_s = timeout_s
        self._client: Any = None

    def complete(self, request: ModelRequest, on_text: TextSink | None = None) -> ModelResponse:
        """One completion, streamed to `on_text`, retried as the policy says."""
        client = self._client or self._connect()
        params = request_params(self.model, request, hosted=self.base_url is None)
        guard = ReplayGuard(on_text)

        what = f"{self._where()} ({self.model})"

        def attempt() -> ModelResponse:
            guard.start_attempt()
            with CallWatch(request.deadline, what) as watch:
                timed = {**params, "timeout": watch.timeout(self._timeout_s)}
                return self._attempt(client, timed, guard, watch)

        return with_retries(attempt, self.retry, what, deadline=request.deadline)

    def _where(self) -> str:
        return f"the server at {self.base_url}" if self.base_url else "OpenAI API"

    def _connect(self) -> Any:
        key = self._api_key or os.environ.get("OPENAI_API_KEY")
        if not key and self.base_url is None:
            raise ModelError(
                "OPENAI_API_KEY is not set: export it, or name a local server "
                "as openai:MODEL@BASE_URL"
            )
        import openai

        self._client = openai.OpenAI(
            api_key=key or NO_KEY, base_url=self.base_url, max_retries=0, timeout=self._timeout_s
        )
        return self._client

    def _attempt(
        self, client: Any, params: dict[str, Any], on_text: TextSink, watch: CallWatch
    ) -> ModelResponse:
        import openai

        try:
            if self.stream:
                chunks = watch.stream(
                    client.chat.completions.create(
                        **params, stream=True, stream_options={"include_usage": True}
                    )
                )
                wire = read_stream(watch.events(chunks), on_text)
            else:
                wire = completion_wire(client.chat.completions.create(**params).to_dict())
                if wire["text"]:
                    on_text(wire["text"])
        except openai.APIStatusError as error:
            raise self._status_failure(error) from None
        except (openai.APIConnectionError, *transport_errors()) as error:
            raise Retryable(f"connection failed ({error})") from None
        except openai.APIError as error:  # an error event in the middle of a stream
            raise self._stream_failure(error) from None
        except ValueError as error:  # a chunk whose data is not JSON
            raise ModelError(
                f"{self._where()} ({self.model}) sent a stream chunk that is not "
                f"valid JSON ({error})"
            ) from None
        return self._response(wire)

    def _status_failure(self, error: Any) -> Exception:
        status = error.status_code
        detail = " ".join(str(error.message).split())[:300]
        if status in RETRY_STATUSES:
            return Retryable(f"{status}: {detail}", parse_retry_after(error.response.headers))
        if status == 401:
            return ModelError(
                f"{self._where()} rejected the API key (401: {detail}); check OPENAI_API_KEY"
            )
        if status == 404:
            return ModelError(f"{self._where()} does not know model {self.model!r} (404: {detail})")
        return ModelError(f"{self._where()} rejected the request ({status}: {detail})")

    def _stream_failure(self, error: Any) -> Exception:
        body = error.body if isinstance(error.body, dict) else {}
        kind = str(body.get("type") or body.get("code") or "")
        detail = " ".join(str(error.message).split())[:300]
        if kind in RETRY_ERROR_TYPES:
            return Retryable(f"{kind}: {detail}")
        return ModelError(f"{self._where()} failed mid-answer: {detail}")

    def _response(self, wire: dict[str, Any]) -> ModelResponse:
        usage = wire.get("usage") or {}
        cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
        prompt = usage.get("prompt_tokens") or 0
        counted = Usage(
            input_tokens=_uncached(prompt, cached),
            output_tokens=usage.get("completion_tokens") or 0,
            cache_read_tokens=cached,
        )
        parts: list[Text | ToolCall] = [Text(wire["text"])] if wire["text"] else []
        parts += [
            tool_call_from_json(c["id"], c["name"], c["arguments"]) for c in wire["tool_calls"]
        ]
        return ModelResponse(
            message=Message("assistant", list(parts)),
            stop_reason=STOP_REASONS.get(wire["finish_reason"] or "", "other"),
            usage=with_cost(self.model, counted),
            model=wire.get("model") or self.model,
        )


def _uncached(prompt: Any, cached: Any) -> Any:
    """The prompt tokens not read from the cache. Counts that are not counts are passed on
    as they are, for `Usage` to refuse."""
    whole, part = token_count(prompt), token_count(cached)
    if whole is None or part is None:
        return prompt
    return max(whole - part, 0)


def read_stream(chunks: Any, on_text: TextSink) -> dict[str, Any]:
    """Accumulate streamed chunks: text, tool calls by index (arguments as raw text),
    the finish reason and the usage chunk."""
    wire: dict[str, Any] = {"text": "", "tool_calls": [], "finish_reason": None, "usage": None}
    calls: dict[int, dict[str, str]] = {}
    for chunk in chunks:
        wire["model"] = chunk.model or wire.get("model")
        if chunk.usage is not None:
            wire["usage"] = chunk.usage.to_dict()
        for choice in chunk.choices[:1]:
            delta = choice.delta
            if delta.content:
                wire["text"] += delta.content
                on_text(delta.content)
            for piece in delta.tool_calls or []:
                call = calls.setdefault(
                    _call_index(piece, calls), {"id": "", "name": "", "arguments": ""}
                )
                call["id"] = piece.id or call["id"]
                if piece.function is not None:
                    call["name"] += piece.function.name or ""
                    call["arguments"] += piece.function.arguments or ""
            wire["finish_reason"] = choice.finish_reason or wire["finish_reason"]
    if wire["finish_reason"] is None:
        raise Retryable("the stream ended before the answer was complete")
    wire["tool_calls"] = [_with_id(calls[i], i) for i in sorted(calls)]
    return wire


def _call_index(piece: Any, calls: dict[int, dict[str, str]]) -> int:
    # Some servers leave out the index: a piece with an id starts a new call.
    if piece.index is not None:
        return piece.index
    if piece.id or not calls:
        return len(calls)
    return max(calls)


def completion_wire(body: dict[str, Any]) -> dict[str, Any]:
    """A non-streamed completion in the same shape `read_stream` returns."""
    choice = body["choices"][0]
    message = choice.get("message") or {}
    calls = [
        {
            "id": c.get("id") or "",
            "name": c["function"]["name"],
            "arguments": c["function"].get("arguments") or "",
        }
        for c in message.get("tool_calls") or []
    ]
    return {
        "text": message.get("content") or "",
        "finish_reason": choice.get("finish_reason"),
        "tool_calls": [_with_id(c, i) for i, c in enumerate(calls)],
        "usage": body.get("usage"),
        "model": body.get("model"),
    }


def _with_id(call: dict[str, str], index: int) -> dict[str, str]:
    # Some local servers omit tool-call ids; the conversation still needs one per call.
    return call if call["id"] else {**call, "id": f"call_{index}"}


def request_params(model: str, request: ModelRequest, hosted: bool) -> dict[str, Any]:
    """The keyword arguments of chat.completions.create for this request."""
    messages: list[dict[str, Any]] = (
        [{"role": "system", "content": request.system}] if request.system else []
    )
    for message in request.messages:
        messages += wire_messages(message)
    # OpenAI's newer models accept only max_completion_tokens; local servers know max_tokens.
    limit = "max_completion_tokens" if hosted else "max_tokens"
    params: dict[str, Any] = {"model": model, "messages": messages, limit: request.max_tokens}
    if request.tools:
        params["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.input_schema,
                },
            }
            for t in request.tools
        ]
    if request.temperature is not None:
        params["temperature"] = request.temperature
    return params


def wire_messages(message: Message) -> list[dict[str, Any]]:
    """One of our messages as chat messages: tool results become role "tool" messages
    (placed first, right after the assistant's calls), text a user or assistant message."""
    if message.role == "assistant":
        wire: dict[str, Any] = {"role": "assistant", "content": message.text or None}
        if message.tool_calls:
            wire["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
                }
                for c in message.tool_calls
            ]
        return [wire]
    out: list[dict[str, Any]] = [
        {
            "role": "tool",
            "tool_call_id": p.call_id,
            "content": ("Error: " if p.is_error else "") + p.content,
        }
        for p in message.parts
        if isinstance(p, ToolResult)
    ]
    if message.text:
        out.append({"role": "user", "content": message.text})
    return out
