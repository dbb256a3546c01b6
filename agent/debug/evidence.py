"""Trace evidence for fault localization: what the failing runs really did.

Spectra say which functions the failing tests ran more than the passing ones; traces
say where the exception arose, which calls it passed through, and which call returned
the value a failing assertion used. A failure that needed a member a class lacks
(AttributeError, "object is not iterable", ...) points at that class.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.debug.calltree import failing_path, is_test_path, source_line


@dataclass
class Suspect:
    """One ranked function with its scores and the reasons for them."""

    function: str
    path: str
    line: int
    score: float
    ochiai: float
    dstar: float
    reasons: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # its most suspicious lines
    density: float = 0.0  # mean suspiciousness of its covered lines (breaks ties)


# Weights of trace evidence on top of the spectrum score (which lies in 0..1).
RAISED_HERE = 0.35
ASSERTED_RESULT = 0.25
UNDER_ASSERTED = 0.15
ON_CHAIN = 0.1
MISSING_MEMBER = 1.35  # a method the failure needed is not there
MISSING_DATA = 1.0  # an attribute is not there: less sure which method should set it
REPORTING_ONLY = 0.3


def add_trace_evidence(
    suspects: dict[tuple[str, str], Suspect], traces: list[dict[str, Any]]
) -> None:
    """Raise the score of functions the traces point at, the strongest evidence per trace."""
    for trace in traces:
        for key, (weight, why) in _marks(suspects, trace).items():
            suspects[key].score += weight / len(traces)
            suspects[key].reasons.append(why)


def demote_reporting(
    suspects: dict[tuple[str, str], Suspect], traces: list[dict[str, Any]]
) -> None:
    """Functions the failing tests ran only for pytest's failure message (a __repr__)."""
    sites: dict[tuple[str, str], set[bool]] = {}
    for trace in traces:
        for call in trace["calls"]:
            key = (call["path"], _owner_name(call["func"]))
            sites.setdefault(key, set()).add("_pytest" in call["site"])
    for key, kinds in sites.items():
        if kinds == {True} and key in suspects:
            suspects[key].score *= REPORTING_ONLY
            suspects[key].reasons.append("run only to print the failure message")


def _marks(
    suspects: dict[tuple[str, str], Suspect], trace: dict[str, Any]
) -> dict[tuple[str, str], tuple[float, str]]:
    path = failing_path(trace)
    test = trace.get("test", "?").split("::")[-1]
    found: list[tuple[dict[str, Any], float, str]] = []
    found += [
        (c, UNDER_ASSERTED, f"called under the result {test} asserted on") for c in path.subtree
    ]
    found += [(c, ON_CHAIN, f"on the call path of the exception in {test}") for c in path.chain[1:]]
    found += [
        (c, ASSERTED_RESULT, f"returned {c['ret']}, the value {test} asserted on")
        for c in path.suspects
    ]
    if path.raised_in is not None:
        exc = path.raised_in["exc"]
        found.append(
            (
                path.raised_in,
                RAISED_HERE,
                f"{exc['type']} arose here in {test} (line {exc['line']})",
            )
        )
    marks: dict[tuple[str, str], tuple[float, str]] = {}
    for call, weight, why in found:
        key = (call["path"], _owner_name(call["func"]))
        if key in suspects and marks.get(key, (0.0, ""))[0] < weight:
            marks[key] = (weight, why)
    return marks


_MISSING_ATTR = re.compile(r"'(\w+)' object has no attribute '(\w+)'")
_NO_ARGUMENTS = re.compile(r"\b(\w+)\(\) takes no arguments")
_MISSING_PROTOCOL = {  # TypeError text -> the special method that would have answered
    "is not iterable": "__iter__",
    "is not callable": "__call__",
    "is not subscriptable": "__getitem__",
    "has no len()": "__len__",
    "does not support item assignment": "__setitem__",
    "unhashable type": "__hash__",
    "does not support item deletion": "__delitem__",
    "is not an iterator": "__next__",
    "does not support the context manager protocol": "__enter__",
}


