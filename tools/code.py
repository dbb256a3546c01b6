"""Tools over the repository index: definitions, references, outlines and the ranked map."""

from __future__ import annotations

from collections import Counter

from agent.tools.context import ToolContext
from agent.tools.errors import ToolError
from agent.tools.paths import relative, resolve
from agent.tools.registry import tool

MAX_DEFINITIONS = 30
SHOWN_DEFINITIONS = 2  # this many or fewer: each short one comes with its source
SHOWN_LINES = 60


@tool(read_only=True)
def find_symbol(ctx: ToolContext, name: str) -> str:
    """Where a name (or "Class.method") is defined, short ones with their source."""
    symbols = ctx.index.definitions(name.strip())
    if not symbols:
        return f"No definition of {name!r} found. Try search for the text instead."
    rows = [
        f"{s.path}:{s.line}-{s.end_line}: {s.kind} {s.qualified_name}\n    {_first_line(s.signature)}"
        for s in symbols[:MAX_DEFINITIONS]
    ]
    more = len(symbols) - len(rows)
    tail = f"\n[... {more} more definitions not shown]" if more > 0 else ""
    if len(symbols) <= SHOWN_DEFINITIONS:
        from agent.tools.files import read_file

        tail += "".join(
            f"\n\n{read_file(ctx, s.path, s.line, s.end_line)}"
            for s in symbols
            if s.end_line - s.line < SHOWN_LINES
        )
    return f"{len(symbols)} definition(s) of {name!r}:\n" + "\n".join(rows) + tail


@tool(read_only=True)
def find_references(ctx: ToolContext, name: str, limit: int = 100) -> str:
    """Where a name is used: calls, attributes, imports, base classes, decorators.

    Args:
        name: A name, or "Class.method".
    """
    refs = ctx.index.references(name.strip())
    if not refs:
        return f"No references to {name!r} found. Try search for the text instead."
    rows = [f"{r.path}:{r.line}: {r.kind}" for r in refs[: max(limit, 1)]]
    text = f"{len(refs)} reference(s) to {name!r}:\n" + "\n".join(rows)
    if len(refs) > len(rows):
        per_file = Counter(r.path for r in refs).most_common(20)
        counts = ", ".join(f"{path} ({n})" for path, n in per_file)
        text += f"\n[... {len(refs) - len(rows)} more not shown. Per file: {counts}]"
    return text


@tool(read_only=True, paths=("path",))
def outline(ctx: ToolContext, path: str) -> str:
    """The classes, functions and methods a file defines, with their line ranges."""
    target = resolve(ctx.root, path)
    if not target.is_file():
        raise ToolError(f"{path!r} is not a file in the workspace")
    shown = relative(ctx.root, target)
    symbols = ctx.index.outline(shown)
    if not symbols:
        return f"{shown}: no definitions found (or the language is not indexed)."
    return f"{shown}:\n{format_outline(symbols)}"


def format_outline(symbols: list) -> str:
    """One line per definition, indented by nesting: `12-40: class Session:`."""
    return "\n".join(
        f"{'  ' * _depth(s.scope)}{s.line}-{s.end_line}: "
        f"{_first_line(s.signature) or s.kind + ' ' + s.name}"
        for s in symbols
    )


@tool(read_only=True)
def repo_map(ctx: ToolContext, focus: list[str] | None = None, tokens: int = 1024) -> str:
    """A ranked map of the repository's main files and definitions.

    Args:
        focus: Paths or names to rank higher.
    """
    text = ctx.index.repo_map(focus=tuple(focus or ()), tokens=max(tokens, 64))
    return text or "The repository has no indexed source files."


def _first_line(signature: str) -> str:
    return signature.strip().splitlines()[0] if signature.strip() else ""


def _depth(scope: str) -> int:
    return scope.count(".") + 1 if scope else 0
