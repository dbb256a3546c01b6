"""The registry: schemas from signatures and docstrings, argument checks, errors, output caps."""

from __future__ import annotations

from typing import Literal

from agent.messages import ToolCall
from agent.tools import Registry, default_registry, tool
from agent.tools.output import cap
from tests.test_tools_helpers import make_ctx, make_repo


@tool(read_only=True)
def sample(
    ctx,
    path: str,
    count: int = 3,
    ratio: float = 0.5,
    loud: bool = False,
    mode: Literal["fast", "slow"] = "fast",
    names: list[str] | None = None,
    limit: int | None = None,
    timeout: int = 30,
) -> str:
    """Do a sample thing.

    A second paragraph with details.

    Args:
        path: Where to look.
        count: How many, described over
            two lines. Note: still count.
        ratio: A fraction.
        loud: Shout.
        mode: Speed.
        names: Some names.
        limit: Optional cap.

    Returns:
        text: not a parameter.
    """
    return f"{path} {count} {ratio} {loud} {mode} {names} {limit}"


@tool(read_only=False)
def explode(ctx, message: str) -> str:
    """Raise an error from inside a tool.

    Args:
        message: What to raise.
    """
    raise RuntimeError(message)


@tool(read_only=True)
def chatty(ctx, size: int) -> str:
    """Return a lot of output.

    Args:
        size: How many numbered lines.
    """
    return "\n".join(f"line {i}" for i in range(size))


def test_schema_comes_from_signature_and_docstring():
    spec = sample.spec()
    assert spec.name == "sample"
    assert spec.description.startswith("Do a sample thing.\n\nA second paragraph")
    props = spec.input_schema["properties"]
    assert props["path"] == {"type": "string", "description": "Where to look."}
    assert props["count"] == {  # a default the model takes as read is not spelled out
        "type": "integer",
        "description": "How many, described over two lines. Note: still count.",
    }
    assert props["timeout"] == {"type": "integer", "default": 30}  # ... how long a run may take is
    assert props["ratio"]["type"] == "number"
    assert props["loud"] == {"type": "boolean", "description": "Shout."}  # off unless given
    assert props["mode"]["enum"] == ["fast", "slow"]
    assert props["names"] == {
        "type": "array",
        "items": {"type": "string"},
        "description": "Some names.",
    }
    assert props["limit"]["type"] == "integer" and "default" not in props["limit"]
    assert spec.input_schema["required"] == ["path"]
    assert "text" not in props and props["limit"]["description"] == "Optional cap."
    assert set(spec.input_schema) == {"type", "properties", "required"}
    assert sample.read_only and not explode.read_only


def _run(registry, ctx, name, **arguments):
    return registry.run(ToolCall("c1", name, arguments), ctx)


def test_arguments_are_checked_with_readable_errors(tmp_path):
    ctx = make_ctx(make_repo(tmp_path, {"a.txt": "a\n"}))
    registry = Registry([sample, explode, chatty])
    ok = _run(registry, ctx, "sample", path="x", count=2.0, ratio=1, names=["a"], mode="slow")
    assert not ok.is_error and ok.content == "x 2 1.0 False slow ['a'] None"
    assert ok.call_id == "c1"

    unknown = _run(registry, ctx, "smaple", path="x")
    assert unknown.is_error and "unknown tool 'smaple'" in unknown.content
    assert "sample, explode, chatty" in unknown.content

    bad = _run(registry, ctx, "sample", count="3", extra=1, mode="medium", names="a")
    assert bad.is_error
    expected_help = (
        "Expected parameters of sample: path (string, required), count (integer, default 3)"
    )
    for expected in (
        "missing required argument 'path'",
        "unexpected argument 'extra'",
        "'count' must be integer, not string",
        "'mode' must be one of 'fast', 'slow'",
        "'names' must be a list",
        expected_help,
    ):
        assert expected in bad.content
    assert _run(registry, ctx, "sample", path="x", loud=1).is_error
    assert _run(registry, ctx, "sample", path="x", count=True).is_error


def test_a_raising_tool_becomes_an_error_result(tmp_path):
    ctx = make_ctx(make_repo(tmp_path, {"a.txt": "a\n"}))
    result = _run(Registry([explode]), ctx, "explode", message="kaboom")
    assert result.is_error
    assert result.content == "explode failed: RuntimeError: kaboom"


def test_output_is_capped_head_and_tail_with_a_marker(tmp_path):
    ctx = make_ctx(make_repo(tmp_path, {"a.txt": "a\n"}), max_output_chars=2000)
    result = _run(Registry([chatty]), ctx, "chatty", size=5000)
    assert len(result.content) <= 2000
    assert result.content.startswith("line 0\nline 1\n")
    assert result.content.endswith("line 4999")
    assert "characters (" in result.content and "cut from the middle" in result.content


def test_cap_keeps_short_text_and_cuts_on_line_boundaries():
    assert cap("short", 100) == "short"
    text = "".join(f"{i:04d}\n" for i in range(1000))
    capped = cap(text, 500)
    lines = capped.splitlines()
    assert lines[0] == "0000" and lines[-1] == "0999"
    assert all(len(line) == 4 for line in lines if not line.startswith("[..."))


def test_default_registry_offers_every_tool_with_its_mode():
    registry = default_registry()
    modes = {t.name: t.read_only for t in registry.tools()}
    expected = {
        "read_file": True,
        "list_files": True,
        "search": True,
        "find_symbol": True,
        "find_references": True,
        "outline": True,
        "repo_map": True,
        "edit_file": False,
        "create_file": False,
        "delete_file": False,
        "run_command": False,
        "run_tests": False,
        "finish": True,
    }
    assert {name: modes[name] for name in expected} == expected
    assert [s.name for s in registry.specs()] == list(modes)
