"""search: regex or literal search over the workspace's files, gitignore-aware.

Tracked files are searched by `git grep` (fast, multi-threaded, skips binary files);
untracked, not ignored files, usually few, are searched here with Python's `re`. The
untracked listing is shared by the calls of one turn (`ctx.cached`), so a turn with
several searches walks the directory tree once.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

from agent.confine import LeavesWorkspace, WorkspaceFilter, read_bytes_inside
from agent.index.languages import language_for
from agent.index.parse import definition_spans
from agent.tools.context import ToolContext
from agent.tools.errors import ToolError
from agent.tools.paths import matches_glob, relative, resolve
from agent.tools.readonly_git import git, untracked_files
from agent.tools.registry import tool
from agent.tools.textfile import BINARY_SNIFF_BYTES, is_binary

MAX_TEXT_CHARS = 240
MAX_FILES_LISTED = 40
MAX_UNTRACKED_BYTES = 5_000_000
MAX_CONTEXT = 20
MAX_PARSED_BYTES = 1_000_000  # as the index: larger files get no definition notes


@tool(read_only=True, paths=("path",))
def search(
    ctx: ToolContext,
    pattern: str,
    literal: bool = False,
    case_sensitive: bool = True,
    path: str = "",
    glob: str = "",
    limit: int = 100,
    context: int = 0,
) -> str:
    """Search file contents for a Python regex (literal=true: plain text).

    Args:
        context: Lines around each match (grep -C), up to 20.
    """
    if not pattern:
        raise ToolError("pattern is empty")
    try:
        compiled = re.compile(
            re.escape(pattern) if literal else pattern, 0 if case_sensitive else re.IGNORECASE
        )
    except re.error as error:
        raise ToolError(
            f"bad regular expression {pattern!r}: {error}; "
            "pass literal=true to search for the text as written"
        ) from error
    under = relative(ctx.root, resolve(ctx.root, path)) if path.strip() else ""
    if under and not (ctx.root / under).exists():
        raise ToolError(f"{path!r} does not exist in the workspace")
    rows = _grep_tracked(ctx, pattern, literal, case_sensitive, _pathspec(under, glob))
    untracked = _search_untracked(ctx, compiled, under, glob)
    if untracked:
        rows = sorted(rows + untracked, key=lambda row: (row[0], int(row[1])))
    return _render(rows, max(limit, 1), ctx, min(max(context, 0), MAX_CONTEXT))


def _grep_tracked(
    ctx: ToolContext, pattern: str, literal: bool, case_sensitive: bool, pathspec: str
) -> list[tuple[str, ...]]:
    """(path, line, text) of each match in tracked files, via `git grep`."""
    args = ["grep", "-I", "-n", "-z", "--no-color", "--full-name"]
    args += ["-F"] if literal else [_regex_flag()]
    if not case_sensitive:
        args.append("-i")
    args += ["-e", pattern, "--", pathspec]
    out = git(ctx.root, *args, ok_codes=(0, 1)).decode("utf-8", errors="replace")
    rows = [tuple(r.split("\0", 2)) for r in out.splitlines() if r.count("\0") >= 2]
    # git grep follows a symlinked folder on the way to a tracked file; the sandbox cannot.
    inside = WorkspaceFilter(ctx.root)
    return [row for row in rows if inside.allows(row[0])]


def _pathspec(under: str, glob: str) -> str:
    prefix = f"{under}/" if under else ""
    if not glob:
        return under or "."
    return f":(glob){prefix}{glob if '/' in glob else '**/' + glob}"


def _search_untracked(
    ctx: ToolContext, compiled: re.Pattern, under: str, glob: str
) -> list[tuple[str, str, str]]:
    names = ctx.cached("untracked", lambda: untracked_files(ctx.root))
    rows = []
    for name in names:
        if under and name != under and not name.startswith(under + "/"):
            continue
        if glob and not matches_glob(name, glob):
            continue
        rows += _grep_file(ctx, name, compiled)
    return rows


def _grep_file(ctx: ToolContext, name: str, compiled: re.Pattern) -> list[tuple[str, str, str]]:
    try:
        data = read_bytes_inside(ctx.root, name, MAX_UNTRACKED_BYTES)
    except (OSError, LeavesWorkspace):
        return []
    if is_binary(data[:BINARY_SNIFF_BYTES]):
        return []
    text = data.decode("utf-8", errors="replace")
    return [
        (name, str(number), line)
        for number, line in enumerate(text.splitlines(), 1)
        if compiled.search(line)
    ]


@cache
def _regex_flag() -> str:
    """-P (Perl regexes, closest to Python's) when this git has PCRE, else -E."""
    import subprocess

    probe = subprocess.run(
        ["git", "grep", "--no-index", "-P", "-q", "x", "--", "/dev/null"],
        capture_output=True,
        check=False,
    )
    return "-E" if b"Perl" in probe.stderr else "-P"


def _render(rows: list[tuple], limit: int, ctx: ToolContext, context: int = 0) -> str:
    per_file = Counter(row[0] for row in rows)
    if not rows:
        return "No matches."
    shown = (
        _with_context(ctx, rows[:limit], context)
        if context
        else [f"{name}:{line}: {_clip(text)}" for name, line, text in rows[:limit]]
    )
    head = f"{len(rows)} matches in {len(per_file)} files"
    if len(rows) <= limit:
        return head + "\n" + "\n".join(shown)
    counts = ", ".join(f"{name} ({n})" for name, n in per_file.most_common(MAX_FILES_LISTED))
    if len(per_file) > MAX_FILES_LISTED:
        counts += f", and {len(per_file) - MAX_FILES_LISTED} more files"
    return (
        f"{head}; showing the first {limit}\n"
        + "\n".join(shown)
        + f"\n[... {len(rows) - limit} more matches not shown. Matches per file: {counts}."
        " Narrow with path, glob or a more specific pattern.]"
    )


def _clip(text: str) -> str:
    text = text.rstrip()  # indentation kept: edits quote lines exactly
    return text[:MAX_TEXT_CHARS] + " [...]" if len(text) > MAX_TEXT_CHARS else text


def _with_context(ctx: ToolContext, rows: list[tuple], context: int) -> list[str]:
    """Matches as `path:N: text` with `context` lines around them as `path-N- text`,
    `--` between groups that do not touch, as grep prints them; after a group that stops
    inside the definition holding one of its matches, where that definition ends."""
    out: list[str] = []
    by_file: dict[str, list[int]] = {}
    for name, line, _ in rows:
        by_file.setdefault(name, []).append(int(line))
    for name, hits in by_file.items():
        try:
            data = read_bytes_inside(ctx.root, name, MAX_UNTRACKED_BYTES)
        except (OSError, LeavesWorkspace):
            data = b""
        lines = data.decode("utf-8", errors="replace").splitlines()
        matched = sorted(set(hits))
        groups = _groups(matched, context, len(lines))
        notes = _cut_definitions(name, data, groups)
        for (start, end, _), note in zip(groups, notes, strict=True):
            if out:
                out.append("--")
            for number in range(start, end + 1):
                mark = ":" if number in matched else "-"
                out.append(f"{name}{mark}{number}{mark} {_clip(lines[number - 1])}")
            out += note
    return out


def _groups(hits: list[int], context: int, length: int) -> list[tuple[int, int, list[int]]]:
    """(first line, last line, matches) shown for sorted `hits`, joining groups that touch."""
    groups: list[tuple[int, int, list[int]]] = []
    for hit in hits:
        start, end = max(1, hit - context), min(length, hit + context)
        if start > end:  # the file shrank since git grep read it
            continue
        if groups and start <= groups[-1][1] + 1:
            groups[-1] = (groups[-1][0], max(groups[-1][1], end), [*groups[-1][2], hit])
        else:
            groups.append((start, end, [hit]))
    return groups


def _cut_definitions(
    name: str, data: bytes, groups: list[tuple[int, int, list[int]]]
) -> list[list[str]]:
    """For each group, a line naming each innermost definition holding one of its matches
    that goes on past the group's last line: `… Cart.total continues to line 40`."""
    language = language_for(name)
    if language is None or len(data) > MAX_PARSED_BYTES or not groups:
        return [[] for _ in groups]
    try:
        spans = definition_spans(data, language, groups[0][0], groups[-1][1])
    except Exception:  # the note is a help; the matches are shown without it
        return [[] for _ in groups]
    notes: list[list[str]] = []
    for _, end, hits in groups:
        cut: dict[str, int] = {}
        for hit in hits:
            holding = [span for span in spans if span[1] <= hit <= span[2]]
            if holding and holding[-1][2] > end:
                cut[".".join(span[0] for span in holding)] = holding[-1][2]
        notes.append([f"… {qualified} continues to line {last}" for qualified, last in cut.items()])
    return notes
