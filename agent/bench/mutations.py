"""Procedural bugs in Python functions, found and applied with `ast` (SWE-smith style).

Each `Mutation` is a small text edit located by the ast node's byte offsets, so the rest
of the file (comments, formatting) is untouched and the patch shows only the bug.
Kinds: flip a comparison or boolean operator, change an arithmetic operator, change an
integer constant by one, swap operands, invert an if, remove a condition, an if, a loop,
an assignment or a wrapper call, swap two statements, remove a base class or a method.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

Edit = tuple[int, int, str]  # byte start, byte end, replacement

_COMPARE_FLIP = {
    ast.Lt: ">=",
    ast.LtE: ">",
    ast.Gt: "<=",
    ast.GtE: "<",
    ast.Eq: "!=",
    ast.NotEq: "==",
    ast.Is: "is not",
    ast.IsNot: "is",
    ast.In: "not in",
    ast.NotIn: "in",
}
_COMPARE_TEXT = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Is: r"is",
    ast.IsNot: r"is\s+not",
    ast.In: "in",
    ast.NotIn: r"not\s+in",
}
_ARITH = {
    ast.Add: ("+", "-"),
    ast.Sub: ("-", "+"),
    ast.Mult: ("*", "//"),
    ast.Div: ("/", "*"),
    ast.FloorDiv: ("//", "/"),
    ast.Mod: ("%", "//"),
    ast.Pow: ("**", "*"),
    ast.LShift: ("<<", ">>"),
    ast.RShift: (">>", "<<"),
    ast.BitAnd: ("&", "|"),
    ast.BitOr: ("|", "&"),
}
_NON_COMMUTATIVE = (ast.Sub, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.LShift, ast.RShift)
_WRAPPERS = {
    "list",
    "tuple",
    "set",
    "sorted",
    "reversed",
    "int",
    "str",
    "float",
    "abs",
    "bool",
    "dict",
    "frozenset",
    "iter",
    "next",
    "len",
    "min",
    "max",
    "sum",
    "any",
    "all",
    "round",
    "repr",
}

KINDS = (
    "flip_comparison",
    "flip_boolean",
    "change_operator",
    "change_constant",
    "swap_operands",
    "invert_if",
    "remove_condition",
    "remove_if",
    "remove_loop",
    "remove_assignment",
    "remove_wrapper",
    "shuffle_statements",
    "remove_base",
    "remove_method",
)


@dataclass(frozen=True)
class Mutation:
    """One candidate bug: where it is, what kind, and the edit that makes it."""

    path: str
    function: str  # qualified name of the enclosing function (or class)
    kind: str
    line: int
    description: str
    edits: tuple[Edit, ...]

    def apply(self, source: str) -> str:
        """The source with the bug in it."""
        data = source.encode("utf-8")
        for start, end, text in sorted(self.edits, reverse=True):
            data = data[:start] + text.encode("utf-8") + data[end:]
        return data.decode("utf-8")


class _Source:
    """Byte-offset arithmetic over one module's text."""

    def __init__(self, source: str) -> None:
        self.data = source.encode("utf-8")
        self.starts = [0]
        for line in self.data.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))

    def start(self, node: ast.AST) -> int:
        return self.starts[node.lineno - 1] + node.col_offset  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> int:
        return self.starts[node.end_lineno - 1] + node.end_col_offset  # type: ignore

    def text(self, start: int, end: int) -> str:
        return self.data[start:end].decode("utf-8")

    def seg(self, node: ast.AST) -> str:
        return self.text(self.start(node), self.end(node))

    def line_text(self, lineno: int) -> str:
        return (
            self.text(self.starts[lineno - 1], self.starts[lineno])
            if lineno < len(self.starts)
            else ""
        )

    def whole_lines(self, first: int, node: ast.AST) -> tuple[int, int] | None:
        """Byte range of full lines first..node.end_lineno if the node owns them alone."""
        head = self.text(self.starts[first - 1], self.start(node))
        tail = self.text(self.end(node), self.starts[node.end_lineno])  # type: ignore
        if (
            head.strip()
            and not head.strip().startswith("@")
            or tail.strip() not in ("",)
            and not tail.strip().startswith("#")
        ):
            return None
        return self.starts[first - 1], self.starts[node.end_lineno]  # type: ignore


