"""The Anthropic Messages API through the official SDK, streamed.

Prompt caching: cache_control marks the system prompt, the last tool, the last block of
the conversation and the last block of the previous user turn (the end of the previous
request), so each call re-reads the whole earlier conversation from the cache and writes
only the new turn. Retries are ours (the SDK's are switched off): 429, 5xx, 529 overloaded,
lost connections and streams cut short are retried with backoff; 400/401/403 are not.
"""

from __future__ import annotations

import os
from typing import Any

from agent.messages import (
    Message,
    ModelRequest,
    ModelResponse,
    Part,
    Reasoning,
    StopReason,
    Text,
    ToolCall,
    ToolResult,
    Usage,
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

DEFAULT_MODEL = "claude-sonnet-5-5"
CACHE = {"type": "ephemeral"}
# Thinking blocks, by type: the fields that are sent back.
REASONING_FIELDS = {
    "thinking": ("type", "thinking", "signature"),
    "redacted_thinking": ("type", "data"),
}
DEFAULT_RETRY = RetryPolicy()
RETRY_STATUSES = {408, 409, 429, 500, 502, 503, 504, 529}
RETRY_ERROR_TYPES = {"overloaded_error", "rate_limit_error", "api_error"}
STOP_REASONS: dict[str, StopReason] = {
    "end_turn": "end_turn",
    "tool_use": "tool_use",
    "max_tokens": "max_tokens",
    "stop_sequence": "stop_sequence",
    "refusal": "refusal",
}


def from_spec(argument: str) -> AnthropicModel:
    """`anthropic:MODEL` (the model defaults to claude-sonnet-5-5)."""
    return AnthropicModel(argument or DEFAULT_MODEL)


class AnthropicModel:
    """A `Model` answered by the Anthropic API. The key comes from `api_key` or
    ANTHROPIC_API_KEY, the endpoint from `base_url` or ANTHROPIC_BASE_URL."""

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        timeout_s: float = 600.0,
        stream: bool = True,
    ) -> None:
        self.model = model
        self.name = f"anthropic:{model}"
        self.retry = retry
        self.stream = stream
        self._api_key = api_key
        self._base_url = base_url
        self._timeout_s = timeout_s
        self._client: Any = None

    def complete(self, request: ModelRequest, on_text: TextSink | None = None) -> ModelResponse:
        """One completion, streamed to `on_text`, retried as the policy says."""
        client = self._client or self._connect()
        params = request_params(self.model, request)
        guard = ReplayGuard(on_text)

        what = f"Anthropic API ({self.model})"

        def attempt() -> ModelResponse:
            guard.start_attempt()
            with CallWatch(request.deadline, what) as watch:
                timed = {**params, "timeout": watch.timeout(self._timeout_s)}
                return self._attempt(client, timed, guard, watch)

        return with_retries(attempt, self.retry, what, deadline=request.deadline)

    def _connect(self) -> Any:
        key = self._api_key or os.environ.get("ANTHROPIC_API_KEY")
        if not key:
            raise ModelError(
                "ANTHROPIC_API_KEY is not set: export your Anthropic API key "
                "or choose another model with --model"
            )
        import anthropic

        self._client = anthropic.Anthropic(
            api_key=key,
            base_url=self._base_url or os.environ.get("ANTHROPIC_BASE_URL"),
            max_retries=0,
            timeout=self._timeout_s,
        )
        return self._client

    def _attempt(
        self, client: Any, params: dict[str, Any], on_text: TextSink, watch: CallWatch
    ) -> ModelResponse:
        import anthropic

        try:
            if self.stream:
                events = watch.stream(client.messages.create(**params, stream=True))
                wire = read_stream(watch.events(events), on_text)
            else:
                wire = client.messages.create(**params).to_dict()
                if any(block.get("type") == "text" for block in wire["content"]):
                    on_text("".join(b.get("text", "") for b in wire["content"]))
        except anthropic.APIStatusError as error:
            raise status_failure(error) from None
        except (anthropic.APIConnectionError, *transport_errors()) as error:
            raise Retryable(f"connection failed ({error})") from None
        except ValueError as error:  # an SSE event whose data is not JSON (or not a message)
            raise ModelError(
                f"Anthropic API ({self.model}) sent a stream event that is not valid JSON ({error})"
            ) from None
        return self._response(wire)

    def _response(self, wire: dict[str, Any]) -> ModelResponse:
        usage = wire.get("usage") or {}
        counted = Usage(
            input_tokens=usage.get("input_tokens") or 0,
            output_tokens=usage.get("output_tokens") or 0,
            cache_read_tokens=usage.get("cache_read_input_tokens") or 0,
            cache_write_tokens=usage.get("cache_creation_input_tokens") or 0,
        )
        parts = [
            p for block in wire["content"] if (p := part_from_block(block, self.model)) is not None
        ]
        return ModelResponse(
            message=Message("assistant", parts),
            stop_reason=STOP_REASONS.get(wire.get("stop_reason") or "", "other"),
            usage=with_cost(self.model, counted),
            model=wire.get("model") or self.model,
        )


