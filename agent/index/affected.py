"""Which tests a change can affect: the index's import graph plus test naming conventions.

A changed test file runs itself. A changed module `pkg/calc.py` selects the test files that
import it (by module name, or a name it defines), the tests named after it
(`test_calc.py`, `calc_test.py`), and, through modules that import it, up to `DEPTH` levels
of indirect importers. This over-approximates on purpose: a test run too many is cheap, a
test missed lets a broken commit through.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePosixPath

DEPTH = 3


def is_test_file(path: str) -> bool:
    """pytest's default naming: test_*.py or *_test.py."""
    name = PurePosixPath(path).name
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def affected_tests(index, changed: Iterable[str]) -> list[str]:
    """The test files (repo-relative, sorted) that the changed Python files can affect."""
    files = set(index.files())
    tests = {p for p in files if is_test_file(p)}
    python = [p for p in changed if p.endswith(".py")]
    chosen = {p for p in python if p in tests}
    modules = {p for p in python if p not in tests}
    seen = set(modules)
    for _ in range(DEPTH):
        importers: set[str] = set()
        for module in modules:
            importers |= _importers(index, module) | _named_after(module, tests)
        chosen |= importers & tests
        modules = {p for p in importers - tests - seen if p.endswith(".py")}
        seen |= modules
        if not modules:
            break
    return sorted(chosen)


def _module_names(path: str) -> set[str]:
    """The names an import of this file can use: its stem, or its package for __init__.py."""
    parts = PurePosixPath(path).with_suffix("").parts
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return {parts[-1]} if parts else set()


def _importers(index, module: str) -> set[str]:
    """Files with an import of the module's name or of a top-level name it defines."""
    names = _module_names(module)
    names |= {s.name for s in index.outline(module) if not s.scope and not s.name.startswith("_")}
    found = set()
    for name in names:
        found |= {r.path for r in index.references(name) if r.kind == "import"}
    found.discard(module)
    return found


def _named_after(module: str, tests: set[str]) -> set[str]:
    stem = PurePosixPath(module).stem
    wanted = {f"test_{stem}.py", f"{stem}_test.py"}
    return {t for t in tests if PurePosixPath(t).name in wanted}
