"""Tools that read, list, create and delete files in the workspace."""

from __future__ import annotations

import difflib
import io
import os
from pathlib import Path

from agent.atomic import atomic_write
from agent.tools.code import format_outline
from agent.tools.context import ToolContext
from agent.tools.errors import ToolError
from agent.tools.output import numbered
from agent.tools.paths import matches_glob, open_checked, relative, resolve, resolve_for_write
from agent.tools.readonly_git import workspace_files
from agent.tools.registry import tool
from agent.tools.textfile import (
    BINARY_SNIFF_BYTES,
    encode,
    is_binary,
    new_syntax_errors,
    newline_of,
    with_newline,
)

WINDOW = 200
MAX_LINE_CHARS = 1000


@tool(read_only=True, paths=("path",))
def read_file(ctx: ToolContext, path: str, start: int = 1, end: int | None = None) -> str:
    """A file's lines from `start` to `end` (inclusive, at most 200); a longer file opens
    with an outline."""
    target = _existing_file(ctx.root, path)
    shown = relative(ctx.root, target)
    with open_checked(ctx.root, target) as on_disk:
        handle, unsaved = _editor_text(ctx, shown, on_disk)
        if is_binary(handle.read(BINARY_SNIFF_BYTES)):
            return f"{shown} is a binary file ({target.stat().st_size} bytes); not shown."
        handle.seek(0)
        last = end if end is not None else start + WINDOW - 1
        if start < 1 or last < start:
            raise ToolError(f"bad range start={start}, end={end}; lines are numbered from 1")
        lines, total, bad_bytes = _window(handle, start, last)
    if total == 0:
        return f"{shown} is empty."
    if start > total:
        raise ToolError(f"start={start} is past the end of {shown} ({total} lines)")
    last = min(last, total)
    whole = start == 1 and last == total
    # The call above names the path: the result does not say it again.
    count = "1 line" if total == 1 else f"{total} lines"
    parts = [count if whole else f"lines {start}-{last} of {total}"]
    if unsaved:
        parts[0] += " (the editor's unsaved text)"
    if bad_bytes:
        parts[0] += " (not valid UTF-8; undecodable bytes shown as \ufffd)"
    if end is None and start == 1 and total > WINDOW:
        parts.append(_outline(ctx, shown))
    parts.append(numbered(lines, start))
    if last < total:
        parts.append(
            f"[lines {last + 1}-{total} not shown; call read_file with start={last + 1}"
            " to see more]"
        )
    return "\n".join(p for p in parts if p)


def _editor_text(ctx: ToolContext, shown: str, on_disk) -> tuple[object, bool]:
    """The file as the person's editor holds it, if that differs from the disk, and whether
    it does; else the file on disk."""
    text = ctx.read_buffer(shown) if ctx.read_buffer is not None else None
    if text is None:
        return on_disk, False
    data = text.encode("utf-8")
    if data == on_disk.read(len(data) + 1):
        on_disk.seek(0)
        return on_disk, False
    return io.BytesIO(data), True


def _window(handle, start: int, last: int) -> tuple[list[str], int, bool]:
    lines, total, bad = [], 0, False
    for total, raw in enumerate(handle, 1):
        if start <= total <= last:
            raw = raw.rstrip(b"\r\n")
            # Decode only the part shown: a minified file can be one 50 MB line.
            text = raw[: MAX_LINE_CHARS * 4].decode("utf-8", errors="replace")[:MAX_LINE_CHARS]
            bad = bad or "\ufffd" in text and b"\xef\xbf\xbd" not in raw
            kept = len(text.encode("utf-8", errors="replace"))
            if kept < len(raw):
                text += f" [... {len(raw) - kept} bytes cut]"
            lines.append(text)
    return lines, total, bad


def _outline(ctx: ToolContext, shown: str) -> str:
    from agent.index.languages import language_for

    if language_for(shown) is None:
        return ""
    try:
        symbols = ctx.index.outline(shown)
    except Exception:  # the outline is a help; the file is still shown without it
        return ""
    return f"Outline (line ranges):\n{format_outline(symbols)}\n" if symbols else ""


@tool(read_only=True, paths=("dir",))
def list_files(ctx: ToolContext, dir: str = "", glob: str = "", limit: int = 500) -> str:
    """The workspace's files, gitignored ones left out.

    Args:
        glob: "*.py" (the name) or "src/**/test_*.py" (the path).
    """
    under = relative(ctx.root, resolve(ctx.root, dir)) if dir.strip() else ""
    if under and not (ctx.root / under).is_dir():
        raise ToolError(f"{dir!r} is not a directory in the workspace")
    names = [n for n in workspace_files(ctx.root, under) if not glob or matches_glob(n, glob)]
    if not names:
        return "No files match." if glob or under else "The workspace has no files."
    shown = names[: max(limit, 1)]
    text = "\n".join(shown)
    if len(names) > len(shown):
        text += f"\n[... {len(names) - len(shown)} more files not shown; narrow with dir or glob]"
    return f"{len(names)} files\n{text}"


@tool(read_only=False, paths=("path",))
def create_file(ctx: ToolContext, path: str, content: str, overwrite: bool = False) -> str:
    """Write a new file (and its folders); overwrite=true replaces one."""
    target = resolve_for_write(ctx, path)
    shown = relative(ctx.root, target)
    if target.is_dir():
        raise ToolError(f"{shown} is a directory")
    before = target.read_bytes() if target.exists() else None
    if before is not None and not overwrite:
        raise ToolError(
            f"{shown} already exists; use edit_file to change it, or pass overwrite=true"
        )
    newline = newline_of(before.decode("utf-8", "replace")) if before else "\n"
    data = encode(with_newline(content, newline))
    problem = new_syntax_errors(shown, before, data)
    if problem:
        raise ToolError(f"{shown} was not written: {problem}")
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, data)
    ctx.record_change(shown)
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    return f"{'Overwrote' if before is not None else 'Created'} {shown} ({lines} lines)."


@tool(read_only=False, paths=("path",))
def delete_file(ctx: ToolContext, path: str) -> str:
    """Delete one file."""
    target = resolve_for_write(ctx, path)
    # A symlink is removed itself, never what it points to.
    link = resolve(ctx.root, os.path.dirname(path.strip()) or ".") / Path(path.strip()).name
    if link.is_symlink():
        target = link
    shown = f"{relative(ctx.root, target.parent)}/{target.name}".lstrip("/")
    if target.is_dir() and not target.is_symlink():
        raise ToolError(f"{shown} is a directory; delete_file removes single files")
    if not target.is_symlink() and not target.exists():
        raise ToolError(f"{shown} does not exist")
    target.unlink()
    ctx.record_change(shown)
    return f"Deleted {shown}."


def _existing_file(root: Path, path: str) -> Path:
    target = resolve(root, path)
    if target.is_dir():
        raise ToolError(f"{path!r} is a directory; use list_files to see what it holds")
    if not target.exists():
        hint = ""
        if target.parent.is_dir():
            close = difflib.get_close_matches(target.name, os.listdir(target.parent), n=3)
            if close:
                hint = "; did you mean " + ", ".join(close) + "?"
        raise ToolError(f"{path!r} does not exist{hint}")
    return target
