"""Shared set-up for the tools tests: real git repositories and real sandboxes (no tests here)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from agent.messages import ToolCall, ToolResult
from agent.sandbox import Policy, create_sandbox
from agent.tools import ToolContext, default_registry

GIT_ID = ["-c", "user.name=test", "-c", "user.email=test@example.com"]


def make_repo(root: Path, files: dict[str, str | bytes], commit: bool = True) -> Path:
    """A git repository at `root` holding `files` (committed unless told otherwise)."""
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    write(root, files)
    if commit:
        subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
        subprocess.run(["git", "-C", str(root), *GIT_ID, "commit", "-q", "-m", "init"], check=True)
    return root


def write(root: Path, files: dict[str, str | bytes]) -> None:
    """Write files under root (bytes as-is, text with "\\n" line endings)."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, newline="")


def make_ctx(root: Path, backend: str = "bwrap", **kwargs) -> ToolContext:
    """A context over `root` with a real sandbox (bwrap unless told otherwise)."""
    return ToolContext(root, create_sandbox(Policy(workspace=root), backend), **kwargs)


def call(ctx: ToolContext, tool_name: str, /, **arguments) -> ToolResult:
    """Run one tool the way the model's calls run."""
    return default_registry().run(ToolCall(id="t", name=tool_name, arguments=arguments), ctx)
