"""edit_file: exact search and replace, with a whitespace-tolerant fallback and a syntax guard."""

from __future__ import annotations

import difflib
import re

from agent.atomic import atomic_write
from agent.tools.context import ToolContext
from agent.tools.errors import ToolError
from agent.tools.output import numbered
from agent.tools.paths import relative, resolve_for_write
from agent.tools.registry import tool
from agent.tools.textfile import (
    decode,
    encode,
    new_syntax_errors,
    newline_of,
    read_for_edit,
    with_newline,
)

CONTEXT_LINES = 3
MAX_FUZZY_SCAN_LINES = 50_000


@tool(read_only=False, paths=("path",))
def edit_file(ctx: ToolContext, path: str, old: str, new: str) -> str:
    """Replace the one occurrence of `old` in a file with `new`."""
    target = resolve_for_write(ctx, path)
    shown = relative(ctx.root, target)
    data = read_for_edit(target, shown)
    if not old:
        raise ToolError("old is empty; to write a whole file use create_file")
    if old == new:
        raise ToolError("old and new are identical; nothing would change")
    text = decode(data)
    newline = newline_of(text)
    updated, first_line, how = _replace(
        text, with_newline(old, newline), with_newline(new, newline), newline, shown
    )
    after = encode(updated)
    problem = new_syntax_errors(shown, data, after)
    if problem:
        raise ToolError(f"edit refused, {shown} is unchanged: {problem}")
    atomic_write(target, after)
    ctx.record_change(shown)
    new_lines = max(with_newline(new, "\n").rstrip("\n").count("\n") + 1, 1) if new else 0
    return f"Edited {shown}{how}.\n" + _snippet(updated, first_line, new_lines)


def _replace(text: str, old: str, new: str, newline: str, shown: str) -> tuple[str, int, str]:
    """The new text, the first changed line (1-based) and a note on how `old` was found."""
    count = text.count(old)
    if count == 1:
        start = text.index(old)
        return text[:start] + new + text[start + len(old) :], text.count("\n", 0, start) + 1, ""
    if count > 1:
        lines = [text.count("\n", 0, m.start()) + 1 for m in re.finditer(re.escape(old), text)]
        raise ToolError(
            f"old occurs {count} times in {shown} (at lines {_listing(lines)}); "
            "include more surrounding lines so it matches exactly once"
        )
    return _replace_loosely(text, old, new, newline, shown)


def _replace_loosely(
    text: str, old: str, new: str, newline: str, shown: str
) -> tuple[str, int, str]:
    lines = text.splitlines(keepends=True)
    wanted = old.split(newline)
    if wanted and wanted[-1] == "":
        wanted.pop()
    keys = [w.strip() for w in wanted]
    if not any(keys):
        raise ToolError(f"old (only whitespace) was not found in {shown}")
    n = len(keys)
    hits = [
        i
        for i in range(len(lines) - n + 1)
        if all(lines[i + k].strip() == keys[k] for k in range(n))
    ]
    if len(hits) > 1:
        raise ToolError(
            f"old does not match exactly, and matches {len(hits)} places in {shown} when "
            f"whitespace is ignored (lines {_listing([h + 1 for h in hits])}); "
            "copy the exact text and include more lines so it matches once"
        )
    if not hits:
        raise ToolError(_no_match(lines, wanted, shown))
    i = hits[0]
    replacement = _reindent(new, wanted, lines[i : i + n], newline)
    updated = "".join(lines[:i]) + replacement + "".join(lines[i + n :])
    return updated, i + 1, " (matched ignoring indentation and trailing whitespace)"


def _reindent(new: str, wanted: list[str], found: list[str], newline: str) -> str:
    """`new` shifted by the indentation difference between the file and the model's `old`."""
    if not new:
        return ""
    pairs = [(w, f) for w, f in zip(wanted, found, strict=False) if w.strip()]
    model_indent = _indent(pairs[0][0])
    file_indent = _indent(pairs[0][1])
    out = []
    for line in new.split(newline):
        if line.strip() and file_indent.startswith(model_indent):
            line = file_indent[len(model_indent) :] + line
        elif line.strip() and model_indent.startswith(file_indent):
            extra = model_indent[len(file_indent) :]
            line = line[len(extra) :] if line.startswith(extra) else line.lstrip()
        out.append(line)
    result = newline.join(out)
    if found[-1].endswith(("\n", "\r")) and not result.endswith(newline):
        result += newline
    return result


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _no_match(lines: list[str], wanted: list[str], shown: str) -> str:
    """The failure message, showing the file's lines closest to what the model asked for."""
    n = max(len(wanted), 1)
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2("\n".join(w.strip() for w in wanted))
    best, best_at = 0.0, -1
    for i in range(min(len(lines), MAX_FUZZY_SCAN_LINES) - n + 1):
        matcher.set_seq1("\n".join(line.strip() for line in lines[i : i + n]))
        if matcher.real_quick_ratio() > best and matcher.quick_ratio() > best:
            ratio = matcher.ratio()
            if ratio > best:
                best, best_at = ratio, i
    message = (
        f"old was not found in {shown}; copy it exactly from read_file output "
        "(without the line numbers)."
    )
    if best_at >= 0 and best >= 0.4:
        window = range(best_at, min(best_at + n, len(lines)))
        closest = numbered([lines[j].rstrip() for j in window], best_at + 1)
        message += (
            f"\nThe closest lines ({best:.0%} similar) are {best_at + 1}-{best_at + n}:\n{closest}"
        )
    return message


def _snippet(text: str, first_line: int, count: int) -> str:
    lines = text.splitlines()
    lo = max(first_line - 1 - CONTEXT_LINES, 0)
    hi = min(first_line - 1 + count + CONTEXT_LINES, len(lines))
    return numbered(lines[lo:hi], lo + 1)


def _listing(numbers: list[int]) -> str:
    numbers = list(dict.fromkeys(numbers))
    shown = ", ".join(map(str, numbers[:10]))
    return shown + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")
