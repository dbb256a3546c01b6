"""search: regex or literal search over the workspace's files, gitignore-aware, via `git grep`."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

from tools.context import ToolContext
from tools.errors import ToolError
from tools.git import git
from tools.paths import relative, resolve
from tools.registry import tool

MAX_TEXT_CHARS = 240
MAX_FILES_LISTED = 40


@tool(read_only=True, paths=("path",))
def search(
    ctx: ToolContext,
    pattern: str,
    literal: bool = False,
    case_sensitive: bool = True,
    path: str = "",
    glob: str = "",
    limit: int = 100,
) -> str:
    """Search file contents for a regular expression (or a literal string).

    Skips gitignored and binary files. Prints `path:line: text`; when there are more
    matches than the limit, says how many there are in each file.

    Args:
        pattern: A Python-style regular expression, or plain text with literal=true.
        literal: Treat the pattern as plain text, not a regular expression.
        case_sensitive: Match case exactly.
        path: Only search under this directory or in this file.
        glob: Only search files matching this pattern, e.g. "*.py" or "src/**/*.ts".
        limit: Show at most this many matching lines.
    """
    if not pattern:
        raise ToolError("pattern is empty")
    if not literal:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ToolError(f"bad regular expression {pattern!r}: {error}; "
                            "pass literal=true to search for the text as written") from error
    args = ["grep", "--untracked", "-I", "-n", "-z", "--no-color", "--full-name"]
    args += ["-F"] if literal else [_regex_flag()]
    if not case_sensitive:
        args.append("-i")
    args += ["-e", pattern, "--", *_pathspecs(ctx, path, glob)]
    out = git(ctx.root, *args, ok_codes=(0, 1))
    return _render(out.decode("utf-8", errors="replace"), max(limit, 1))


def _pathspecs(ctx: ToolContext, path: str, glob: str) -> list[str]:
    under = relative(ctx.root, resolve(ctx.root, path)) if path.strip() else ""
    if not glob:
        return [under] if under else ["."]
    prefix = f"{under}/" if under else ""
    if "/" not in glob:
        return [f":(glob){prefix}**/{glob}"]
    return [f":(glob){prefix}{glob}"]


@cache
def _regex_flag() -> str:
    """-P (Perl regexes, closest to Python's) when this git has PCRE, else -E."""
    import subprocess

    probe = subprocess.run(["git", "grep", "--no-index", "-P", "-q", "x", "--", "/dev/null"],
                           capture_output=True, check=False)
    return "-E" if b"Perl" in probe.stderr else "-P"


def _render(out: str, limit: int) -> str:
    rows, per_file = [], Counter()
    for record in out.splitlines():
        name, _, rest = record.partition("\0")
        line, _, text = rest.partition("\0")
        per_file[name] += 1
        if len(rows) < limit:
            if len(text) > MAX_TEXT_CHARS:
                text = text[:MAX_TEXT_CHARS] + " [...]"
            rows.append(f"{name}:{line}: {text.strip()}")
    total = sum(per_file.values())
    if not total:
        return "No matches."
    head = f"{total} matches in {len(per_file)} files"
    if total <= limit:
        return head + "\n" + "\n".join(rows)
    counts = ", ".join(f"{name} ({n})" for name, n in per_file.most_common(MAX_FILES_LISTED))
    if len(per_file) > MAX_FILES_LISTED:
        counts += f", and {len(per_file) - MAX_FILES_LISTED} more files"
    return (f"{head}; showing the first {limit}\n" + "\n".join(rows)
            + f"\n[... {total - limit} more matches not shown. Matches per file: {counts}."
            " Narrow with path, glob or a more specific pattern.]")
