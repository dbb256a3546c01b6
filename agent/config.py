"""Settings: CLI flags > environment > `.agent.toml` / `[tool.agent]` > defaults.

`load_config(root, cli_overrides)` returns a frozen `Config` whose `source` map says where
each value came from. The test command is detected from the project when nobody set it.
`project_instructions(root)` gives the AGENTS.md / CLAUDE.md text for the system prompt.
"""

from __future__ import annotations

import configparser
import json
import math
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypedDict

from agent.errors import UserError

SANDBOX_BACKENDS = ("auto", "bwrap", "none")
INSTRUCTION_FILES = ("AGENTS.md", "CLAUDE.md")
INSTRUCTIONS_CAP = 16_000  # characters per file; the rest is cut with a note


@dataclass(frozen=True)
class Config:
    """Everything a session is allowed to do and how; see `ENV_NAMES` for the variables."""

    model: str = "anthropic:claude-sonnet-5-5"
    max_turns: int = 60
    max_cost_usd: float = 2.0
    max_wall_s: float = 1800.0
    debug_rounds: int = 3
    max_plans: int = 3
    sandbox: str = "auto"
    network: bool = False
    command_timeout_s: float = 120.0
    test_command: str | None = None
    test_env: dict[str, str] = field(default_factory=dict)
    test_paths: tuple[str, ...] = ()
    verify_plan: bool = True
    reproduce: bool = True
    independent_tests: bool = True
    traces: bool = True
    map_tokens: int = 900
    # After the affected tests, the whole suite runs only if it took at most this long before.
    full_suite_s: float = 120.0
    # Environment folders (.venv, .tox, ...) are read-only in the sandbox unless this is true.
    writable_envs: bool = False
    # Git-ignored files kept at session start for `undo --to-start`, smallest first, in total.
    ignored_keep_mb: int = 50
    # Past this share of the model's context window, a request's oldest turns are summarized.
    context_threshold: float = 0.6
    # Per command, for its whole process tree (see sandbox.Policy).
    tree_memory_mb: int = 4096
    max_processes: int = 512
    write_cap_mb: int = 1024
    # Files and folders outside the workspace the sandbox must not see (bench run: the
    # task's repository and tasks file); hiding only narrows, so any source may set it.
    hidden_paths: tuple[str, ...] = ()
    source: dict[str, str] = field(default_factory=dict, compare=False)


ENV_NAMES = {
    "model": "AGENT_MODEL",
    "max_turns": "AGENT_MAX_TURNS",
    "max_cost_usd": "AGENT_MAX_COST",
    "max_wall_s": "AGENT_MAX_WALL",
    "debug_rounds": "AGENT_DEBUG_ROUNDS",
    "max_plans": "AGENT_MAX_PLANS",
    "sandbox": "AGENT_SANDBOX",
    "network": "AGENT_NETWORK",
    "command_timeout_s": "AGENT_COMMAND_TIMEOUT",
    "test_command": "AGENT_TEST_COMMAND",
    "verify_plan": "AGENT_VERIFY_PLAN",
    "reproduce": "AGENT_REPRODUCE",
    "independent_tests": "AGENT_INDEPENDENT_TESTS",
    "traces": "AGENT_TRACES",
    "map_tokens": "AGENT_MAP_TOKENS",
    "full_suite_s": "AGENT_FULL_SUITE_S",
    "writable_envs": "AGENT_WRITABLE_ENVS",
    "ignored_keep_mb": "AGENT_IGNORED_KEEP_MB",
    "context_threshold": "AGENT_CONTEXT_THRESHOLD",
    "tree_memory_mb": "AGENT_TREE_MEMORY_MB",
    "max_processes": "AGENT_MAX_PROCESSES",
    "write_cap_mb": "AGENT_WRITE_CAP_MB",
}
KINDS = {f.name: f.type for f in fields(Config) if f.name != "source"}
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
TABLES_READ_ELSEWHERE = ("mcp_servers",)  # agent/mcp/settings.py reads them


