"""Settings: CLI flags > environment > `.agent.toml` / `[tool.agent]` > defaults.

`load_config(root, cli_overrides)` returns a frozen `Config` whose `source` map says where
each value came from. The test command is detected from the project when nobody set it.
`project_instructions(root)` gives the AGENTS.md / CLAUDE.md text for the system prompt.
"""

from __future__ import annotations

import configparser
import json
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

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
    map_tokens: int = 1024
    # After the affected tests, the whole suite runs only if it took at most this long before.
    full_suite_s: float = 120.0
    source: dict[str, str] = field(default_factory=dict, compare=False)


ENV_NAMES = {
    "model": "AGENT_MODEL", "max_turns": "AGENT_MAX_TURNS", "max_cost_usd": "AGENT_MAX_COST",
    "max_wall_s": "AGENT_MAX_WALL", "debug_rounds": "AGENT_DEBUG_ROUNDS",
    "max_plans": "AGENT_MAX_PLANS", "sandbox": "AGENT_SANDBOX", "network": "AGENT_NETWORK",
    "command_timeout_s": "AGENT_COMMAND_TIMEOUT", "test_command": "AGENT_TEST_COMMAND",
    "verify_plan": "AGENT_VERIFY_PLAN", "reproduce": "AGENT_REPRODUCE",
    "independent_tests": "AGENT_INDEPENDENT_TESTS", "traces": "AGENT_TRACES",
    "map_tokens": "AGENT_MAP_TOKENS", "full_suite_s": "AGENT_FULL_SUITE_S",
}
KINDS = {f.name: f.type for f in fields(Config) if f.name != "source"}
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def load_config(root: Path, cli_overrides: dict[str, Any] | None = None) -> Config:
    """The settings for the repository at `root`; CLI values of None count as not given.

    The test command is detected only when no one set it; setting it to an empty string
    (e.g. `AGENT_TEST_COMMAND=`) means "no test command" and turns detection off.
    """
    values: dict[str, Any] = {}
    source = {name: "default" for name in KINDS}
    for where, raw in _file_settings(Path(root)):
        for key, value in raw.items():
            name = key.replace("-", "_")
            if name not in KINDS:
                raise UserError(f"unknown setting {key!r} in {where}; known: {', '.join(KINDS)}")
            values[name], source[name] = _check(name, value, where), where
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


def _file_settings(root: Path) -> list[tuple[str, dict[str, Any]]]:
    """(file name, settings) from pyproject's [tool.agent], then .agent.toml (which wins)."""
    found = []
    pyproject = _read_toml(root / "pyproject.toml")
    if "agent" in pyproject.get("tool", {}):
        table = pyproject["tool"]["agent"]
        if not isinstance(table, dict):
            raise UserError("[tool.agent] in pyproject.toml must be a table")
        found.append(("pyproject.toml [tool.agent]", table))
    if (root / ".agent.toml").is_file():
        found.append((".agent.toml", _read_toml(root / ".agent.toml")))
    return found


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
    if kind == "dict[str, str]" and isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return dict(value)
    if kind == "tuple[str, ...]" and isinstance(value, (list, tuple)) and all(
        isinstance(v, str) for v in value
    ):
        return tuple(value)
    expected = {"int": "a whole number", "float": "a number", "bool": "true or false",
                "dict[str, str]": "a table of strings",
                "tuple[str, ...]": "a list of strings"}.get(kind, "a string")
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


def _validate(config: Config) -> None:
    where = config.source
    for name in ("max_turns", "max_plans"):
        if getattr(config, name) < 1:
            raise UserError(f"{name} must be at least 1 (set in {where[name]})")
    for name in ("debug_rounds", "map_tokens"):
        if getattr(config, name) < 0:
            raise UserError(f"{name} must not be negative (set in {where[name]})")
    for name in ("max_cost_usd", "max_wall_s", "command_timeout_s"):
        if getattr(config, name) <= 0:
            raise UserError(f"{name} must be more than 0 (set in {where[name]})")
    if config.sandbox not in SANDBOX_BACKENDS:
        raise UserError(f"sandbox must be one of {', '.join(SANDBOX_BACKENDS)}, not "
                        f"{config.sandbox!r} (set in {where['sandbox']})")


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
    if marker or test_dir or any(root.glob("test_*.py")):
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
    options = _read_toml(root / "pyproject.toml").get("tool", {}).get("pytest", {})
    if isinstance(options.get("ini_options"), dict):
        table = options["ini_options"]
        return {k: " ".join(v) if isinstance(v, list) else str(v) for k, v in table.items()}, \
            "pyproject.toml"
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

    A file whose real path leaves the workspace (a symlink out of it) is not read: only a
    line saying so is given, so nothing outside the sandbox's view reaches the model.
    """
    from agent.confine import LeavesWorkspace, read_text_inside

    parts = []
    for name in INSTRUCTION_FILES:
        path = Path(root) / name
        if not path.is_file():
            continue
        try:
            text = read_text_inside(root, name, errors="replace").strip()
        except LeavesWorkspace:
            parts.append(f"# {name}\n\n[{name} not read: it leaves the workspace]")
            continue
        except OSError:
            continue
        if len(text) > INSTRUCTIONS_CAP:
            text = (text[:INSTRUCTIONS_CAP] + f"\n[... {name} cut here: "
                    f"{len(text) - INSTRUCTIONS_CAP} more characters not shown]")
        parts.append(f"# {name}\n\n{text}")
    return "\n\n".join(parts)
