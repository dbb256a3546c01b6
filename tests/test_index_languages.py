"""Each language's definitions and references, found by the real index in a real git repo."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from agent.index import RepoIndex

SAMPLES = Path(__file__).parent / "fixtures" / "index"

# file -> (definitions as (qualified name, kind), references as (name, kind))
EXPECTED = {
    "sample.py": (
        {
            ("LIMIT", "constant"),
            ("helper", "function"),
            ("Widget", "class"),
            ("Widget.render", "method"),
        },
        {
            ("json", "import"),
            ("OrderedDict", "import"),
            ("register", "decorator"),
            ("Base", "base"),
            ("helper", "call"),
            ("strip", "attribute"),
            ("dumps", "attribute"),
        },
    ),
    "sample.js": (
        {("Greeter", "class"), ("Greeter.greet", "method"), ("makeGreeter", "function")},
        {
            ("format", "import"),
            ("format", "call"),
            ("Base", "base"),
            ("trim", "attribute"),
            ("Greeter", "call"),
        },
    ),
    "sample.ts": (
        {
            ("Shape", "interface"),
            ("Circle", "class"),
            ("Circle.area", "method"),
            ("computeArea", "function"),
            ("Point", "type"),
        },
        {("Base", "import"), ("Base", "base"), ("Shape", "base"), ("computeArea", "call")},
    ),
    "sample.tsx": (
        {("Counter", "function"), ("CounterProps", "interface")},
        {("useState", "import"), ("useState", "call"), ("CounterProps", "name")},
    ),
    "sample.go": (
        {("Server", "type"), ("Start", "method"), ("Launch", "function")},
        {("Launch", "call"), ("Println", "attribute"), ("Server", "name")},
    ),
    "sample.rs": (
        {("Cache", "class"), ("lookup", "method"), ("compute", "function")},
        {
            ("HashMap", "import"),
            ("compute", "call"),
            ("checked_add", "attribute"),
            ("Cache", "base"),
        },
    ),
    "Sample.java": (
        {("Sample", "class"), ("Sample.run", "method"), ("Sample.process", "method")},
        {
            ("List", "import"),
            ("Parent", "base"),
            ("Runnable", "base"),
            ("process", "call"),
            ("size", "attribute"),
        },
    ),
    "sample.c": (
        {("point", "class"), ("add", "function"), ("main", "function")},
        {("add", "call"), ("printf", "call")},
    ),
    "sample.cpp": (
        {
            ("Shape", "class"),
            ("Shape.area", "method"),
            ("Square", "class"),
            ("Square.area", "method"),
            ("total", "function"),
        },
        {("Shape", "base"), ("area", "attribute")},
    ),
    "sample.rb": (
        {
            ("Billing", "module"),
            ("Billing.Invoice", "class"),
            ("Billing.Invoice.total", "method"),
            ("Billing.Invoice.compute_total", "method"),
        },
        {("Document", "base"), ("compute_total", "call"), ("sum", "attribute")},
    ),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> RepoIndex:
    root = tmp_path_factory.mktemp("samples")
    for name in EXPECTED:
        shutil.copy(SAMPLES / name, root / name)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    with RepoIndex.open(root) as opened:
        yield opened


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_definitions_and_references_per_language(index: RepoIndex, name: str) -> None:
    definitions, references = EXPECTED[name]
    outline = {(symbol.qualified_name, symbol.kind) for symbol in index.outline(name)}
    assert definitions <= outline
    found = set()
    for reference_name, _ in references:
        found |= {
            (ref.name, ref.kind) for ref in index.references(reference_name) if ref.path == name
        }
    assert references <= found


def test_definition_lookup_by_scope_and_signature(index: RepoIndex) -> None:
    [render] = index.definitions("Widget.render")
    assert (render.path, render.line, render.end_line, render.language) == (
        "sample.py",
        13,
        14,
        "python",
    )
    assert render.signature == "    def render(self, items):"
    assert {symbol.path for symbol in index.definitions("area")} == {"sample.cpp", "sample.ts"}
    assert [symbol.path for symbol in index.definitions("Square.area")] == ["sample.cpp"]


def test_reference_lines_are_where_the_name_is_used(index: RepoIndex) -> None:
    assert [(ref.path, ref.line, ref.kind) for ref in index.references("helper")] == [
        ("sample.py", 14, "call")
    ]
    assert [(ref.line, ref.kind) for ref in index.references("register")] == [(11, "decorator")]


def test_every_language_is_counted(index: RepoIndex) -> None:
    stats = index.stats()
    assert stats["languages"] == {
        language: 1
        for language in (
            "c",
            "cpp",
            "go",
            "java",
            "javascript",
            "python",
            "ruby",
            "rust",
            "tsx",
            "typescript",
        )
    }
    assert stats["syntax_errors"] == 0
