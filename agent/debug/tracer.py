"""Record what really happened while one test ran, for code under the repository root.

Runs inside the test process (see `agent.debug.runner`). It records the call tree
(function, arguments, return value or exception, call site) and, for functions of
interest, the line-by-line changes of local variables. Values are shown with reprlib
bounds; each line keeps only its first and last few executions, so loops appear as
their first and last iterations; hard caps on events and bytes keep a big test small.

Python 3.11 has no sys.monitoring, so this uses sys.settrace, which also works on 3.12+.
"""

from __future__ import annotations

import os
import reprlib
import sys
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

from agent.debug.artifact import fit_bytes, write_atomic
from agent.debug.calltree import is_test_path
from agent.debug.traced_call import CallRecord, is_yield, resumed

__all__ = ["TESTS_ONLY", "TraceLimits", "Tracer", "write_atomic"]

_CO_GENERATOR = 0x20 | 0x200  # CO_GENERATOR | CO_ASYNC_GENERATOR
_IMMUTABLE = (int, float, str, bytes, bool, type(None), tuple, frozenset, complex)
_SKIP_PARTS = ("site-packages", "dist-packages", "/.venv/", "/.tox/", "/.agent/")
_OWN_DIR = str(Path(__file__).resolve().parent)
TESTS_ONLY = "<tests>"  # focus value: line-by-line detail only in test files (cheap)


@dataclass(frozen=True)
class TraceLimits:
    """Hard caps: recorded events (calls + lines), bytes of the artifact, repr sizes."""

    max_events: int = 20_000
    max_bytes: int = 1_000_000
    max_repr: int = 80


