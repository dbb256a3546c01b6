"""The facts the index records: where names are defined and where they are used."""

from __future__ import annotations

from dataclasses import dataclass

REFERENCE_KINDS = ("call", "attribute", "import", "base", "decorator", "name")


@dataclass(frozen=True)
class Symbol:
    """A definition: `line`/`end_line` are 1-based and inclusive; `signature` is its
    header as written (original indentation, possibly several lines); `scope` is the
    dotted name of the enclosing definitions ("" at top level)."""

    path: str
    name: str
    kind: str
    line: int
    end_line: int
    signature: str
    scope: str
    language: str

    @property
    def qualified_name(self) -> str:
        """`scope.name`, e.g. "Session.perform_collect"."""
        return f"{self.scope}.{self.name}" if self.scope else self.name


@dataclass(frozen=True)
class Reference:
    """A use of a name at a 1-based line; `kind` is one of REFERENCE_KINDS."""

    path: str
    name: str
    line: int
    kind: str