def mutations(path: str, source: str) -> list[Mutation]:
    """Every candidate mutation in one module's functions and classes."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    src = _Source(source)
    out: list[Mutation] = []
    for qual, node, _owner in _scopes(tree, ""):
        if isinstance(node, ast.ClassDef):
            out.extend(_class_mutations(src, path, qual, node))
        else:
            for found in _function_mutations(src, node):
                kind, line, desc, edits = found
                out.append(Mutation(path, qual, kind, line, desc, tuple(edits)))
    return [m for m in out if _compiles(m, source)]


def _scopes(
    node: ast.AST, prefix: str, owner: ast.AST | None = None
) -> Iterator[tuple[str, ast.AST, ast.AST | None]]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            qual = prefix + child.name
            yield qual, child, owner
            yield from _scopes(child, qual + ".", child)
        else:
            yield from _scopes(child, prefix, owner)


def _own_nodes(func: ast.AST) -> Iterator[ast.AST]:
    """Nodes of a function's body, not descending into nested functions or classes."""
    stack = list(getattr(func, "body", []))
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
            ):
                stack.append(child)


def _function_mutations(src: _Source, func: ast.AST) -> Iterator[tuple[str, int, str, list[Edit]]]:
    docstring = _docstring_node(func)
    for node in _own_nodes(func):
        if node is docstring:
            continue
        yield from _expression_mutations(src, node)
        yield from _statement_mutations(src, node)


def _docstring_node(func: ast.AST) -> ast.AST | None:
    body = getattr(func, "body", [])
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        return body[0]
    return None


def _gap_edit(src: _Source, left: ast.AST, right: ast.AST, pattern: str, new: str) -> Edit | None:
    """Replace the operator written between two nodes (parentheses may surround it)."""
    start, end = src.end(left), src.start(right)
    gap = src.text(start, end)
    found = list(re.finditer(rf"(?<![=<>!*/]){pattern}(?![=<>*/])", gap))
    if len(found) != 1 or re.sub(rf"[()\s]|{pattern}", "", gap, count=0) not in ("",):
        return None
    match = found[0]
    prefix = len(gap[: match.start()].encode())
    return start + prefix, start + prefix + len(match.group(0).encode()), new


def _expression_mutations(
    src: _Source, node: ast.AST
) -> Iterator[tuple[str, int, str, list[Edit]]]:
    line = getattr(node, "lineno", 0)
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        op = type(node.ops[0])
        edit = _gap_edit(src, node.left, node.comparators[0], _COMPARE_TEXT[op], _COMPARE_FLIP[op])
        if edit:
            yield "flip_comparison", line, f"comparison flipped to `{_COMPARE_FLIP[op]}`", [edit]
        if op in (ast.Lt, ast.Gt, ast.LtE, ast.GtE):
            yield from _swap(src, node.left, node.comparators[0], line)
    elif isinstance(node, ast.BoolOp) and len(node.values) == 2:
        old, new = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
        edit = _gap_edit(src, node.values[0], node.values[1], rf"\b{old}\b", new)
        if edit:
            yield "flip_boolean", line, f"`{old}` changed to `{new}`", [edit]
    elif isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
        old, new = _ARITH[type(node.op)]
        edit = _gap_edit(src, node.left, node.right, re.escape(old), new)
        if edit:
            yield "change_operator", line, f"`{old}` changed to `{new}`", [edit]
        if isinstance(node.op, _NON_COMMUTATIVE):
            yield from _swap(src, node.left, node.right, line)
    elif isinstance(node, ast.Constant) and type(node.value) is int:
        start, end = src.start(node), src.end(node)
        new = node.value + 1 if node.value in (0, 1) or node.value % 2 else node.value - 1
        yield (
            "change_constant",
            line,
            f"constant {node.value} changed to {new}",
            [(start, end, str(new))],
        )
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _WRAPPERS
        and len(node.args) == 1
        and not node.keywords
        and not isinstance(node.args[0], ast.Starred)
    ):
        yield (
            "remove_wrapper",
            line,
            f"call to `{node.func.id}` removed",
            [(src.start(node), src.end(node), src.seg(node.args[0]))],
        )


def _swap(
    src: _Source, left: ast.AST, right: ast.AST, line: int
) -> Iterator[tuple[str, int, str, list[Edit]]]:
    gap = src.text(src.end(left), src.start(right))
    if "(" in gap or ")" in gap or "\n" in gap:
        return
    yield (
        "swap_operands",
        line,
        "operands swapped",
        [(src.start(left), src.end(right), src.seg(right) + gap + src.seg(left))],
    )


