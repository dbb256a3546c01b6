"""Independent tests (AgentCoder): written by a separate conversation that never sees the new code.

The designer sees the task and the public interface (signatures and docstrings, bodies
hidden). Its tests are kept only if they fail before the change and pass after it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from agent import prompts
from agent.confine import LeavesWorkspace, read_text_inside
from agent.messages import Message, ModelRequest, Text
from agent.plan import TEST_ID

WORD = re.compile(r"[A-Za-z_]\w*")
CODE_BLOCK = re.compile(r"```(?:python)?\n(.*?)(?:```|\Z)", re.DOTALL)  # unclosed: to the end
PATH = re.compile(r"[\w./-]+\.py")
FILE_NAME = "test_independent_checks.py"
DOCSTRING_LINES = 40
MAX_NAMED_TESTS = 20  # failing tests the task names whose bodies show what to expose
BLANK_RUN = re.compile(r"\n{4,}")  # more than two blank lines, left where tests were cut


@dataclass
class DesignedTests:
    """A test file the designer wrote, and the tests in it that fail before the change."""

    path: str
    source: str
    failing_before: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)  # test name -> why

    def summary(self) -> str:
        """One line for the session's summary: what was kept where, and what was dropped why."""
        kept = ", ".join(t.split("::")[-1] for t in self.kept)
        line = (
            f"Independent tests kept in {self.path}: {kept}"
            if self.kept
            else "Independent tests: none kept"
        )
        if self.dropped:
            line += "; dropped: " + ", ".join(
                f"{name} ({why})" for name, why in self.dropped.items()
            )
        return line

    def owns(self, test_id: str) -> bool:
        """True for the designed file's own ids (and the file, as a collection error names it)."""
        return test_id == self.path or test_id.startswith(self.path + "::")

    def put(self, ctx) -> None:
        """Write the designed file into the workspace, for a run that includes it."""
        _write(ctx.root / self.path, self.source)

    def take_away(self, ctx) -> None:
        """Remove the designed file again (the suite runs without it)."""
        (ctx.root / self.path).unlink(missing_ok=True)

    def kept_file(self):
        """The review's record of the kept file: the loop writes it, not a command, so no
        watched run reports it."""
        from agent.events import FilesTouched
        from agent.review.inventory import CREATED
        from agent.review.marks import runs_code

        return FilesTouched(
            "independent tests",
            ({"path": self.path, "change": CREATED, "runs_code": runs_code(self.path)},),
        )

    def vetted(self, report) -> DesignedTests | None:
        """Self with the tests that failed in `report` (a run of the file on the start
        code) as failing before; None when none of them failed."""
        self.failing_before = [t for t in report.failing if "::" in t]
        failing_names = {t.split("::")[-1] for t in self.failing_before}
        self.dropped = {
            name: "passed before the change"
            for name in test_names(self.source)
            if name not in failing_names
        }
        return self if self.failing_before else None

    def settle(self, ctx, report) -> None:
        """Keep the file with only the tests that pass after the change, as `report` (a run
        on the changed tree that included the file) shows them."""
        path = ctx.root / self.path
        failing_now = set(report.failing)
        if self.path in failing_now:  # the file did not even collect
            failing_now = set(self.failing_before)
        self.kept = [t for t in self.failing_before if t not in failing_now]
        self.dropped.update(
            {
                t.split("::")[-1]: "still fails after the change"
                for t in self.failing_before
                if t in failing_now
            }
        )
        if not self.kept:
            path.unlink(missing_ok=True)
            return
        keep = {t.split("::")[-1] for t in self.kept}
        dropped = [n for n in test_names(self.source) if n not in keep]
        _write(path, remove_tests(self.source, dropped))


def design_tests(parts, plan) -> DesignedTests | None:
    """Ask a separate conversation for a test file (not run yet: `run_alone` runs it, or a
    run shared with other tests gives `DesignedTests.vetted` its part)."""
    mentioned = set(WORD.findall(" ".join([parts.task, plan.reading, *plan.steps])))
    mentioned |= names_used_by(parts.ctx.root, [*TEST_ID.findall(parts.task), *plan.test_ids()])
    interface = public_interface(parts.ctx.root, _plan_paths(parts.ctx.root, plan), mentioned)
    if not interface:
        return None
    path = _test_path(parts.ctx.root, plan, parts.config)
    request = ModelRequest(
        system="You are a careful test engineer.",
        messages=[
            Message(
                "user",
                [
                    Text(
                        prompts.render(
                            "test_designer",
                            task=parts.task,
                            interface=interface,
                            path=path,
                        )
                    )
                ],
            )
        ],
        max_tokens=4096,
    )
    response = parts.model.complete(request)
    parts.budget.charge(response.usage)
    match = CODE_BLOCK.search(response.message.text)
    if not match:
        return None
    return DesignedTests(path=path, source=match.group(1))


