"""Tools as plain typed functions: schema from signature and docstring, a registry that checks calls.

    @tool(read_only=True, paths=("path",))
    def read_file(ctx: ToolContext, path: str, start: int = 1) -> str:
        '''Show a file with line numbers.

        Args:
            path: File to show, relative to the repository root.
            start: First line to show (1-based).
        '''

`paths` names the arguments that say which files a call touches (the executor orders
conflicting calls by them); a tool without `paths` may touch anything in the workspace.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Union

from agent.errors import SessionEnding
from agent.messages import ToolCall, ToolResult, ToolSpec, arguments_error
from agent.tools.errors import ToolError
from agent.tools.output import cap
from agent.tools.paths import display

if TYPE_CHECKING:
    from agent.tools.context import ToolContext

_JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean"}
_MISSING = inspect.Parameter.empty


SPELLED_DEFAULTS = {"timeout"}


@dataclass(frozen=True)
class Param:
    """One argument of a tool, as the model sees it."""

    name: str
    annotation: Any
    schema: dict[str, Any]
    required: bool
    default: Any
    description: str

    def describe(self) -> str:
        """`path (string, required)` or `start (integer, default 1)`."""
        kind = self.schema.get("type", "any")
        if "enum" in self.schema:
            kind = "one of " + "|".join(map(str, self.schema["enum"]))
        status = (
            "required"
            if self.required
            else ("optional" if self.default is None else f"default {self.default!r}")
        )
        return f"{self.name} ({kind}, {status})"


@dataclass(frozen=True)
class Tool:
    """A function the model may call, with its schema and whether it only reads."""

    name: str
    description: str
    func: Callable[..., str]
    read_only: bool
    params: tuple[Param, ...]
    path_args: tuple[str, ...] | None
    # A JSON schema given as is (an MCP server's tool); its arguments are the server's to check.
    input_schema: dict[str, Any] | None = None

    def __call__(self, ctx: ToolContext, *args: object, **kwargs: object) -> str:
        return self.func(ctx, *args, **kwargs)

    def spec(self) -> ToolSpec:
        """The tool as a `ToolSpec` for the model."""
        if self.input_schema is not None:
            return ToolSpec(self.name, self.description, self.input_schema)
        properties = {}
        for p in self.params:
            schema = dict(p.schema)
            if p.description:
                schema["description"] = p.description
            # Of the defaults, only how long a run may take is worth its characters: the
            # model raises it for a slow command; a start line or a result cap it takes as read.
            if p.name in SPELLED_DEFAULTS and not p.required:
                schema["default"] = p.default
            properties[p.name] = schema
        required = [p.name for p in self.params if p.required]
        # No "additionalProperties": check_arguments names any unexpected argument.
        schema = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        return ToolSpec(self.name, self.description, schema)

    def footprint(self, arguments: dict[str, Any], root: Path) -> tuple[str, ...]:
        """Repo-relative paths this call touches; `("",)` means the whole workspace."""
        if self.path_args is None:
            return ("",)
        found = []
        for name in self.path_args:
            value = arguments.get(name) or ""
            found.append(display(root, value) if value else "")
        return tuple(found)

    def signature_help(self) -> str:
        """The expected parameters, for error messages."""
        if self.input_schema is not None:
            names = self.input_schema.get("properties") or {}
            return f"Expected parameters of {self.name}: {', '.join(names) or 'none'}."
        listed = ", ".join(p.describe() for p in self.params) or "none"
        return f"Expected parameters of {self.name}: {listed}."


def tool(
    *, read_only: bool, paths: tuple[str, ...] | None = None, name: str | None = None
) -> Callable[[Callable[..., str]], Tool]:
    """Turn a typed, documented function `f(ctx, ...) -> str` into a `Tool`."""

    def wrap(func: Callable[..., str]) -> Tool:
        summary, arg_docs = parse_docstring(inspect.getdoc(func) or "")
        if not summary:
            raise TypeError(f"tool {func.__name__} needs a docstring")
        hints = typing.get_type_hints(func)
        params = []
        for p in list(inspect.signature(func).parameters.values())[1:]:
            annotation = hints.get(p.name, str)
            params.append(
                Param(
                    p.name,
                    annotation,
                    schema_for(annotation),
                    p.default is _MISSING,
                    None if p.default is _MISSING else p.default,
                    arg_docs.get(p.name, ""),
                )
            )
        return Tool(name or func.__name__, summary, func, read_only, tuple(params), paths)

    return wrap


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """The prose before `Args:` (the first paragraph leads) and the `Args:` entries."""
    parts = re.split(r"^\s*Args:\s*$", doc.strip(), maxsplit=1, flags=re.MULTILINE)
    prose, arg_block = parts[0], parts[1] if len(parts) > 1 else ""
    paragraphs = [
        " ".join(line.strip() for line in block.splitlines())
        for block in prose.strip().split("\n\n")
        if block.strip()
    ]
    return "\n\n".join(paragraphs), _parse_args_block(arg_block)


def _parse_args_block(block: str) -> dict[str, str]:
    """`name: text` entries; deeper-indented lines continue the entry above."""
    args: dict[str, str] = {}
    entry_indent, current = None, None
    for line in block.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        indent = len(line) - len(line.lstrip())
        entry_indent = indent if entry_indent is None else entry_indent
        if indent < entry_indent:
            break  # the next section (Returns:, Raises:) or the end of Args
        match = re.match(r"(\w+)(?:\s*\([^)]*\))?:\s*(.*)$", stripped)
        if indent == entry_indent and match:
            current = match.group(1)
            args[current] = match.group(2)
        elif current:
            args[current] = f"{args[current]} {stripped}"
    return args


def schema_for(annotation: Any) -> dict[str, Any]:
    """JSON schema of a parameter type: str/int/float/bool, list[str], Optional, Literal."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1:
            raise TypeError(f"unsupported union {annotation!r}")
        return schema_for(rest[0])
    if origin is Literal:
        return {"type": _JSON_TYPES[type(args[0])], "enum": list(args)}
    if origin is list:
        return {"type": "array", "items": schema_for(args[0] if args else str)}
    if annotation in _JSON_TYPES:
        return {"type": _JSON_TYPES[annotation]}
    raise TypeError(f"unsupported tool parameter type {annotation!r}")