def _statement_mutations(src: _Source, node: ast.AST) -> Iterator[tuple[str, int, str, list[Edit]]]:
    line = getattr(node, "lineno", 0)
    if isinstance(node, (ast.If, ast.While)):
        test = node.test
        if isinstance(node, ast.If):
            inverted = (
                src.seg(test.operand)
                if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
                else f"not ({src.seg(test)})"
            )
            yield (
                "invert_if",
                line,
                "if condition inverted",
                [(src.start(test), src.end(test), inverted)],
            )
        if isinstance(test, ast.BoolOp) and len(test.values) == 2:
            for keep in test.values:
                yield (
                    "remove_condition",
                    line,
                    "one operand of the condition removed",
                    [(src.start(test), src.end(test), src.seg(keep))],
                )
    removable = {
        ast.If: "remove_if",
        ast.For: "remove_loop",
        ast.While: "remove_loop",
        ast.Assign: "remove_assignment",
        ast.AugAssign: "remove_assignment",
        ast.AnnAssign: "remove_assignment",
    }
    kind = removable.get(type(node))  # type: ignore[call-overload]
    if kind and not (isinstance(node, ast.If) and node.orelse):
        edit = _remove_statement(src, node, node.lineno)
        if edit:
            yield kind, line, f"{type(node).__name__.lower()} statement removed", [edit]
    for body in (getattr(node, "body", None), getattr(node, "orelse", None)):
        if isinstance(body, list):
            yield from _shuffles(src, body)


def _remove_statement(src: _Source, node: ast.AST, first: int) -> Edit | None:
    span = src.whole_lines(first, node)
    if span is None:
        return None
    indent = re.match(r"[ \t]*", src.line_text(first)).group(0)  # type: ignore[union-attr]
    return span[0], span[1], f"{indent}pass\n"


def _shuffles(src: _Source, body: list[ast.stmt]) -> Iterator[tuple[str, int, str, list[Edit]]]:
    simple = (ast.Assign, ast.AugAssign, ast.Expr, ast.AnnAssign)
    for a, b in itertools.pairwise(body):
        if not (isinstance(a, simple) and isinstance(b, simple)):
            continue
        span_a, span_b = src.whole_lines(a.lineno, a), src.whole_lines(b.lineno, b)
        if span_a and span_b and span_a[1] == span_b[0]:
            text = src.text(span_b[0], span_b[1]) + src.text(span_a[0], span_a[1])
            yield (
                "shuffle_statements",
                a.lineno,
                "two statements swapped",
                [(span_a[0], span_b[1], text)],
            )


def _class_mutations(src: _Source, path: str, qual: str, node: ast.ClassDef) -> Iterator[Mutation]:
    bases = node.bases
    for i, base in enumerate(bases):
        if len(bases) >= 2:
            end = src.start(bases[i + 1]) if i + 1 < len(bases) else src.end(base)
            start = src.start(base) if i + 1 < len(bases) else src.end(bases[i - 1])
            edit = (start, end, "")
        elif not node.keywords:
            head = src.text(src.starts[node.lineno - 1], src.start(base))
            tail = src.text(src.end(base), src.end(node))
            if head.count("(") < 1 or not tail.lstrip().startswith(")"):
                continue
            open_at = src.starts[node.lineno - 1] + len(head[: head.rindex("(")].encode())
            close_at = src.end(base) + len(tail[: tail.index(")") + 1].encode())
            edit = (open_at, close_at, "")
        else:
            continue
        yield Mutation(
            path, qual, "remove_base", node.lineno, f"base class `{src.seg(base)}` removed", (edit,)
        )
    methods = [s for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if len(node.body) >= 2:
        for method in methods:
            first = method.decorator_list[0].lineno if method.decorator_list else method.lineno
            span = src.whole_lines(first, method)
            if span:
                yield Mutation(
                    path,
                    f"{qual}.{method.name}",
                    "remove_method",
                    method.lineno,
                    f"method `{method.name}` removed",
                    ((span[0], span[1], ""),),
                )


def _compiles(mutation: Mutation, source: str) -> bool:
    try:
        new = mutation.apply(source)
        compile(new, mutation.path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, UnicodeDecodeError):
        return False
    return new != source
