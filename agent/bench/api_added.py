"""The public API a commit adds: what a feature task's problem statement shows of the answer.

A feature request names what it wants ("add `merge_sorted(*seqs, key=None)`"); the mined
task says the same through the signature and docstring of each public function, method or
class the commit adds to library code, and nothing of their bodies.
"""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from agent.gitops.pin import git_argv, git_env

if TYPE_CHECKING:
    from agent.bench.mine import Candidate

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def added_api(repo: Path, candidate: Candidate) -> list[str]:
    """One text per public definition in `candidate.commit` that its parent lacks."""
    shown = []
    for path in candidate.code_files:
        before = public_definitions(_source(repo, candidate.parent, path))
        after = public_definitions(_source(repo, candidate.commit, path))
        for name, node in after.items():
            if name not in before:
                shown.append(describe(path, name, node))
    return shown


def public_definitions(source: str | None) -> dict[str, Definition]:
    """Qualified name -> node, for module-level functions and classes and the methods of
    those classes, leaving out names that start with an underscore."""
    if source is None:
        return {}
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    found: dict[str, Definition] = {}
    for node in tree.body:
        if isinstance(node, Definition) and not node.name.startswith("_"):
            found[node.name] = node
            if isinstance(node, ast.ClassDef):
                for member in node.body:
                    if isinstance(
                        member, ast.FunctionDef | ast.AsyncFunctionDef
                    ) and not member.name.startswith("_"):
                        found[f"{node.name}.{member.name}"] = member
    return found


def describe(path: str, name: str, node: Definition) -> str:
    """`path: def name(signature)` and the docstring, indented."""
    if isinstance(node, ast.ClassDef):
        bases = ", ".join(ast.unparse(b) for b in node.bases)
        head = f"class {name}({bases})" if bases else f"class {name}"
    else:
        returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
        prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
        head = f"{prefix} {name}({ast.unparse(node.args)}){returns}"
    doc = ast.get_docstring(node) or "(no docstring)"
    body = "\n".join(f"    {line}" if line else "" for line in doc.splitlines())
    return f"{path}: {head}\n{body}"


def _source(repo: Path, commit: str, path: str) -> str | None:
    proc = subprocess.run(
        [*git_argv(repo), "show", f"{commit}:{path}"],
        cwd=repo,
        capture_output=True,
        env=git_env(),
        check=False,
    )
    return proc.stdout.decode("utf-8", "replace") if proc.returncode == 0 else None
