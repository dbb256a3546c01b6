"""Connections to a session's MCP servers, held on one background event loop.

The loop and its tools are threads; the `mcp` SDK is async. The hub runs an asyncio loop in
a daemon thread, one task per server holds its `mcp.Client` open (an SDK context must be
entered and left in one task), and tool calls from any thread are submitted to that loop.
`close()` leaves every client, which ends stdio servers (stdin closed, then the process
group terminated and killed) and HTTP sessions.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.mcp.settings import ServerSpec, expand

STOP_WAIT_S = 10.0  # for every server together to shut down on close
# Our own keys: a server gets them only when its `env` names them.
WITHHELD_PREFIXES = ("ANTHROPIC_", "OPENAI_")


class ServerGone(Exception):
    """A call to a server that failed to start or has stopped."""


@dataclass
class Server:
    """One configured server and what became of it."""

    spec: ServerSpec
    status: str = "starting"  # starting | started | failed | stopped
    problem: str = ""
    tools: list[Any] = field(default_factory=list)  # mcp_types.Tool
    client: Any = None
    stderr: Any = None
    task: Any = None


def server_env(spec: ServerSpec, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The person's environment less our API keys, with the config's `env` (expanded) on top."""
    source = dict(os.environ if environ is None else environ)
    env = {k: v for k, v in source.items() if not k.startswith(WITHHELD_PREFIXES)}
    env.update({k: expand(v, source) for k, v in spec.env.items()})
    return env


class McpHub:
    """The session's MCP servers: started together, called from any thread, stopped together."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = Path(cwd)
        self.servers: dict[str, Server] = {}
        # The SDK logs a server's misbehaviour; without a handler Python would print it over
        # the TUI. What went wrong reaches the person as a ServerProblem or a tool error.
        sdk_log = logging.getLogger("mcp")
        if not sdk_log.handlers:
            sdk_log.addHandler(logging.NullHandler())
        self._pycache_dir: str | None = None
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="mcp", daemon=True)
        self._thread.start()

    def start(self, specs: list[ServerSpec]) -> list[Server]:
        """Start every server at once, each within its start timeout; failures are recorded."""
        for spec in specs:
            self.servers[spec.name] = Server(spec)
        future = asyncio.run_coroutine_threadsafe(self._start_all(specs), self._loop)
        future.result()
        return [self.servers[spec.name] for spec in specs]

    async def _start_all(self, specs: list[ServerSpec]) -> None:
        self._stop = self._stop or asyncio.Event()
        await asyncio.gather(*(self._start_one(self.servers[s.name]) for s in specs))

    async def _start_one(self, server: Server) -> None:
        ready: asyncio.Future = self._loop.create_future()
        server.task = self._loop.create_task(self._hold(server, ready))
        try:
            await asyncio.wait_for(asyncio.shield(ready), server.spec.start_timeout_s)
            server.status = "started"
        except TimeoutError:
            self._fail(server, f"did not answer within {server.spec.start_timeout_s:g} s")
            server.task.cancel()
            with contextlib.suppress(BaseException):
                await server.task
        except Exception as error:  # noqa: BLE001 - whatever the server did, say it in one line
            self._fail(server, _start_problem(server.spec, error))

    async def _hold(self, server: Server, ready: asyncio.Future) -> None:
        """Keep the server's client open until the hub closes."""
        from mcp import Client

        try:
            async with Client(self._transport(server), client_info=_client_info()) as client:
                server.client = client
                server.tools = await _list_tools(client)
                ready.set_result(True)
                await self._stop.wait()
        except Exception as error:  # noqa: BLE001 - reported by _start_one or the next call
            if not ready.done():
                ready.set_exception(error)
        finally:
            server.client = None
            if server.status == "started":
                server.status = "stopped"

    def _transport(self, server: Server) -> Any:
        spec = server.spec
        if spec.transport == "stdio":
            from mcp.client.stdio import StdioServerParameters, stdio_client

            server.stderr = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")
            env = server_env(spec)
            if spec.from_repo:  # bytecode a sandboxed command left in __pycache__ is not read
                env.setdefault("PYTHONPYCACHEPREFIX", self._pycache())
            params = StdioServerParameters(
                command=expand(spec.command),
                args=[expand(a) for a in spec.args],
                env=env,
                cwd=str(self.cwd),
            )
            return stdio_client(params, errlog=server.stderr)
        return _http_transport(expand(spec.url), {k: expand(v) for k, v in spec.headers.items()})

    def _pycache(self) -> str:
        if self._pycache_dir is None:
            self._pycache_dir = tempfile.mkdtemp(prefix="agent-mcp-pycache-")
        return self._pycache_dir

    def _fail(self, server: Server, problem: str) -> None:
        server.status = "failed"
        tail = _last_line(server.stderr)
        server.problem = f"{problem} ({tail})" if tail and tail not in problem else problem

    def call(self, name: str, tool: str, arguments: dict[str, Any]) -> Any:
        """The server's `CallToolResult`; ServerGone when it is not running, TimeoutError
        after its call timeout."""
        server = self.servers[name]
        if server.status != "started" or server.client is None:
            why = server.problem or server.status
            raise ServerGone(f"MCP server {name} is not running ({why})")
        timeout = server.spec.call_timeout_s
        future = asyncio.run_coroutine_threadsafe(
            server.client.call_tool(tool, arguments, read_timeout_seconds=timeout), self._loop
        )
        try:
            return future.result(timeout + 1.0)
        except (TimeoutError, concurrent.futures.TimeoutError):
            future.cancel()
            raise TimeoutError(
                f"MCP server {name} gave no answer to {tool} within {timeout:g} s"
            ) from None
        except (concurrent.futures.CancelledError, asyncio.CancelledError) as error:
            raise ServerGone(f"MCP server {name} was stopped") from error
        except Exception as error:
            if _connection_closed(error):
                self._fail(server, f"stopped during the session: {_one_line(error)}")
                raise ServerGone(
                    f"MCP server {name} {server.problem}; its tools are gone "
                    "for the rest of this session"
                ) from error
            if "timed out" in str(error):
                raise TimeoutError(
                    f"MCP server {name} gave no answer to {tool} within {timeout:g} s"
                ) from error
            raise

    def close(self) -> None:
        """Stop every server (bounded) and the background loop; safe to call twice."""
        if not self._thread.is_alive():
            return
        future = asyncio.run_coroutine_threadsafe(self._stop_all(), self._loop)
        with contextlib.suppress(Exception):
            future.result(STOP_WAIT_S + 1.0)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5.0)
        for server in self.servers.values():
            if server.stderr is not None:
                server.stderr.close()
        if self._pycache_dir is not None:
            shutil.rmtree(self._pycache_dir, ignore_errors=True)

    async def _stop_all(self) -> None:
        if self._stop is not None:
            self._stop.set()
        tasks = [s.task for s in self.servers.values() if s.task is not None and not s.task.done()]
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=STOP_WAIT_S)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=5.0)