def load_config(root: Path, cli_overrides: dict[str, Any] | None = None) -> Config:
    """The settings for the repository at `root`; CLI values of None count as not given.

    The test command is detected only when no one set it; setting it to an empty string
    (e.g. `AGENT_TEST_COMMAND=`) means "no test command" and turns detection off.
    """
    values: dict[str, Any] = {}
    source = {name: "default" for name in KINDS}
    for where, raw in _file_settings(Path(root)):
        for key, value in raw.items():
            if key in TABLES_READ_ELSEWHERE:
                continue
            name = key.replace("-", "_")
            if name not in KINDS:
                raise UserError(f"unknown setting {key!r} in {where}; known: {', '.join(KINDS)}")
            values[name], source[name] = _check(name, value, where), where
            _refuse_loosening(name, values[name], where)
    for name, variable in ENV_NAMES.items():
        if variable in os.environ:
            where = f"environment {variable}"
            values[name], source[name] = _from_text(name, os.environ[variable], where), where
    for name, value in (cli_overrides or {}).items():
        if name not in KINDS:
            raise ValueError(f"no setting named {name!r}")
        if value is not None:
            values[name], source[name] = _check(name, value, "the command line"), "command line"
    config = Config(**values, source=source)
    _validate(config)
    if config.test_command is None and "test_command" not in values:
        config = _with_detected_tests(Path(root), config, source)
    return config


# Settings that open the sandbox. A repository's own files may not choose them: a sandboxed
# command can write those files, and a cloned repository is not the person's say-so.
LOOSENING = {"sandbox": "none", "network": True, "writable_envs": True}


def _refuse_loosening(name: str, value: Any, where: str) -> None:
    if name in LOOSENING and value == LOOSENING[name]:
        variable = ENV_NAMES[name]
        raise UserError(
            f"{where} sets {name} = {str(value).lower()!r}, which opens the sandbox; "
            f"a repository's files may not: choose it yourself with "
            f"{variable}={str(value).lower()} or the command-line flag"
        )


def _file_settings(root: Path) -> list[tuple[str, dict[str, Any]]]:
    """(file name, settings) from pyproject's [tool.agent], then .agent.toml (which wins)."""
    found = []
    tool = _pyproject_tool_tables(root)
    if "agent" in tool:
        table = tool["agent"]
        if not isinstance(table, dict):
            raise UserError("[tool.agent] in pyproject.toml must be a table")
        found.append(("pyproject.toml [tool.agent]", table))
    if (root / ".agent.toml").is_file():
        found.append((".agent.toml", _read_toml(root / ".agent.toml")))
    return found


def _pyproject_tool_tables(root: Path) -> dict[str, Any]:
    """pyproject.toml's [tool] table ({} without one); a UserError when it is not a table."""
    tool = _read_toml(root / "pyproject.toml").get("tool", {})
    if not isinstance(tool, dict):
        raise UserError(
            "pyproject.toml: `tool` must be a table ([tool.NAME] sections), "
            f"not {type(tool).__name__}"
        )
    return tool


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise UserError(f"{path.name} is not valid TOML: {error}") from error


