"""MCP server tools as registry tools: `SERVER__TOOL`, their JSON schemas, their results as text.

A tool whose annotations say `readOnlyHint` is a read (it runs in parallel with other reads);
any other is a write: it runs in order, and the TUI asks the person first in suggest mode.
The text goes back through the registry, which caps it like every tool's output.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

from agent.tools.errors import ToolError
from agent.tools.registry import Tool

MAX_NAME = 64  # what the providers accept for a tool name
MAX_DESCRIPTION = 2000
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def registry_tools(hub: Any, server: str) -> list[Tool]:
    """The started server's tools, named `server__tool`, that call it through `hub`."""
    made, seen = [], set()
    for listed in hub.servers[server].tools:
        name = f"{server}__{_UNSAFE.sub('_', listed.name)}"[:MAX_NAME]
        if name in seen:
            continue  # two tool names that differ only in characters a provider refuses
        seen.add(name)
        made.append(_tool(hub, server, listed, name))
    return made


def _tool(hub: Any, server: str, listed: Any, name: str) -> Tool:
    annotations = listed.annotations
    read_only = bool(annotations is not None and annotations.read_only_hint)
    description = (listed.description or listed.title or listed.name).strip()
    if len(description) > MAX_DESCRIPTION:
        description = description[:MAX_DESCRIPTION] + " [...]"
    schema = dict(listed.input_schema or {})
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})

    def call(ctx: Any, **arguments: Any) -> str:
        # The server runs outside the sandbox and may write the workspace whatever its hints
        # say: what the call changed goes to the review as this tool's doing.
        watching = getattr(getattr(ctx, "sandbox", None), "watching", None)
        with watching(name) if watching is not None else contextlib.nullcontext():
            return call_text(hub, server, listed.name, arguments)

    return Tool(
        name, f"[MCP server {server}] {description}", call, read_only, (), None, input_schema=schema
    )


def call_text(hub: Any, server: str, tool: str, arguments: dict[str, Any]) -> str:
    """The call's result as text; a ToolError (the model's to read) for every failure."""
    from agent.mcp.hub import ServerGone

    try:
        result = hub.call(server, tool, arguments)
    except (ServerGone, TimeoutError) as error:
        raise ToolError(str(error)) from error
    except Exception as error:  # the server refused the call (unknown tool, bad arguments)
        raise ToolError(f"MCP server {server}: {' '.join(str(error).split())}") from error
    text = result_text(result)
    if result.is_error:
        raise ToolError(f"{server}__{tool} failed: {text}")
    return text


def result_text(result: Any) -> str:
    """Text blocks as they are; images, audio and resources as a short note each."""
    parts = [_block_text(block) for block in result.content or ()]
    if not parts and result.structured_content is not None:
        parts.append(json.dumps(result.structured_content, ensure_ascii=False, indent=1))
    return "\n".join(parts) if parts else "(the tool returned nothing)"


def _block_text(block: Any) -> str:
    kind = getattr(block, "type", "")
    if kind == "text":
        return block.text
    if kind in ("image", "audio"):
        size = len(getattr(block, "data", "") or "") * 3 // 4
        return f"[{kind} ({getattr(block, 'mime_type', '?')}, about {size} bytes) not shown]"
    if kind == "resource_link":
        return f"[resource link: {block.uri} ({block.name})]"
    if kind == "resource":
        inner = block.resource
        what = "text" if hasattr(inner, "text") else "binary"
        return f"[embedded {what} resource {inner.uri} not shown]"
    return f"[{kind or type(block).__name__} content not shown]"
