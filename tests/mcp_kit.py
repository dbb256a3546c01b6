"""MCP servers written with the `mcp` SDK's server API, for tests that start them for real."""

from __future__ import annotations

import json
import socket
import sys
import textwrap
from pathlib import Path

# One server program: `python server.py [stdio|http PORT]`. It writes its pid next to itself,
# so a test can tell whether the process is still alive after the session.
SERVER = textwrap.dedent('''
    import os, sys, time
    from pathlib import Path
    from mcp.server.mcpserver import MCPServer
    from mcp_types import ToolAnnotations

    here = Path(__file__).parent
    name = os.environ.get("SERVER_NAME", "kit")
    (here / f"{name}.pid").write_text(str(os.getpid()))
    app = MCPServer(name)
    READ = ToolAnnotations(read_only_hint=True)

    @app.tool(annotations=READ)
    def lookup(key: str) -> str:
        """The value stored under a key."""
        return f"value of {key} is 42"

    @app.tool()
    def note(text: str) -> str:
        """Append a line to notes.txt."""
        with open(here / "notes.txt", "a") as handle:
            handle.write(text + "\\n")
        return f"noted: {text}"

    @app.tool(annotations=READ)
    def env(variable: str) -> str:
        """One variable of the server's environment."""
        return os.environ.get(variable, "<unset>")

    @app.tool(annotations=READ)
    def huge() -> str:
        """A very long answer."""
        return "\\n".join(f"line {i} " + "x" * 60 for i in range(40_000))

    @app.tool(annotations=READ)
    def noop() -> str:
        """Nothing."""
        return ""

    @app.tool()
    def crash() -> str:
        """The server dies."""
        os._exit(3)

    @app.tool(annotations=READ)
    def stall() -> str:
        """Never answers."""
        time.sleep(3600)
        return "late"

    if sys.argv[1:2] == ["http"]:
        app.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        app.run()
''')


def write_servers(folder: Path) -> Path:
    """server.py in `folder`; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "server.py").write_text(SERVER)
    return folder / "server.py"


def stdio_entry(script: Path, name: str, **extra) -> dict:
    """An `mcpServers` entry that runs `script` with this Python, its pid file named `name`."""
    return {
        "command": sys.executable,
        "args": [str(script)],
        "env": {"SERVER_NAME": name, **extra.pop("env", {})},
        **extra,
    }


def mcp_json(servers: dict) -> str:
    """The text of a `.mcp.json` holding `servers`."""
    return json.dumps({"mcpServers": servers}, indent=2)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process, seconds: float = 60.0) -> None:
    """Return once something accepts connections on `port`; fail if `process` exits first."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the HTTP server exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {seconds} s")


def gone_soon(pid: int, seconds: float = 10.0) -> bool:
    """Whether process `pid` has ended, or ends within `seconds` (a loaded machine is slow
    to finish a process that was told to stop)."""
    import time

    deadline = time.monotonic() + seconds
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def alive(pid: int) -> bool:
    """Whether process `pid` still runs (a zombie counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"
