"""A scripted model server on 127.0.0.1 for tests: the Anthropic Messages API and the
OpenAI chat-completions API, as JSON or as SSE streams, over real HTTP.

Point the real SDK at it and script what each request gets back:

    with LoopbackServer() as server:
        server.script(Reply(text="Hello"), Reply(status=429, headers={"retry-after": "0.2"}))
        model = AnthropicModel("claude-test", base_url=server.url, api_key="test")
        ...
        server.requests[0].body          # the JSON the SDK sent

One `Reply` answers either API: the server renders it as a Messages-API message for
`POST /v1/messages` and as a chat completion for `POST .../chat/completions`
(`server.openai_url` ends in /v1), streamed when the request body says `"stream": true`.
A reply can be an error status with headers (retry-after), drop the connection before
answering or after N stream events, or send an SSE error event after N stream events. `script()` also takes callables `(ReceivedRequest) ->
Reply`; `fallback` answers when the script is empty (otherwise a 400 says so).
A reply can also never answer (`hang`) or start a stream and then send one byte every
`drip_s` seconds forever (`drip_s`), as a stuck server or proxy would; both stop when the
server closes.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

OPENAI_FINISH = {
    "end_turn": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "stop_sequence": "stop",
    "refusal": "content_filter",
}
CHUNK = 6  # characters per streamed text or tool-input delta


@dataclass
class Reply:
    """What the server sends for one request.

    `tool_calls` items are {"id", "name", "input"}; "input" is a dict, or a string sent
    verbatim as the streamed tool-input JSON (so it may be malformed). `usage` uses the
    Anthropic names: input_tokens, output_tokens, cache_read_input_tokens,
    cache_creation_input_tokens. A `status` other than 200 sends an error body of the
    request's API with `error_type` and `error_message`.
    """

    text: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    thinking: dict[str, str] | None = None  # an Anthropic thinking block, sent first
    stop_reason: str | None = None
    usage: dict[str, int] = field(default_factory=dict)
    status: int = 200
    error_type: str = ""
    error_message: str = "scripted error"
    headers: dict[str, str] = field(default_factory=dict)
    drop_after_events: int | None = None
    error_after_events: int | None = None
    drop_before_response: bool = False
    hang: bool = False
    drip_s: float | None = None
    openai_usage: dict[str, Any] | None = None  # sent as it is instead of the converted usage
    model: str = "loopback-model"
    # SSE events (name, data) sent verbatim instead of the stream rendered from this reply,
    # e.g. data that is not JSON, or a delta for a block never started.
    events: list[tuple[str | None, str]] | None = None

    @property
    def final_stop_reason(self) -> str:
        """The stop reason sent: the given one, else tool_use when there are tool calls."""
        return self.stop_reason or ("tool_use" if self.tool_calls else "end_turn")


@dataclass
class ReceivedRequest:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float

    @property
    def streamed(self) -> bool:
        """Whether the client asked for an SSE stream."""
        return bool(self.body.get("stream"))


Script = Reply | Callable[[ReceivedRequest], Reply]


class _QuietServer(ThreadingHTTPServer):
    """Clients that hang up mid-reply (the SDKs' retries and cancels do) are expected."""

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class LoopbackServer:
    """A threaded HTTP server on a free port of 127.0.0.1; use it as a context manager."""

    def __init__(self) -> None:
        self.requests: list[ReceivedRequest] = []
        self.fallback: Callable[[ReceivedRequest], Reply] | None = None
        self._queue: list[Script] = []
        self._lock = threading.Lock()
        self.closing = threading.Event()
        self._httpd = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        """Base URL for the Anthropic SDK (`base_url`)."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def openai_url(self) -> str:
        """Base URL for the OpenAI SDK (it appends /chat/completions)."""
        return self.url + "/v1"

    def script(self, *replies: Script) -> None:
        """Queue replies; each request takes the next one in order."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def pending(self) -> int:
        """How many scripted replies have not been used."""
        with self._lock:
            return len(self._queue)

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def _next_reply(self, request: ReceivedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            item = self._queue.pop(0) if self._queue else self.fallback
        if item is None:
            return Reply(
                status=400,
                error_type="invalid_request_error",
                error_message="loopback server has no scripted reply left",
            )
        return item(request) if callable(item) else item


def _handler_for(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        loopback = server

    return Handler


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    loopback: LoopbackServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        request = ReceivedRequest(
            "POST",
            self.path,
            {k.lower(): v for k, v in self.headers.items()},
            json.loads(raw or b"{}"),
            time.monotonic(),
        )
        reply = self.loopback._next_reply(request)
        api = "openai" if self.path.endswith("/chat/completions") else "anthropic"
        if reply.drop_before_response:
            self._drop()
        elif reply.hang:
            self.loopback.closing.wait()
        elif reply.drip_s is not None:
            self._drip(reply.drip_s)
        elif reply.status != 200:
            self._send_json(reply.status, _error_body(api, reply), reply.headers)
        elif request.streamed:
            events = (
                reply.events
                if reply.events is not None
                else (_anthropic_events(reply) if api == "anthropic" else _openai_events(reply))
            )
            self._send_stream(events, reply, api)
        else:
            body = _anthropic_message(reply) if api == "anthropic" else _openai_completion(reply)
            self._send_json(200, body, reply.headers)

    def _send_json(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_stream(self, events: list[tuple[str | None, str]], reply: Reply, api: str) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        for sent, (name, data) in enumerate(events):
            if reply.drop_after_events is not None and sent >= reply.drop_after_events:
                self._drop()
                return
            if reply.error_after_events is not None and sent >= reply.error_after_events:
                name, data = "error", json.dumps(_error_body(api, reply))
                self._write_event(name, data)
                break
            self._write_event(name, data)
        self.wfile.write(b"0\r\n\r\n")

    def _drip(self, every_s: float) -> None:
        """Start an SSE stream, then send one byte of a comment line at a time, forever."""
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        while not self.loopback.closing.wait(every_s):
            self.wfile.write(b"1\r\n:\r\n")
            self.wfile.flush()

    def _write_event(self, name: str | None, data: str) -> None:
        chunk = ((f"event: {name}\n" if name else "") + f"data: {data}\n\n").encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.flush()

    def _drop(self) -> None:
        """Close the socket abruptly, as a failing proxy or server would."""
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True


def _error_body(api: str, reply: Reply) -> dict[str, Any]:
    kind = reply.error_type or "api_error"
    if api == "openai":
        return {"error": {"message": reply.error_message, "type": kind, "code": None}}
    return {"type": "error", "error": {"type": kind, "message": reply.error_message}}


def _chunks(text: str) -> list[str]:
    return [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]


def _tool_input_text(call: dict[str, Any], key: str = "input") -> str:
    value = call.get(key, {})
    return value if isinstance(value, str) else json.dumps(value)


def _anthropic_usage(reply: Reply) -> dict[str, int]:
    usage = {
        "input_tokens": 10,
        "output_tokens": 5,
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 0,
    }
    usage.update(reply.usage)
    return usage


def _anthropic_blocks(reply: Reply) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [dict(reply.thinking)] if reply.thinking else []
    blocks += [{"type": "text", "text": reply.text}] if reply.text else []
    for call in reply.tool_calls:
        blocks.append(
            {
                "type": "tool_use",
                "id": call["id"],
                "name": call["name"],
                "input": call.get("input", {}),
            }
        )
    return blocks


def _anthropic_message(reply: Reply) -> dict[str, Any]:
    return {
        "id": "msg_loopback",
        "type": "message",
        "role": "assistant",
        "model": reply.model,
        "content": _anthropic_blocks(reply),
        "stop_reason": reply.final_stop_reason,
        "stop_sequence": None,
        "usage": _anthropic_usage(reply),
    }


def anthropic_events(reply: Reply) -> list[tuple[str | None, str]]:
    """The Messages-API SSE stream for `reply`, as (event name, data) pairs."""
    return _anthropic_events(reply)


def openai_events(reply: Reply) -> list[tuple[str | None, str]]:
    """The chat-completions SSE stream for `reply`, as (event name, data) pairs."""
    return _openai_events(reply)


def _anthropic_events(reply: Reply) -> list[tuple[str | None, str]]:
    usage = _anthropic_usage(reply)
    start = {
        **_anthropic_message(reply),
        "content": [],
        "stop_reason": None,
        "usage": {**usage, "output_tokens": 1},
    }
    events: list[dict[str, Any]] = [{"type": "message_start", "message": start}, {"type": "ping"}]
    index = 0
    if reply.thinking and reply.thinking["type"] == "thinking":
        events.append(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "thinking", "thinking": "", "signature": ""},
            }
        )
        events += [
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "thinking_delta", "thinking": piece},
            }
            for piece in _chunks(reply.thinking["thinking"])
        ]
        events.append(
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "signature_delta", "signature": reply.thinking["signature"]},
            }
        )
        events.append({"type": "content_block_stop", "index": 0})
        index = 1
    elif reply.thinking:  # redacted: whole at the start
        events.append(
            {"type": "content_block_start", "index": 0, "content_block": dict(reply.thinking)}
        )
        events.append({"type": "content_block_stop", "index": 0})
        index = 1
    if reply.text:
        events.append(
            {
                "type": "content_block_start",
                "index": index,
                "content_block": {"type": "text", "text": ""},
            }
        )
        events += [
            {
                "type": "content_block_delta",
                "index": index,
                "delta": {"type": "text_delta", "text": piece},
            }
            for piece in _chunks(reply.text)
        ]
        events.append({"type": "content_block_stop", "index": index})
        index += 1
    for offset, call in enumerate(reply.tool_calls):
        at = index + offset
        events.append(
            {
                "type": "content_block_start",
                "index": at,
                "content_block": {
                    "type": "tool_use",
                    "id": call["id"],
                    "name": call["name"],
                    "input": {},
                },
            }
        )
        events += [
            {
                "type": "content_block_delta",
                "index": at,
                "delta": {"type": "input_json_delta", "partial_json": piece},
            }
            for piece in _chunks(_tool_input_text(call))
        ]
        events.append({"type": "content_block_stop", "index": at})
    events.append(
        {
            "type": "message_delta",
            "delta": {"stop_reason": reply.final_stop_reason, "stop_sequence": None},
            "usage": {"output_tokens": usage["output_tokens"]},
        }
    )
    events.append({"type": "message_stop"})
    return [(event["type"], json.dumps(event)) for event in events]