class Tracer:
    """A sys.settrace tracer limited to files under `root`; start(), stop(), to_dict()."""

    def __init__(
        self, root: Path, focus: tuple[str, ...] | None = None, limits: TraceLimits = TraceLimits()
    ) -> None:
        self.root = str(Path(root).resolve())
        self.focus = focus
        self.limits = limits
        self.ncalls = 0
        self.top: list[CallRecord] = []
        self.events = 0
        self.truncated = False
        self.dropped_calls = 0
        self._cap_at = 0
        self._frames: dict[FrameType, CallRecord] = {}
        self._codes: dict[CodeType, str | None] = {}
        self._pid = os.getpid()
        self._repr = reprlib.Repr()
        for attr in ("maxstring", "maxother", "maxlong"):
            setattr(self._repr, attr, limits.max_repr)
        self._repr.maxlist = self._repr.maxtuple = self._repr.maxset = 8
        self._repr.maxdict, self._repr.maxlevel = 6, 3

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        """Begin tracing the current thread."""
        os.register_at_fork(after_in_child=self._forked)
        sys.settrace(self._on_call)

    def stop(self, error: BaseException | None = None) -> None:
        """Stop tracing; calls still open were unwound by `error` without us seeing it.

        That happens when the trace function itself could not run, e.g. at the
        recursion limit, where CPython switches the tracer off.
        """
        if sys.gettrace() != self._on_call:
            self.truncated = True
        sys.settrace(None)
        for frame, node in self._frames.items():
            if error is not None and node.exc is None:
                node.exc = {
                    "type": type(error).__name__,
                    "message": self.show_message(error),
                    "line": frame.f_lineno,
                    "obj": id(error),
                }
        self._frames.clear()

    def _forked(self) -> None:
        # A test that forks: the child must neither trace nor write our artifact.
        if os.getpid() != self._pid:
            sys.settrace(None)
            self._frames.clear()

    @property
    def owner(self) -> bool:
        """True in the process that started the tracer (not in a forked child)."""
        return os.getpid() == self._pid

    # -- value rendering -------------------------------------------------------------
    def show(self, value: Any) -> str:
        """A bounded repr that never raises."""
        try:
            text = self._repr.repr(value)
        except Exception as exc:  # noqa: BLE001 - a broken __repr__ is worth seeing too
            text = f"<{type(value).__name__} repr failed: {type(exc).__name__}>"
        limit = self.limits.max_repr * 3
        return text if len(text) <= limit else text[: limit - 3] + "..."

    # -- trace callbacks -------------------------------------------------------------
    def _relpath(self, code: CodeType) -> str | None:
        try:
            return self._codes[code]
        except KeyError:
            pass
        name = code.co_filename
        rel = None
        inside = name.startswith(self.root + os.sep) and not name.startswith(_OWN_DIR)
        if inside and not any(part in name for part in _SKIP_PARTS):
            rel = name[len(self.root) + 1 :].replace(os.sep, "/")
        self._codes[code] = rel
        return rel

    def _on_call(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event != "call":
            return None
        rel = self._relpath(frame.f_code)
        if rel is None or not self.owner:
            return None
        try:
            return self._open(frame, rel)
        except RecursionError:
            return None

    def _parent_of(self, frame: FrameType) -> tuple[CallRecord | None, str]:
        back, site = frame.f_back, ""
        if back is not None:
            rel = self._relpath(back.f_code)
            site = f"{rel or back.f_code.co_filename}:{back.f_lineno}"
        depth = 0
        while back is not None and depth < 64:
            found = self._frames.get(back)
            if found is not None:
                return found, site
            back, depth = back.f_back, depth + 1
        return None, site

    def _open(self, frame: FrameType, rel: str) -> Any:
        code = frame.f_code
        parent, site = self._parent_of(frame)
        qual = code.co_qualname
        kind = "resume" if code.co_flags & _CO_GENERATOR and resumed(frame) else "call"
        detail = self._wants_detail(qual, rel)
        node = CallRecord(self.ncalls, parent, qual, rel, code.co_firstlineno, site, kind, detail)
        self.events += 1
        if kind == "call":
            nargs = code.co_argcount + code.co_kwonlyargcount
            nargs += bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)
            local = frame.f_locals
            node.args = {n: self.show(local[n]) for n in code.co_varnames[:nargs] if n in local}
        self.ncalls += 1
        (parent.children if parent else self.top).append(node)
        self._frames[frame] = node
        if detail:
            self._changes(node, frame)  # the starting values; the arguments show them
        else:
            frame.f_trace_lines = False
        return self._on_local

    def _over_cap(self) -> bool:
        if self.events < self.limits.max_events:
            return False
        if not self.truncated:
            self.truncated, self._cap_at = True, self.ncalls
        return True

    def _wants_detail(self, qual: str, rel: str) -> bool:
        if self._over_cap():
            return False
        if self.focus == (TESTS_ONLY,):
            return is_test_path(rel)
        if self.focus:
            return any(qual == f or qual.endswith("." + f) for f in self.focus)
        return True

    def _on_local(self, frame: FrameType, event: str, arg: Any) -> Any:
        try:
            return self._local_event(frame, event, arg)
        except RecursionError:  # a trace function that raises is switched off: never raise
            return self._on_local

    def _local_event(self, frame: FrameType, event: str, arg: Any) -> Any:
        node = self._frames.get(frame)
        if node is None:
            return None
        if event == "line":
            node.pending = None  # an exception seen here was handled
            if node.detail:
                self._step(node, frame)
        elif event == "exception":
            exc = arg[1]
            node.pending = {
                "type": type(exc).__name__,
                "message": self.show_message(exc),
                "line": frame.f_lineno,
                "obj": id(exc),
            }
        elif event == "return":
            self._close(node, frame, arg)
        return self._on_local

    def show_message(self, exc: BaseException) -> str:
        """The exception's message, bounded."""
        try:
            text = str(exc)
        except Exception:  # noqa: BLE001 - a broken __str__ must not stop the trace
            text = "<str failed>"
        limit = self.limits.max_repr * 4
        return text if len(text) <= limit else text[: limit - 3] + "..."

    def _step(self, node: CallRecord, frame: FrameType) -> None:
        self.events += 1
        if self._over_cap():
            node.detail = False
            frame.f_trace_lines = False
        changes = self._changes(node, frame)
        if node.cur_line is not None:
            node.record(node.cur_line, changes)
        node.cur_line = frame.f_lineno

    def _changes(self, node: CallRecord, frame: FrameType) -> dict[str, str]:
        changes: dict[str, str] = {}
        prev = node.prev
        for name, value in frame.f_locals.items():
            if name[0] == "@":  # pytest's assertion-rewrite temporaries
                continue
            old = prev.get(name)
            if old is not None and old[0] == id(value) and isinstance(value, _IMMUTABLE):
                continue
            text = self.show(value)
            if old is None or old[1] != text:
                changes[name] = text
            prev[name] = (id(value), text)
        return changes

    def _close(self, node: CallRecord, frame: FrameType, value: Any) -> None:
        if node.detail and node.cur_line is not None:
            node.record(node.cur_line, self._changes(node, frame))
        if node.pending is not None:
            node.exc = node.pending
        elif node.kind in ("call", "resume"):
            node.ret = self.show(value)
            if frame.f_code.co_flags & _CO_GENERATOR and is_yield(frame):
                node.kind = "yield" if node.kind == "call" else "resume-yield"
        node.pending = None
        self._frames.pop(frame, None)
        if node.exc is None and self._over_cap():
            self._drop_if_overflow(node)

    def _drop_if_overflow(self, node: CallRecord) -> None:
        # Past the cap, a call that returned normally keeps only its latest sibling.
        siblings = node.parent.children if node.parent else self.top
        if len(siblings) >= 2 and siblings[-2].exc is None and siblings[-2].id >= self._cap_at:
            siblings.pop(-2)
            self.dropped_calls += 1

    # -- output ----------------------------------------------------------------------
    def to_dict(self, **extra: Any) -> dict[str, Any]:
        """The trace as JSON-able data, pruned until it fits `max_bytes`."""
        data = {
            "version": 1,
            "root": self.root,
            "calls": self._flat(),
            **extra,
            "truncated": self.truncated,
            "events": self.events,
            "dropped_calls": self.dropped_calls,
        }
        return fit_bytes(data, self.limits.max_bytes)

    def _flat(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        stack = list(reversed(self.top))
        while stack:
            node = stack.pop()
            exc = dict(node.exc) if node.exc else None
            if exc:
                exc.pop("obj", None)
                exc["id"] = node.exc["obj"]
            out.append(
                {
                    "id": node.id,
                    "parent": node.parent.id if node.parent else None,
                    "func": node.func,
                    "path": node.path,
                    "line": node.line,
                    "site": node.site,
                    "kind": node.kind,
                    "args": node.args,
                    "ret": node.ret,
                    "exc": exc,
                    "steps": node.steps() if node.detail or node.first else [],
                    "omitted_steps": node.seq - len(node.steps()),
                }
            )
            stack.extend(reversed(node.children))
        return out