def _http_transport(url: str, headers: dict[str, str]) -> Any:
    """A streamable HTTP transport that also owns its HTTP client (with the headers)."""
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    @contextlib.asynccontextmanager
    async def transport():
        timeout = httpx2.Timeout(30.0, read=300.0)
        async with httpx2.AsyncClient(headers=headers, timeout=timeout) as http:
            async with streamable_http_client(url, http_client=http) as streams:
                yield streams

    return transport()


async def _list_tools(client: Any) -> list[Any]:
    tools, cursor = [], None
    for _ in range(100):  # a server whose pages never end cannot hang the start
        page = await client.list_tools(cursor=cursor)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if cursor is None:
            break
    return tools


def _client_info() -> Any:
    from mcp_types import Implementation

    from agent import __version__

    return Implementation(name="agent", version=__version__)


def _connection_closed(error: BaseException) -> bool:
    text = str(error).lower()
    return (
        "connection closed" in text
        or isinstance(error, (EOFError, ConnectionError))
        or type(error).__name__ in ("ClosedResourceError", "BrokenResourceError", "EndOfStream")
    )


def _start_problem(spec: ServerSpec, error: BaseException) -> str:
    """Why a server did not start, in one line (the URL as configured: no expanded secret)."""
    if isinstance(error, BaseExceptionGroup):
        return _start_problem(spec, error.exceptions[0])
    if spec.transport == "http":
        return f"cannot reach {spec.url}: {_one_line(error)}"
    if _connection_closed(error):
        return "exited before it answered"
    return _one_line(error)


def _one_line(error: BaseException) -> str:
    if isinstance(error, BaseExceptionGroup):
        return _one_line(error.exceptions[0])
    if isinstance(error, FileNotFoundError):
        return f"command not found: {error.filename or error}"
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:300]


def _last_line(handle: Any) -> str:
    """The last line the server wrote to stderr, if any."""
    if handle is None:
        return ""
    try:
        handle.flush()
        handle.seek(0)
        lines = [line.strip() for line in handle.read()[-4000:].splitlines() if line.strip()]
    except (OSError, ValueError):
        return ""
    return lines[-1][:200] if lines else ""
