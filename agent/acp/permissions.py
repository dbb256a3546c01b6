"""Suggest mode's approvals as `session/request_permission`: allow once, always for this
session, or reject; a rejection's reason reaches the model as the call's result.

ACP's answer carries only the chosen option, so a client says why through the answer's
`_meta` (`{"reason": "..."}`); without one the model reads that the person rejected it.
"""

from __future__ import annotations

from pathlib import Path

from acp.schema import PermissionOption, ToolCallUpdate

from agent.acp.updates import TOOL_KINDS, tool_locations, tool_title
from agent.oversight import Pending, Verdict

ALLOW_ONCE, ALLOW_ALWAYS, REJECT = "allow_once", "allow_always", "reject_once"
OPTIONS = (
    PermissionOption(option_id=ALLOW_ONCE, name="Allow once", kind="allow_once"),
    PermissionOption(
        option_id=ALLOW_ALWAYS, name="Always allow this tool in this session", kind="allow_always"
    ),
    PermissionOption(option_id=REJECT, name="Reject", kind="reject_once"),
)
NO_REASON = "the person rejected it in the editor without saying why"


def permission_request(pending: Pending, root: Path) -> dict:
    """The `session/request_permission` arguments (less the session id) for a waiting call."""
    call = pending.call
    tool_call = ToolCallUpdate(
        tool_call_id=call.id,
        title=tool_title(call.name, call.arguments),
        kind=TOOL_KINDS.get(call.name, "other"),
        status="pending",
        locations=tool_locations(root, call.arguments),
        raw_input=call.arguments,
    )
    return {"tool_call": tool_call, "options": list(OPTIONS)}


def verdict_of(response) -> Verdict:
    """The person's answer (a RequestPermissionResponse) as an Oversight verdict: a
    cancelled request stops the run at its next safe point."""
    outcome = response.outcome
    if outcome.outcome == "cancelled":
        return Verdict("interrupt")
    chosen = outcome.option_id
    if chosen == ALLOW_ONCE:
        return Verdict("approve")
    if chosen == ALLOW_ALWAYS:
        return Verdict("always")
    meta = response.field_meta or {}
    reason = meta.get("reason") if isinstance(meta.get("reason"), str) else ""
    return Verdict("reject", feedback=reason.strip() or NO_REASON)