def add_missing_members(
    root: Path,
    suspects: dict[tuple[str, str], Suspect],
    traces: list[dict[str, Any]],
    paths: list[str],
    owners_of: Callable[[Path], dict[int, Any]],
) -> None:
    """A failure that needed `Cls.name`, which the repository's class Cls lacks.

    A data attribute (named by __init__'s parameters or __slots__) points at the methods
    that set attributes on self; anything else means the method itself is missing.
    """
    for trace in traces:
        for cls, name in _wanted_members((trace.get("failure") or {}).get("message", "")):
            for path in paths:
                quals = {s.qualname: s.start for s in owners_of(root / path).values()}
                owner = next(
                    (q for q in quals if q.split(".")[-1].lstrip("_") == cls.lstrip("_")), None
                )
                if is_test_path(path) or owner is None or f"{owner}.{name}" in quals:
                    continue
                params, slots, setters, called = _class_facts(root / path, owner)
                if _is_data(name, params, slots, setters, called, _crash_line(trace)):
                    why = f"sets attributes of {owner}; the failure found no {name}"
                    named = ["__init__"] if name.lstrip("_") in params else list(setters)
                    keys = [(path, f"{owner}.{m}") for m in named or ["__init__"]]
                    weight = MISSING_DATA
                    _discount_symptom(suspects, trace, len(traces))
                else:
                    why = f"the failure needed {owner}.{name}, which {owner} lacks"
                    keys, weight = [(path, f"{owner}.{name}")], MISSING_MEMBER
                for key in keys:
                    found = suspects.get(key) or suspects.setdefault(
                        key, Suspect(key[1], path, quals[owner], 0.0, 0.0, 0.0)
                    )
                    found.score += weight / len(traces)
                    found.reasons.append(why)
                break


def _is_data(
    name: str,
    params: set[str],
    slots: set[str],
    setters: dict[str, set[str]],
    called: set[str],
    crash_line: str,
) -> bool:
    """Whether a missing member looks like a data attribute rather than a method."""
    if name.lstrip("_") in params or name in slots:
        return True
    assigned = set().union(*setters.values()) if setters else set()
    if (
        (name.startswith("__") and name.endswith("__"))
        or f".{name}(" in crash_line
        or f"_{name}" in assigned
    ):  # a property over a private field
        return False
    return name not in called and bool(setters)


def _discount_symptom(
    suspects: dict[tuple[str, str], Suspect], trace: dict[str, Any], count: int
) -> None:
    """Where a missing attribute was read is a symptom: take back its 'arose here'."""
    raised = failing_path(trace).raised_in
    key = (raised["path"], _owner_name(raised["func"])) if raised else None
    if key in suspects:
        suspects[key].score -= RAISED_HERE / count


def _crash_line(trace: dict[str, Any]) -> str:
    failure = trace.get("failure") or {}
    path = str(failure.get("path", ""))
    if not path.startswith(trace["root"] + "/"):
        return ""
    return source_line(trace, path[len(trace["root"]) + 1 :], int(failure.get("line") or 0))


def _wanted_members(message: str) -> list[tuple[str, str]]:
    wanted = [_unmangle(m.group(1), m.group(2)) for m in _MISSING_ATTR.finditer(message)]
    wanted += [(m.group(1), "__init__") for m in _NO_ARGUMENTS.finditer(message)]
    for text, method in _MISSING_PROTOCOL.items():
        found = re.search(rf"'(\w+)' object {re.escape(text)}|type: '(\w+)'", message)
        if text in message and found:
            wanted.append((found.group(1) or found.group(2), method))
    return wanted


def _unmangle(cls: str, name: str) -> tuple[str, str]:
    """`_Base__x` on a subclass instance is Base's private `__x` (Base may start with _)."""
    found = re.fullmatch(r"_([A-Za-z]\w*?)(__\w+)", name)
    return (found.group(1), found.group(2)) if found else (cls, name)


def _class_facts(
    path: Path, owner: str
) -> tuple[set[str], set[str], dict[str, set[str]], set[str]]:
    """Of a class: __init__'s parameter names, __slots__, the methods assigning to
    self.X (with the names they assign), and the names called as self.X(...)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return set(), set(), {}, set()
    cls = next(
        (
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.ClassDef) and n.name == owner.split(".")[-1]
        ),
        None,
    )
    params: set[str] = set()
    slots: set[str] = set()
    setters: dict[str, set[str]] = {}
    for item in cls.body if cls else []:
        if isinstance(item, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__slots__" for t in item.targets
        ):
            slots |= {
                n.value
                for n in ast.walk(item.value)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            }
        if isinstance(item, ast.FunctionDef):
            if item.name == "__init__":
                a = item.args
                params = {x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs]}
            stored = {
                n.attr
                for n in ast.walk(item)
                if isinstance(n, ast.Attribute)
                and isinstance(n.ctx, ast.Store)
                and isinstance(n.value, ast.Name)
                and n.value.id == "self"
            }
            if stored:
                setters[item.name] = stored
    called = (
        {
            n.func.attr
            for n in ast.walk(cls)
            if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and isinstance(n.func.value, ast.Name)
            and n.func.value.id == "self"
        }
        if cls
        else set()
    )
    return params, slots, setters, called


def _owner_name(func: str) -> str:
    """Comprehensions and lambdas belong to the function that holds them."""
    parts = [p for p in func.split(".") if p != "<locals>"]
    while parts and parts[-1].startswith("<"):
        parts.pop()
    return ".".join(parts)
