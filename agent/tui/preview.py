"""What an approval prompt shows: the diff a file call would make, or the command and its sandbox."""

from __future__ import annotations

import difflib
from pathlib import Path

from agent.messages import ToolCall


def preview(call: ToolCall, root: Path, config=None) -> tuple[str, str]:
    """(heading, body) for a call; body is a unified diff for file calls ("diff" lexer)."""
    args = call.arguments
    path = str(args.get("path", ""))
    if call.name == "edit_file":
        return f"edit {path}", edit_diff(
            root, path, str(args.get("old", "")), str(args.get("new", ""))
        )
    if call.name == "create_file":
        before = _read(root / path) if args.get("overwrite") else None
        return f"create {path}", _diff(path, before or "", str(args.get("content", "")))
    if call.name == "delete_file":
        return f"delete {path}", _diff(path, _read(root / path) or "", "")
    if call.name == "run_tests":
        target = args.get("target") or "the whole suite"
        return "run the tests", f"$ {_test_command(config)} {target}\n\n{policy_text(root, config)}"
    if call.name == "run_command":
        return "run a command", f"$ {args.get('command', '')}\n\n{policy_text(root, config)}"
    listed = "\n".join(f"{key} = {value!r}" for key, value in args.items())
    if "__" in call.name:  # SERVER__TOOL: an MCP server's tool, see agent/mcp/tools.py
        server, tool = call.name.split("__", 1)
        return f"call {tool} on MCP server {server} (it runs outside the sandbox)", listed
    return call.name, listed


def edit_diff(root: Path, path: str, old: str, new: str) -> str:
    """The diff edit_file would make; when `old` is not found once, a diff of the two texts."""
    text = _read(root / path)
    if text is None:
        return f"# {path} does not exist; the edit will fail\n" + _diff(path, old, new)
    count = text.count(old) if old else 0
    if count == 1:
        return _diff(path, text, text.replace(old, new, 1))
    note = (
        f"# `old` occurs {count} times in {path}; the edit will fail unless it is unique"
        if count > 1
        else f"# `old` is not found exactly in {path}; a whitespace-tolerant match may apply"
    )
    return note + "\n" + _diff(path, old, new)


def policy_text(root: Path, config) -> str:
    """The sandbox a command runs in, in the words of its policy."""
    if config is None:
        return f"sandbox: default policy; writable: {root}"
    backend = (
        "no sandbox (unconfined)" if config.sandbox == "none" else f"sandbox: {config.sandbox}"
    )
    return (
        f"{backend}; writable: {root} only; network: {'on' if config.network else 'off'}; "
        f"timeout {config.command_timeout_s:g}s"
    )


def _test_command(config) -> str:
    return (
        config.test_command
        if config is not None and config.test_command
        else "the project's test command"
    )


def _diff(path: str, before: str, after: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}"
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
