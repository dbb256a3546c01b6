"""Our events as ACP `session/update` payloads: the plan, message chunks, tool calls with
their status and locations, the diff of each edit, test runs as tool output.

`UpdateTranslator` keeps the little state the mapping needs (which tool call edited a path,
whether the model's text already streamed), so each event becomes zero or more updates.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from acp import helpers
from acp.schema import ToolCallLocation

from agent import events as ev

TOOL_KINDS = {
    "read_file": "read",
    "list_files": "search",
    "search": "search",
    "find_symbol": "search",
    "find_references": "search",
    "outline": "read",
    "repo_map": "read",
    "edit_file": "edit",
    "create_file": "edit",
    "delete_file": "delete",
    "run_command": "execute",
    "run_tests": "execute",
    "trace_test": "execute",
    "localize": "search",
    "submit_plan": "think",
    "reproduced": "think",
    "finish": "think",
}
PLAN_STATUS = {
    "pending": "pending",
    "running": "in_progress",
    "done": "completed",
    "failed": "completed",
}
MAX_OUTPUT_CHARS = 20_000  # what a client is sent of one tool's output


TITLE_CHARS = 120


def tool_title(name: str, arguments: dict) -> str:
    """A short line naming the call: the tool and its path, command or pattern; a value
    cut short says so, as the person may be asked to allow the call by this line."""
    for key in ("path", "command", "pattern", "test_id", "query", "dir"):
        value = arguments.get(key)
        if isinstance(value, str) and value.strip():
            first, *rest = value.strip().splitlines()
            more = sum(1 for line in rest if line.strip())
            cut = " [...]" if len(first) > TITLE_CHARS else ""
            lines = f" [+{more} more line{'s' if more > 1 else ''}]" if more else ""
            return f"{name} {first[:TITLE_CHARS]}{cut}{lines}"
    return name


def tool_locations(root: Path, arguments: dict) -> list[ToolCallLocation] | None:
    """The file a call works on, as the absolute path (and line) an editor can follow."""
    from agent.tools.errors import ToolError
    from agent.tools.paths import relative, resolve

    path = arguments.get("path")
    if not isinstance(path, str) or not path.strip():
        return None
    try:  # only a path inside the workspace is offered to the editor
        inside = relative(root, resolve(root, path))
    except (ToolError, ValueError):
        return None
    line = arguments.get("start")
    return [ToolCallLocation(path=str(root / inside), line=line if isinstance(line, int) else None)]


def diff_texts(diff: str) -> tuple[str, str]:
    """The changed region of a one-file unified diff as (old text, new text): each hunk's
    context and removed lines, and its context and added lines."""
    old: list[str] = []
    new: list[str] = []
    in_hunk = False
    for line in diff.splitlines():
        if line.startswith("@@"):
            if in_hunk:
                old.append("…")
                new.append("…")
            in_hunk = True
        elif in_hunk and line[:1] in (" ", "-", "+"):
            if line[0] != "+":
                old.append(line[1:])
            if line[0] != "-":
                new.append(line[1:])
    return "\n".join(old) + ("\n" if old else ""), "\n".join(new) + ("\n" if new else "")


class UpdateTranslator:
    """Turns one session's events into ACP session updates."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._streamed = False  # the model's text of this turn already went out in chunks
        self._editing: dict[str, str] = {}  # repo-relative path -> the call that edited it
        self._tests = 0

    def updates(self, event: ev.Event) -> list:
        """The updates for `event` (none for events a client has no place for)."""
        handler = getattr(self, f"_{event.kind}", None)
        return handler(event) if handler is not None else []

    def _plan_updated(self, event: ev.PlanUpdated) -> list:
        entries = [
            helpers.plan_entry(step, status=PLAN_STATUS.get(status, "pending"))
            for step, status in zip(event.steps, event.statuses, strict=False)
        ]
        return [helpers.update_plan(entries)]

    def _model_text(self, event: ev.ModelText) -> list:
        if event.delta:
            self._streamed = True
            return [helpers.update_agent_message_text(event.text)]
        streamed, self._streamed = self._streamed, False
        return [] if streamed else [helpers.update_agent_message_text(event.text + "\n")]

    def _phase_changed(self, event: ev.PhaseChanged) -> list:
        detail = f": {event.detail}" if event.detail else ""
        return [helpers.update_agent_thought_text(f"{event.phase}{detail}\n\n")]

    def _tool_call_started(self, event: ev.ToolCallStarted) -> list:
        path = event.arguments.get("path")
        if TOOL_KINDS.get(event.name) in ("edit", "delete") and isinstance(path, str):
            self._editing[str(PurePosixPath(path.strip()))] = event.call_id
        return [
            helpers.start_tool_call(
                event.call_id,
                tool_title(event.name, event.arguments),
                kind=TOOL_KINDS.get(event.name, "other"),
                status="in_progress",
                locations=tool_locations(self.root, event.arguments),
                raw_input=event.arguments,
            )
        ]

    def _tool_call_finished(self, event: ev.ToolCallFinished) -> list:
        text = event.output[:MAX_OUTPUT_CHARS]
        return [
            helpers.update_tool_call(
                event.call_id,
                status="failed" if event.is_error else "completed",
                content=[helpers.tool_content(helpers.text_block(text))] if text else None,
            )
        ]

    def _edit_applied(self, event: ev.EditApplied) -> list:
        old, new = diff_texts(event.diff)
        content = [
            helpers.tool_diff_content(
                str(self.root / event.path), new, None if "--- /dev/null" in event.diff else old
            )
        ]
        locations = [ToolCallLocation(path=str(self.root / event.path))]
        call_id = self._editing.pop(event.path, None)
        if call_id is not None:
            return [helpers.update_tool_call(call_id, content=content, locations=locations)]
        return [
            helpers.start_tool_call(
                f"edit-{event.checkpoint[:12]}-{event.path}",
                f"edited {event.path}",
                kind="edit",
                status="completed",
                content=content,
                locations=locations,
            )
        ]

    def _tests_run(self, event: ev.TestsRun) -> list:
        self._tests += 1
        ok = event.failed == 0 and event.errors == 0 and event.exit_code == 0
        title = f"tests: {event.passed} passed, {event.failed} failed" + (
            f", {event.errors} errors" if event.errors else ""
        )
        lines = [f"$ {event.command}", title, *event.failures]
        if event.output:
            lines.append(event.output[:MAX_OUTPUT_CHARS])
        return [
            helpers.start_tool_call(
                f"tests-{self._tests}",
                title,
                kind="execute",
                status="completed" if ok else "failed",
                content=[helpers.tool_content(helpers.text_block("\n".join(lines)))],
            )
        ]

    def _question_asked(self, event: ev.QuestionAsked) -> list:
        said = event.assumption or f"{event.question} ({' / '.join(event.options)})"
        return [helpers.update_agent_message_text(f"\n{said}\n")]

    def _finished(self, event: ev.Finished) -> list:
        summary = f"\n{event.summary}" if event.summary else ""
        return [
            helpers.update_agent_message_text(f"\n[{event.status}: {event.stop_reason}]{summary}\n")
        ]