def run_alone(parts, designed: DesignedTests) -> DesignedTests | None:
    """Run the designed file alone on the tree as it is; `designed` if some of it fails."""
    from agent.testing.report import run

    designed.put(parts.ctx)
    try:
        report = run(parts.ctx, designed.path, parts.emit)
    finally:
        designed.take_away(parts.ctx)
    return designed.vetted(report)


def public_interface(root: Path, paths: list[str], mentioned: set[str] = frozenset()) -> str:
    """Signatures and docstrings of the Python files' public functions and classes.

    Where the task or plan names some of a file's definitions, only those are shown, private
    ones included (the project's own tests may well import them).
    """
    chunks = []
    for rel in paths:
        try:
            tree = ast.parse(read_text_inside(root, rel))
        except (OSError, SyntaxError, UnicodeDecodeError, LeavesWorkspace):
            continue
        named = [node for node in tree.body if _names(node) & mentioned]
        lines = [f"# {rel}"]
        for node in named or tree.body:
            lines += _describe(node, indent="", mentioned=mentioned)
        chunks.append("\n".join(lines))
    return "\n\n".join(chunks)


def names_used_by(root: Path, test_ids: list[str]) -> set[str]:
    """The names that the bodies of the given tests use: the interface they exercise."""
    wanted: dict[str, set[str]] = {}
    for test_id in test_ids[:MAX_NAMED_TESTS]:
        path, _, name = test_id.partition("::")
        wanted.setdefault(path, set()).add(name.split("::")[-1].split("[")[0])
    found: set[str] = set()
    for path, names in wanted.items():
        try:
            tree = ast.parse(read_text_inside(root, path))
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError, LeavesWorkspace):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in names:
                for used in ast.walk(node):
                    if isinstance(used, ast.Name):
                        found.add(used.id)
                    elif isinstance(used, ast.Attribute):
                        found.add(used.attr)
    return found


def _names(node: ast.AST) -> set[str]:
    """The name a top-level node defines, and for a class its methods' names too."""
    if isinstance(node, ast.ClassDef):
        return {node.name} | {
            n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return {node.name}
    return set()


def remove_tests(source: str, names: list[str]) -> str:
    """The source without the top-level test functions (or test methods) named."""
    tree = ast.parse(source)
    doomed = set(names)
    drop: list[tuple[int, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in doomed:
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            drop.append((start, node.end_lineno or node.lineno))
    lines = source.splitlines(keepends=True)
    for start, end in sorted(drop, reverse=True):
        del lines[start - 1 : end]
    return BLANK_RUN.sub("\n\n\n", "".join(lines)).rstrip("\n") + "\n"


def test_names(source: str) -> list[str]:
    """Names of the test functions and methods in a test file."""
    return [
        node.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.name.startswith("test")
    ]


def _shown(name: str, mentioned: set[str]) -> bool:
    return not name.startswith("_") or name == "__init__" or name in mentioned


def _describe(node: ast.AST, indent: str, mentioned: set[str]) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _shown(node.name, mentioned):
        head = f"{indent}def {node.name}({ast.unparse(node.args)})"
        if node.returns:
            head += f" -> {ast.unparse(node.returns)}"
        return [head + ":"] + _docstring(node, indent + "    ") + [f"{indent}    ..."]
    if isinstance(node, ast.ClassDef) and _shown(node.name, mentioned):
        bases = ", ".join(ast.unparse(b) for b in node.bases)
        lines = [f"{indent}class {node.name}({bases}):"] + _docstring(node, indent + "    ")
        for child in node.body:
            lines += _describe(child, indent + "    ", mentioned)
        return lines
    return []


def _docstring(node: ast.AST, indent: str) -> list[str]:
    doc = ast.get_docstring(node)
    if not doc:
        return []
    lines = doc.splitlines()
    if len(lines) > DOCSTRING_LINES:  # long example galleries crowd out what matters
        more = len(lines) - DOCSTRING_LINES
        lines = lines[:DOCSTRING_LINES] + [f"... ({more} more lines of docstring)"]
    body = ("\n" + indent).join(lines)
    return [f'{indent}"""{body}"""']


def _plan_paths(root: Path, plan) -> list[str]:
    found = PATH.findall(" ".join(plan.steps + [plan.reading]))
    return [p for p in dict.fromkeys(found) if (root / p).is_file() and "test" not in Path(p).name]


def _test_path(root: Path, plan, config) -> str:
    """Where the project keeps its tests: beside the plan's tests, else its test folder."""
    folders = [str(Path(t.split("::")[0]).parent) for t in plan.test_ids()]
    folders += [p for p in config.test_paths if (root / p).is_dir()]
    folders += [name for name in ("tests", "test") if (root / name).is_dir()]
    folder = next((f for f in folders if (root / f).is_dir() and f != "."), "")
    return f"{folder}/{FILE_NAME}" if folder else FILE_NAME


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
