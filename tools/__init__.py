"""What the model may call: typed functions in a registry, run one turn at a time as a DAG.

registry = default_registry()
ctx = ToolContext(root, sandbox)
results = execute_turn(calls, registry, ctx)
"""

from __future__ import annotations

from agent.tools.context import ToolContext
from agent.tools.errors import ToolError
from agent.tools.executor import execute_turn
from agent.tools.registry import Registry, Tool, tool

__all__ = [
    "Registry",
    "Tool",
    "ToolContext",
    "ToolError",
    "default_registry",
    "execute_turn",
    "tool",
]


def default_registry() -> Registry:
    """Every tool the agent offers the model, in the order it is told about them."""
    from agent.tools.code import find_references, find_symbol, outline, repo_map
    from agent.tools.debug_tools import localize, trace_test
    from agent.tools.edit import edit_file
    from agent.tools.files import create_file, delete_file, list_files, read_file
    from agent.tools.finish import finish
    from agent.tools.run import run_command, run_tests
    from agent.tools.search import search

    return Registry(
        [
            read_file,
            list_files,
            search,
            find_symbol,
            find_references,
            outline,
            repo_map,
            edit_file,
            create_file,
            delete_file,
            run_command,
            run_tests,
            trace_test,
            localize,
            finish,
        ]
    )
