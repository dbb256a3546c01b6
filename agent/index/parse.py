"""Parse one source file with tree-sitter and extract its definitions, references and
syntax errors as plain tuples (cheap to pickle between processes and store in SQLite)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from agent.index.languages import definitions_query, grammar, tags_query

# When one name is captured by several reference patterns, the most specific kind wins.
_REFERENCE_PRIORITY = {"decorator": 0, "base": 1, "import": 2, "attribute": 3, "call": 4, "name": 5}
_WHEEL_REFERENCE_KINDS = {"class": "call", "implementation": "base", "type": "name"}
_HERITAGE = {"superclass", "class_heritage", "base_class_clause", "extends_clause"}
_MEMBER_ACCESS = {"attribute", "member_expression", "field_expression", "selector_expression"}
_CONTAINERS = {"class", "interface", "module", "struct", "enum", "trait"}
_MAX_SIGNATURE_LINES = 8
_MAX_LINE_CHARS = 200
_MAX_ERRORS = 50
_COMMENTS = ("#", "//", "/*", "*")


@dataclass
class Facts:
    """What one file contributes: symbols are (name, kind, line, end_line, signature,
    scope); references are (name, line, kind); errors are (line, column, message)."""

    symbols: list[tuple[str, str, int, int, str, str]]
    references: list[tuple[str, int, str]]
    errors: list[tuple[int, int, str]]


@cache
def _parser(language: str):
    from tree_sitter import Parser

    return Parser(grammar(language))


def extract(source: bytes, language: str) -> Facts:
    """Parse `source` and return its definitions, references and syntax errors."""
    from tree_sitter import QueryCursor

    tree = _parser(language).parse(source)
    definitions: dict[int, tuple] = {}
    references: dict[int, tuple[int, str, int, str]] = {}
    for _, captures in QueryCursor(tags_query(language)).matches(tree.root_node):
        names = captures.get("name")
        if not names:
            continue
        name_node = names[0]
        for capture, nodes in captures.items():
            if capture.startswith("definition."):
                kind = capture[11:]
                known = definitions.get(name_node.start_byte)
                if known is None or (known[1] == "function" and kind == "method"):
                    definitions[name_node.start_byte] = (
                        name_node,
                        kind,
                        _definition_node(nodes[0]),
                    )
            elif capture.startswith("reference."):
                kind = _reference_kind(capture[10:], name_node)
                rank = _REFERENCE_PRIORITY[kind]
                known = references.get(name_node.start_byte)
                if known is None or rank < known[0]:
                    line = name_node.start_point[0] + 1
                    references[name_node.start_byte] = (rank, _text(name_node), line, kind)
    symbols = _with_scopes(source, definitions.values())
    refs = sorted(
        {
            (name, line, kind)
            for start, (_, name, line, kind) in references.items()
            if start not in definitions
        },  # a definition's own name is no use
        key=lambda ref: (ref[1], ref[0], ref[2]),
    )
    return Facts(symbols, refs, _errors(tree.root_node) if tree.root_node.has_error else [])


def definition_spans(
    source: bytes, language: str, first: int, last: int
) -> list[tuple[str, int, int]]:
    """(name, line, end_line) of the definitions that overlap lines `first`..`last`
    (all 1-based, inclusive), each once, outermost first."""
    from tree_sitter import QueryCursor

    cursor = QueryCursor(definitions_query(language))
    cursor.set_point_range((first - 1, 0), (last, 0))  # skips what lies outside cheaply
    spans: dict[int, tuple[str, int, int]] = {}
    for _, captures in cursor.matches(_parser(language).parse(source).root_node):
        names = captures.get("name")
        nodes = [found[0] for key, found in captures.items() if key.startswith("definition.")]
        if names and nodes:
            node = _definition_node(nodes[0])
            line, end = node.start_point[0] + 1, node.end_point[0] + 1
            if line <= last and end >= first:
                spans[names[0].start_byte] = (_text(names[0]), line, end)
    return sorted(spans.values(), key=lambda span: (span[1], -span[2]))


def syntax_errors(source: bytes, language: str) -> list[tuple[int, int, str]]:
    """Syntax errors tree-sitter finds: (line, column, message), both 1-based, sorted."""
    tree = _parser(language).parse(source)
    return _errors(tree.root_node) if tree.root_node.has_error else []


def _text(node) -> str:
    return node.text.decode("utf-8", "replace")


def _reference_kind(kind: str, name_node) -> str:
    """Our kind for a capture: wheels say call/class/type/implementation; a call on an
    object (`x.f()`) is an attribute reference, a class named in a heritage clause a base."""
    parent = name_node.parent
    if kind in ("call", "class") and parent is not None:
        if parent.type in _HERITAGE:
            return "base"
        if parent.type in _MEMBER_ACCESS or (
            parent.type in ("method_invocation", "call")
            and (parent.child_by_field_name("object") or parent.child_by_field_name("receiver"))
        ):
            return "attribute"
    if kind in _REFERENCE_PRIORITY:
        return kind
    return _WHEEL_REFERENCE_KINDS.get(kind, "name")


def _definition_node(node):
    """C and C++ capture the declarator; the definition is the declaration around it."""
    while node.type.endswith("declarator") and node.parent is not None:
        node = node.parent
    return node


def _with_scopes(source: bytes, definitions) -> list[tuple[str, str, int, int, str, str]]:
    """Attach the enclosing scope to each definition (and call functions in classes methods)."""
    ordered = sorted(definitions, key=lambda d: (d[2].start_byte, -d[2].end_byte, d[0].start_byte))
    stack: list[tuple[int, str, str]] = []  # (end_byte, qualified name, kind)
    symbols = []
    for name_node, kind, node in ordered:
        while stack and stack[-1][0] <= node.start_byte:
            stack.pop()
        scope, parent_kind = (stack[-1][1], stack[-1][2]) if stack else ("", "")
        if kind == "function" and parent_kind in _CONTAINERS:
            kind = "method"
        name = _text(name_node)
        symbols.append(
            (
                name,
                kind,
                node.start_point[0] + 1,
                node.end_point[0] + 1,
                _signature(source, node),
                scope,
            )
        )
        stack.append((node.end_byte, f"{scope}.{name}" if scope else name, kind))
    return symbols


def _signature(source: bytes, node) -> str:
    """The definition's header: from the start of its first line up to its body."""
    line_start = source.rfind(b"\n", 0, node.start_byte) + 1
    body = node.child_by_field_name("body")
    if body is not None and body.start_byte > node.start_byte:
        end = body.start_byte
    else:
        end = source.find(b"\n", node.start_byte, node.end_byte)
        end = node.end_byte if end == -1 else end
    lines = source[line_start:end].decode("utf-8", "replace").rstrip().split("\n")
    while len(lines) > 1 and (not lines[-1].strip() or lines[-1].lstrip().startswith(_COMMENTS)):
        lines.pop()  # comments between the header and the body are not the header
    if len(lines) > _MAX_SIGNATURE_LINES:
        lines = lines[:1]
    return "\n".join(line.rstrip()[:_MAX_LINE_CHARS] for line in lines)


def _errors(root) -> list[tuple[int, int, str]]:
    found = []
    stack = [root]
    while stack and len(found) < _MAX_ERRORS:
        node = stack.pop()
        line, column = node.start_point[0] + 1, node.start_point[1] + 1
        if node.is_missing:
            found.append((line, column, f"missing {node.type!r}"))
        elif node.is_error:
            snippet = _text(node).split("\n", 1)[0].strip()[:30]
            found.append((line, column, f"unexpected {snippet!r}" if snippet else "syntax error"))
        elif node.has_error:
            stack.extend(reversed(node.children))
    return sorted(found)