class Registry:
    """The tools the model may call, by name, with argument checking and safe execution."""

    def __init__(self, tools: typing.Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for t in tools:
            self.add(t)

    def add(self, new: Tool) -> None:
        """Register a tool; names are unique."""
        if new.name in self._tools:
            raise ValueError(f"tool {new.name!r} is already registered")
        self._tools[new.name] = new

    def get(self, name: str) -> Tool | None:
        """The tool called `name`, or None."""
        return self._tools.get(name)

    def tools(self) -> list[Tool]:
        """All tools, in registration order."""
        return list(self._tools.values())

    def specs(self) -> list[ToolSpec]:
        """What the model is told about every tool."""
        return [t.spec() for t in self._tools.values()]

    def check(self, call: ToolCall) -> tuple[Tool, dict[str, Any]]:
        """The tool and its checked arguments, or a ToolError the model can read."""
        problem = arguments_error(call)
        if problem:  # the model's arguments were not valid JSON: say so, with the parse error
            raise ToolError(problem)
        found = self._tools.get(call.name)
        if found is None:
            raise ToolError(
                f"unknown tool {call.name!r}; available tools: {', '.join(self._tools)}"
            )
        return found, check_arguments(found, call.arguments)

    def run(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        """Run one call; every failure becomes an error result, output is capped."""
        limit = getattr(ctx, "max_output_chars", None) or 20_000
        try:
            found, arguments = self.check(call)
            output = found.func(ctx, **arguments)
        except ToolError as error:
            return ToolResult(call.id, cap(str(error), limit), is_error=True)
        except SessionEnding:
            raise
        except Exception as error:  # a tool's bug must not crash the agent
            message = f"{call.name} failed: {type(error).__name__}: {error}"
            return ToolResult(call.id, cap(message, limit), is_error=True)
        return ToolResult(call.id, cap(str(output), limit))


def check_arguments(found: Tool, arguments: object) -> dict[str, Any]:
    """Arguments checked against the tool's parameters (ints accepted where floats are)."""
    if not isinstance(arguments, dict):
        raise ToolError(f"arguments must be a JSON object. {found.signature_help()}")
    if found.input_schema is not None:
        missing = [n for n in found.input_schema.get("required") or () if n not in arguments]
        if missing:
            raise ToolError(
                f"{found.name}: missing required argument {missing[0]!r}. {found.signature_help()}"
            )
        return dict(arguments)
    known = {p.name: p for p in found.params}
    extra = sorted(set(arguments) - set(known))
    missing = [p.name for p in found.params if p.required and p.name not in arguments]
    problems = [f"unexpected argument {name!r}" for name in extra]
    problems += [f"missing required argument {name!r}" for name in missing]
    checked = {}
    for name, value in arguments.items():
        if name in known:
            try:
                checked[name] = _coerce(value, known[name].annotation)
            except ValueError as why:
                problems.append(f"argument {name!r} {why}")
    if problems:
        raise ToolError(f"{found.name}: {'; '.join(problems)}. {found.signature_help()}")
    return checked


def _coerce(value: object, annotation: Any) -> object:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        return _coerce(value, next(a for a in args if a is not type(None)))
    if origin is Literal:
        if value not in args:
            raise ValueError(f"must be one of {', '.join(map(repr, args))}, not {value!r}")
        return value
    if origin is list:
        item = args[0] if args else str
        if not isinstance(value, list):
            raise ValueError(f"must be a list, not {_json_type(value)}")
        return [_coerce(v, item) for v in value]
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if annotation is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if annotation in _JSON_TYPES and (
        not isinstance(value, annotation) or (annotation is int and isinstance(value, bool))
    ):
        raise ValueError(f"must be {_JSON_TYPES[annotation]}, not {_json_type(value)}")
    return value


def _json_type(value: object) -> str:
    names = {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "array",
        dict: "object",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)