def _check(name: str, value: Any, where: str) -> Any:
    """`value` as the type of setting `name`, or a `UserError` naming both and `where`."""
    kind = KINDS[name]
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind in ("str", "str | None") and isinstance(value, str):
        return value
    if kind == "str | None" and value is None:
        return None
    if (
        kind == "dict[str, str]"
        and isinstance(value, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    ):
        return dict(value)
    if (
        kind == "tuple[str, ...]"
        and isinstance(value, (list, tuple))
        and all(isinstance(v, str) for v in value)
    ):
        return tuple(value)
    expected = {
        "int": "a whole number",
        "float": "a number",
        "bool": "true or false",
        "dict[str, str]": "a table of strings",
        "tuple[str, ...]": "a list of strings",
    }.get(kind, "a string")
    raise UserError(f"{name} in {where} must be {expected}, not {value!r}")


def _from_text(name: str, text: str, where: str) -> Any:
    """Parse an environment variable's text as the type of setting `name`."""
    kind, lowered = KINDS[name], text.strip().lower()
    try:
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
    except ValueError:
        return _check(name, text, where)  # raises with the usual message
    if kind == "bool":
        if lowered in TRUE or lowered in FALSE:
            return lowered in TRUE
        raise UserError(f"{name} in {where} must be one of {', '.join(TRUE + FALSE)}, not {text!r}")
    if kind == "str | None":
        return text or None
    return text


# The least each number may be, and whether it must be more than that (not equal to it).
NUMBER_BOUNDS: dict[str, tuple[float, bool]] = {
    "max_turns": (1, False),
    "max_plans": (1, False),
    "debug_rounds": (0, False),
    "map_tokens": (0, False),
    "max_cost_usd": (0, True),
    "max_wall_s": (0, True),
    "command_timeout_s": (0, True),
    "full_suite_s": (0, False),
    "ignored_keep_mb": (0, False),
    "tree_memory_mb": (1, False),
    "max_processes": (1, False),
    "write_cap_mb": (1, False),
}


def check_number(
    name: str, value: float, where: str, least: float = 0, more_than: bool = True
) -> float:
    """`value` if it is a finite number of at least `least` (more than it with
    `more_than`), else a UserError naming the setting or flag and where it was set.
    NaN and infinity are refused: a bound of NaN would never be reached."""
    if not math.isfinite(value):
        raise UserError(f"{name} must be a finite number, not {value} (set in {where})")
    if value < least or (more_than and value == least):
        bound = f"more than {least:g}" if more_than else f"at least {least:g}"
        raise UserError(f"{name} must be {bound}, not {value:g} (set in {where})")
    return value


def _validate(config: Config) -> None:
    where = config.source
    for name, (least, more_than) in NUMBER_BOUNDS.items():
        check_number(name, getattr(config, name), where[name], least, more_than)
    if not 0 < config.context_threshold <= 1:
        raise UserError(
            "context_threshold must be a share of the context window, more than 0 "
            f"and at most 1 (set in {where['context_threshold']})"
        )
    if config.sandbox not in SANDBOX_BACKENDS:
        raise UserError(
            f"sandbox must be one of {', '.join(SANDBOX_BACKENDS)}, not "
            f"{config.sandbox!r} (set in {where['sandbox']})"
        )


class TreeBounds(TypedDict):
    """The `sandbox.Policy` fields that bound one command's whole process tree."""

    tree_memory_mb: int
    max_processes: int
    write_cap_mb: int


def tree_bounds(config: Config) -> TreeBounds:
    """The `sandbox.Policy` settings that bound each command's whole process tree."""
    return {
        "tree_memory_mb": config.tree_memory_mb,
        "max_processes": config.max_processes,
        "write_cap_mb": config.write_cap_mb,
    }


def _with_detected_tests(root: Path, config: Config, source: dict[str, str]) -> Config:
    """Fill in the test command (and its env and paths, unless set) from the project."""
    found = detect_test_command(root)
    if found is None:
        return config
    command, env, paths, reason = found
    detected = {"test_command": command, "test_env": env, "test_paths": paths}
    chosen = {}
    for name, value in detected.items():
        if source[name] == "default":
            chosen[name], source[name] = value, f"detected ({reason})"
    return replace(config, **chosen, source=source)


def detect_test_command(root: Path) -> tuple[str, dict[str, str], tuple[str, ...], str] | None:
    """(command, environment, test paths, why) for the project at `root`, or None.

    Python projects get pytest; testpaths from pytest.ini, pyproject, tox.ini or setup.cfg
    are honoured, and a src layout gets PYTHONPATH=src unless pytest's own `pythonpath`
    setting already covers it. Failing that: npm, cargo or go when their files are there.
    """
    settings, ini = _pytest_settings(root)
    markers = ["pyproject.toml", "setup.py", "setup.cfg", "tox.ini", "pytest.ini", "conftest.py"]
    marker = ini or next((m for m in markers if (root / m).is_file()), None)
    test_dir = next((d for d in ("tests", "test") if (root / d).is_dir()), None)
    # A tests/ folder of another language's tests (Rust's, Node's) does not make a Python project.
    python_tests = test_dir and next((root / test_dir).glob("**/*.py"), None) is not None
    if marker or python_tests or any(root.glob("test_*.py")):
        paths = tuple(settings.get("testpaths", "").split()) or ((test_dir,) if test_dir else ())
        env = {}
        if _is_src_layout(root) and "src" not in settings.get("pythonpath", "").split():
            env["PYTHONPATH"] = "src"
        return "python -m pytest", env, paths, marker or f"{test_dir or 'test_*.py'}"
    return _other_ecosystems(root)


def _pytest_settings(root: Path) -> tuple[dict[str, str], str | None]:
    """pytest's ini options (values as space-joined text) and the file they came from."""
    if (root / "pytest.ini").is_file():
        return _ini_section(root / "pytest.ini", "pytest"), "pytest.ini"
    options = _pyproject_tool_tables(root).get("pytest", {})
    if not isinstance(options, dict):
        raise UserError(
            "pyproject.toml: [tool.pytest] must be a table (pytest reads [tool.pytest.ini_options])"
        )
    if isinstance(options.get("ini_options"), dict):
        table = options["ini_options"]
        return {
            k: " ".join(v) if isinstance(v, list) else str(v) for k, v in table.items()
        }, "pyproject.toml"
    for name, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        found = _ini_section(root / name, section)
        if found:
            return found, name
    return {}, None


def _ini_section(path: Path, section: str) -> dict[str, str]:
    if not path.is_file():
        return {}
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8", errors="replace"))
    except configparser.Error as error:
        raise UserError(f"{path.name} could not be read: {error}") from error
    if not parser.has_section(section):
        return {}
    return {k: " ".join(v.split()) for k, v in parser.items(section)}


def _is_src_layout(root: Path) -> bool:
    src = root / "src"
    return src.is_dir() and any(
        (p.is_dir() and (p / "__init__.py").is_file()) or p.suffix == ".py" for p in src.iterdir()
    )


def _other_ecosystems(root: Path) -> tuple[str, dict[str, str], tuple[str, ...], str] | None:
    package = root / "package.json"
    if package.is_file():
        try:
            script = json.loads(package.read_text(encoding="utf-8")).get("scripts", {}).get("test")
        except (ValueError, AttributeError):
            script = None
        if script and "no test specified" not in script:
            return "npm test", {}, (), "package.json"
    if (root / "Cargo.toml").is_file():
        return "cargo test", {}, (), "Cargo.toml"
    if (root / "go.mod").is_file():
        return "go test ./...", {}, (), "go.mod"
    return None


def project_instructions(root: Path) -> str:
    """AGENTS.md and CLAUDE.md from `root`, each cut at `INSTRUCTIONS_CAP` characters.

    A file is read once: one that only points to the other ("@AGENTS.md", "see AGENTS.md")
    or whose text the other already holds is left out. A file whose real path leaves the
    workspace (a symlink out of it) is not read: only a line saying so is given, so nothing
    outside the sandbox's view reaches the model.
    """
    from agent.confine import LeavesWorkspace, read_text_inside

    texts, parts = {}, []
    for name in INSTRUCTION_FILES:
        if not (Path(root) / name).is_file():
            continue
        try:
            texts[name] = read_text_inside(root, name, errors="replace").strip()
        except LeavesWorkspace:
            parts.append(f"# {name}\n\n[{name} not read: it leaves the workspace]")
        except OSError:
            continue
    for name, text in texts.items():
        others = [(other, body) for other, body in texts.items() if other != name]
        if any(_repeats(name, text, other, body) for other, body in others):
            continue
        if len(text) > INSTRUCTIONS_CAP:
            text = (
                text[:INSTRUCTIONS_CAP] + f"\n[... {name} cut here: "
                f"{len(text) - INSTRUCTIONS_CAP} more characters not shown]"
            )
        parts.append(f"# {name}\n\n{text}")
    return "\n\n".join(parts)


def _repeats(name: str, text: str, other: str, other_text: str) -> bool:
    """Whether instruction file `name` adds nothing to `other`: it only points there, or
    `other` holds its text (of two identical files, the first listed is kept)."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if all(other in line and len(line.split()) <= 8 for line in lines):
        return True
    if text == other_text:
        return INSTRUCTION_FILES.index(name) > INSTRUCTION_FILES.index(other)
    return bool(text) and text in other_text
