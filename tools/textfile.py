"""Bytes on disk for the file tools: decoding, line endings, syntax checks."""

from __future__ import annotations

from pathlib import Path

from agent.tools.errors import ToolError

BINARY_SNIFF_BYTES = 8192
MAX_EDIT_BYTES = 10 * 1024 * 1024  # past this, matching and the syntax check take minutes


def is_binary(data: bytes) -> bool:
    """True when the start of the data holds a NUL byte (what git and grep use too)."""
    return b"\0" in data[:BINARY_SNIFF_BYTES]


def decode(data: bytes) -> str:
    """Text that round-trips through `encode` even when the bytes are not UTF-8."""
    return data.decode("utf-8", errors="surrogateescape")


def encode(text: str) -> bytes:
    """The inverse of `decode`."""
    return text.encode("utf-8", errors="surrogateescape")


def newline_of(text: str) -> str:
    """The file's dominant line ending: "\\r\\n" or "\\n"."""
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf * 2 >= text.count("\n") else "\n"


def with_newline(text: str, newline: str) -> str:
    """`text` (from the model, any line endings) with every line ending set to `newline`."""
    text = text.replace("\r\n", "\n")
    return text.replace("\n", newline) if newline != "\n" else text


def read_for_edit(path: Path, shown: str) -> bytes:
    """The file's bytes, refusing directories and binary files with a clear message."""
    if path.is_dir():
        raise ToolError(f"{shown} is a directory, not a file")
    if not path.exists():
        raise ToolError(f"{shown} does not exist; use create_file to make a new file")
    size = path.stat().st_size
    if size > MAX_EDIT_BYTES:
        raise ToolError(
            f"{shown} is {size / 1024 / 1024:.1f} MB; edit_file edits files of up "
            f"to {MAX_EDIT_BYTES // 1024 // 1024} MB. Change it with run_command "
            "(e.g. sed or a small Python script) instead"
        )
    data = path.read_bytes()
    if is_binary(data):
        raise ToolError(f"{shown} is a binary file; it cannot be edited as text")
    return data


def new_syntax_errors(rel: str, before: bytes | None, after: bytes) -> str | None:
    """A message describing syntax errors `after` has beyond those of `before`, or None.

    Only languages the index can parse are checked; others always pass.
    """
    from agent.index.languages import language_for
    from agent.index.parse import syntax_errors

    language = language_for(rel)
    if language is None:
        return None
    old = syntax_errors(before, language) if before is not None else []
    new = syntax_errors(after, language)
    if len(new) <= len(old):
        return None
    known = {message for _, _, message in old}
    fresh = [e for e in new if e[2] not in known] or new
    lines = decode(after).splitlines()
    shown = []
    for line, column, message in fresh[:3]:
        text = lines[line - 1].rstrip() if 0 < line <= len(lines) else ""
        shown.append(f"  line {line}, column {column}: {message}\n    {line:>5}| {text}")
    return f"the change would add {len(new) - len(old)} {language} syntax error(s):\n" + "\n".join(
        shown
    )