def read_stream(events: Any, on_text: TextSink) -> dict[str, Any]:
    """Accumulate raw stream events into the shape of a non-streamed message; tool input
    stays raw text (in "partial_json") until the block is complete."""
    wire: dict[str, Any] = {"content": [], "usage": {}, "stop_reason": None}
    finished = False
    for event in events:
        if event.type == "message_start":
            wire["model"] = event.message.model
            wire["usage"] = event.message.usage.to_dict()
        elif event.type == "content_block_start":
            block = event.content_block.to_dict()
            if block["type"] == "tool_use":
                block["partial_json"] = ""
            wire["content"].append(block)
        elif event.type == "content_block_delta":
            block, delta = started_block(wire, event.index), event.delta
            if delta.type == "text_delta":
                block["text"] = block.get("text", "") + delta.text
                on_text(delta.text)
            elif delta.type == "input_json_delta":
                block["partial_json"] += delta.partial_json
            elif delta.type == "thinking_delta":
                block["thinking"] = (block.get("thinking") or "") + delta.thinking
            elif delta.type == "signature_delta":
                block["signature"] = (block.get("signature") or "") + delta.signature
        elif event.type == "message_delta":
            wire["stop_reason"] = event.delta.stop_reason
            counts = event.usage.to_dict()
            wire["usage"].update({k: v for k, v in counts.items() if v is not None})
        elif event.type == "message_stop":
            finished = True
    if not finished:
        raise Retryable("the stream ended before the message was complete")
    return wire


def started_block(wire: dict[str, Any], index: Any) -> dict[str, Any]:
    """The content block a delta event names; a ModelError when the stream never started it."""
    if not isinstance(index, int) or not 0 <= index < len(wire["content"]):
        raise ModelError(
            f"the Anthropic stream sent a delta for content block {index!r}, "
            f"which it never started ({len(wire['content'])} started)"
        )
    return wire["content"][index]


def part_from_block(block: dict[str, Any], model: str) -> Part | None:
    """Our message part for one response content block (None for kinds we do not use)."""
    kind = block.get("type")
    if kind in REASONING_FIELDS:
        return Reasoning(model, {k: block.get(k) or "" for k in REASONING_FIELDS[kind]})
    if kind == "text":
        return Text(block.get("text", "")) if block.get("text") else None
    if block.get("type") == "tool_use":
        if "partial_json" in block:
            return tool_call_from_json(block["id"], block["name"], block["partial_json"])
        return ToolCall(block["id"], block["name"], dict(block.get("input") or {}))
    return None


def status_failure(error: Any) -> Exception:
    """A Retryable for errors worth another try, else a one-line ModelError."""
    status, kind = error.status_code, error.type or ""
    detail = " ".join(str(error.api_message or error.message).split())[:300]
    if status in RETRY_STATUSES or kind in RETRY_ERROR_TYPES:
        return Retryable(
            f"{status} {kind}: {detail}".strip(), parse_retry_after(error.response.headers)
        )
    if status == 401:
        return ModelError(
            f"Anthropic rejected the API key (401: {detail}); check ANTHROPIC_API_KEY"
        )
    if status == 403:
        return ModelError(
            f"Anthropic refused the request (403: {detail}); "
            "check the key's permissions for this model"
        )
    if status == 400:
        return ModelError(f"Anthropic rejected the request (400: {detail})")
    return ModelError(f"Anthropic API error {status}: {detail}")


def request_params(model: str, request: ModelRequest) -> dict[str, Any]:
    """The keyword arguments of messages.create for this request, cache marks included."""
    params: dict[str, Any] = {
        "model": model,
        "max_tokens": request.max_tokens,
        "messages": wire_messages(request.messages, model),
    }
    if request.system:
        params["system"] = [{"type": "text", "text": request.system, "cache_control": CACHE}]
    if request.tools:
        tools = [
            {"name": t.name, "description": t.description, "input_schema": t.input_schema}
            for t in request.tools
        ]
        tools[-1]["cache_control"] = CACHE
        params["tools"] = tools
    # No sampling parameters: Claude 5 models answer a non-default temperature with a 400,
    # and the SDK (2.x) no longer takes one; `request.temperature` is for other providers.
    return params


def wire_messages(messages: list[Message], model: str = "") -> list[dict[str, Any]]:
    """Messages in the API's shape, with cache marks at the end of this request and at
    the end of the previous one (the last user message before the final assistant turn)."""
    wire = [{"role": m.role, "content": wire_blocks(m, model)} for m in messages]
    if wire:
        wire[-1]["content"][-1]["cache_control"] = CACHE
    earlier_users = [i for i, m in enumerate(wire[:-1]) if m["role"] == "user"]
    if earlier_users:
        wire[earlier_users[-1]]["content"][-1]["cache_control"] = CACHE
    return wire


def wire_blocks(message: Message, model: str = "") -> list[dict[str, Any]]:
    """One message's content blocks; tool results first, as the API requires; thinking
    blocks only back to the model that wrote them, unchanged and in their place."""
    results = [
        {
            "type": "tool_result",
            "tool_use_id": p.call_id,
            "content": p.content or "(no output)",
            **({"is_error": True} if p.is_error else {}),
        }
        for p in message.parts
        if isinstance(p, ToolResult)
    ]
    others: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, Reasoning) and part.model == model:
            others.append(dict(part.block))
        elif isinstance(part, Text) and part.text:
            others.append({"type": "text", "text": part.text})
        elif isinstance(part, ToolCall):
            others.append(
                {"type": "tool_use", "id": part.id, "name": part.name, "input": part.arguments}
            )
    return results + others or [{"type": "text", "text": "(empty)"}]
