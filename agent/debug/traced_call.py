"""One recorded call and the bytecode facts the tracer needs about generator frames."""

from __future__ import annotations

import dis
from collections import deque
from types import CodeType, FrameType
from typing import Any

_RESUME = dis.opmap.get("RESUME", -1)
_YIELD_VALUE = dis.opmap.get("YIELD_VALUE", -1)
KEEP_FIRST = 3  # executions of each line kept from the start...
KEEP_LAST = 3  # ...and from the end


class CallRecord:
    """One call (or generator resume) of a function under the root."""

    __slots__ = (
        "args",
        "children",
        "cur_line",
        "detail",
        "exc",
        "first",
        "func",
        "id",
        "kind",
        "last",
        "line",
        "parent",
        "path",
        "pending",
        "prev",
        "ret",
        "seen",
        "seq",
        "site",
    )

    def __init__(
        self,
        cid: int,
        parent: CallRecord | None,
        func: str,
        path: str,
        line: int,
        site: str,
        kind: str,
        detail: bool,
    ) -> None:
        self.id, self.parent, self.func, self.path, self.line = cid, parent, func, path, line
        self.site, self.kind, self.detail = site, kind, detail
        self.args: dict[str, str] = {}
        self.ret: str | None = None
        self.exc: dict[str, Any] | None = None
        self.pending: dict[str, Any] | None = None
        self.children: list[CallRecord] = []
        self.seq = 0
        self.seen: dict[int, int] = {}
        self.first: list[list[Any]] = []
        self.last: dict[int, deque] = {}
        self.prev: dict[str, tuple[int, str]] = {}
        self.cur_line: int | None = None

    def steps(self) -> list[list[Any]]:
        """Kept steps [seq, line, {name: repr}] in order, first and last runs of each line."""
        kept = {s[0]: s for s in self.first}
        for tail in self.last.values():
            kept.update((s[0], s) for s in tail)
        return [kept[k] for k in sorted(kept)]

    def record(self, line: int, changes: dict[str, str]) -> None:
        """Note one executed line; keep it if among the first or last runs of that line."""
        self.seq += 1
        step = [self.seq, line, changes]
        count = self.seen.get(line, 0) + 1
        self.seen[line] = count
        if count <= KEEP_FIRST:
            self.first.append(step)
        else:
            self.last.setdefault(line, deque(maxlen=KEEP_LAST)).append(step)


_BYTECODE: dict[CodeType, bytes] = {}


def _bytecode(code: CodeType) -> bytes:
    # co_code builds a fresh copy on every access (3.11+): keep one per generator.
    found = _BYTECODE.get(code)
    if found is None:
        found = _BYTECODE[code] = code.co_code
    return found


def is_yield(frame: FrameType) -> bool:
    try:
        return _bytecode(frame.f_code)[frame.f_lasti] == _YIELD_VALUE
    except IndexError:
        return False


def resumed(frame: FrameType) -> bool:
    """A generator frame re-entered after a yield (RESUME with a non-zero argument)."""
    code = _bytecode(frame.f_code)
    at = frame.f_lasti
    return at + 1 < len(code) and code[at] == _RESUME and code[at + 1] != 0
