"""Which language a file is written in, and the tree-sitter grammar and tags query for it.

Grammars come from the per-language wheels (they work offline). Each wheel's own tags
query is used where it ships one; our `.scm` files in `queries/` add what a wheel lacks
(Python is entirely ours: the wheel's query finds calls only).
"""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

EXTENSIONS: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".c++": "cpp",
    ".hh": "cpp",
    ".hpp": "cpp",
    ".hxx": "cpp",
    ".h++": "cpp",
    ".rb": "ruby",
    ".rake": "ruby",
    ".gemspec": "ruby",
}

# language -> (wheel module, grammar function, wheels whose tags.scm we use, our .scm or None)
_GRAMMARS: dict[str, tuple[str, str, tuple[str, ...], str | None]] = {
    "python": ("tree_sitter_python", "language", (), "python.scm"),
    "javascript": (
        "tree_sitter_javascript",
        "language",
        ("tree_sitter_javascript",),
        "javascript.scm",
    ),
    "typescript": (
        "tree_sitter_typescript",
        "language_typescript",
        ("tree_sitter_javascript", "tree_sitter_typescript"),
        "typescript.scm",
    ),
    "tsx": (
        "tree_sitter_typescript",
        "language_tsx",
        ("tree_sitter_javascript", "tree_sitter_typescript"),
        "typescript.scm",
    ),
    "go": ("tree_sitter_go", "language", ("tree_sitter_go",), None),
    "rust": ("tree_sitter_rust", "language", ("tree_sitter_rust",), "rust.scm"),
    "java": ("tree_sitter_java", "language", ("tree_sitter_java",), "java.scm"),
    "c": ("tree_sitter_c", "language", ("tree_sitter_c",), "c.scm"),
    "cpp": ("tree_sitter_cpp", "language", ("tree_sitter_cpp",), "cpp.scm"),
    "ruby": ("tree_sitter_ruby", "language", (), "ruby.scm"),
}

LANGUAGES: tuple[str, ...] = tuple(sorted(_GRAMMARS))
_QUERIES = Path(__file__).parent / "queries"


def language_for(path: str) -> str | None:
    """The language name for a repository path (by extension), or None if we cannot parse it."""
    name = path.rsplit("/", 1)[-1]
    if name in ("Rakefile", "Gemfile"):
        return "ruby"
    dot = name.rfind(".")
    if dot <= 0:
        return None
    return EXTENSIONS.get(name[dot:].lower())


@cache
def grammar(language: str):
    """The tree_sitter.Language for a language name (loaded once per process)."""
    from tree_sitter import Language

    module_name, function, _, _ = _GRAMMARS[language]
    module = importlib.import_module(module_name)
    return Language(getattr(module, function)())


def _wheel_tags(module_name: str) -> str:
    module = importlib.import_module(module_name)
    text = getattr(module, "TAGS_QUERY", None)
    if text is None:
        text = (Path(module.__file__).parent / "queries" / "tags.scm").read_text()
    return text


def _tags_source(language: str) -> str:
    _, _, wheels, ours = _GRAMMARS[language]
    parts = [_wheel_tags(name) for name in wheels]
    if ours:
        parts.append((_QUERIES / ours).read_text())
    return "\n".join(parts)


@cache
def tags_query(language: str):
    """The compiled tags query for a language: the wheels' tags.scm plus ours."""
    from tree_sitter import Query

    return Query(grammar(language), _tags_source(language))


@cache
def definitions_query(language: str):
    """The tags query with only its definition patterns: a fraction of the work when a
    caller needs where definitions start and end, not the references."""
    from tree_sitter import Query

    source = _tags_source(language)
    query = Query(grammar(language), source)
    encoded = source.encode()
    for pattern in range(query.pattern_count):
        text = encoded[query.start_byte_for_pattern(pattern) : query.end_byte_for_pattern(pattern)]
        if b"@definition." not in text:
            query.disable_pattern(pattern)
    return query