def _openai_usage(reply: Reply) -> dict[str, Any]:
    if reply.openai_usage is not None:
        return reply.openai_usage
    usage = _anthropic_usage(reply)
    cached = usage["cache_read_input_tokens"]
    prompt = usage["input_tokens"] + cached + usage["cache_creation_input_tokens"]
    return {
        "prompt_tokens": prompt,
        "completion_tokens": usage["output_tokens"],
        "total_tokens": prompt + usage["output_tokens"],
        "prompt_tokens_details": {"cached_tokens": cached},
    }


def _openai_tool_calls(reply: Reply) -> list[dict[str, Any]]:
    return [
        {
            "id": call["id"],
            "type": "function",
            "function": {"name": call["name"], "arguments": _tool_input_text(call)},
        }
        for call in reply.tool_calls
    ]


def _openai_completion(reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.tool_calls:
        message["tool_calls"] = _openai_tool_calls(reply)
    return {
        "id": "chatcmpl-loopback",
        "object": "chat.completion",
        "created": 0,
        "model": reply.model,
        "usage": _openai_usage(reply),
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": OPENAI_FINISH.get(reply.final_stop_reason, "stop"),
            }
        ],
    }


def _openai_events(reply: Reply) -> list[tuple[str | None, str]]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-loopback",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": reply.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    chunks = [chunk({"role": "assistant", "content": ""})]
    if reply.text:
        chunks += [chunk({"content": piece}) for piece in _chunks(reply.text)]
    for index, call in enumerate(reply.tool_calls):
        chunks.append(
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": index,
                            "id": call["id"],
                            "type": "function",
                            "function": {"name": call["name"], "arguments": ""},
                        }
                    ]
                }
            )
        )
        chunks += [
            chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
            for piece in _chunks(_tool_input_text(call))
        ]
    chunks.append(chunk({}, OPENAI_FINISH.get(reply.final_stop_reason, "stop")))
    chunks.append(
        {
            "id": "chatcmpl-loopback",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": reply.model,
            "choices": [],
            "usage": _openai_usage(reply),
        }
    )
    return [(None, json.dumps(c)) for c in chunks] + [(None, "[DONE]")]
