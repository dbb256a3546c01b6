"""The change reviewed by the model in one call: real defects as `file:line: severity: message`."""

from __future__ import annotations

import json
from dataclasses import dataclass

SEVERITIES = ("low", "medium", "high")
MAX_DIFF_CHARS = 60_000
SYSTEM = "You are a careful code reviewer who reports only real defects, as JSON lines."


@dataclass(frozen=True)
class Finding:
    """One defect the model reported."""

    file: str
    line: int
    severity: str
    message: str

    def render(self) -> str:
        """`file:line: severity: message`."""
        return f"{self.file}:{self.line}: {self.severity}: {self.message}"

    def at_least(self, level: str) -> bool:
        """True when this finding is as severe as `level` or more."""
        return SEVERITIES.index(self.severity) >= SEVERITIES.index(level)


def review_request(diff: str, files: list[str], pushed: bool):
    """The one request of a review: the instructions and the diff, no tools."""
    from agent import prompts
    from agent.messages import Message, ModelRequest, Text

    cut = MAX_DIFF_CHARS if len(diff) > MAX_DIFF_CHARS else 0
    text = prompts.render("review", diff=diff[:MAX_DIFF_CHARS], files=files, cut=cut, pushed=pushed)
    return ModelRequest(
        system=SYSTEM,
        messages=[Message("user", [Text(text)])],
        tools=[],
        max_tokens=4096,
        temperature=0.0,
    )


def parse_findings(text: str) -> list[Finding]:
    """The findings in the model's answer; lines that are not a finding are ignored."""
    findings = []
    for raw in text.splitlines():
        line = raw.strip().rstrip(",")
        if not line.startswith("{"):
            continue
        try:
            item = json.loads(line)
        except ValueError:
            continue
        finding = _finding(item)
        if finding is not None:
            findings.append(finding)
    return findings


def _finding(item: object) -> Finding | None:
    if not isinstance(item, dict):
        return None
    severity = str(item.get("severity", "")).strip().lower()
    message = " ".join(str(item.get("message", "")).split())
    if severity not in SEVERITIES or not message or not item.get("file"):
        return None
    try:
        line = max(int(item.get("line", 1)), 1)
    except (TypeError, ValueError):
        line = 1
    return Finding(str(item["file"]).removeprefix("./").removeprefix("b/"), line, severity, message)
