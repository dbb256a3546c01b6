"""Settings precedence, file validation, test command detection and project instructions."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from agent.config import ENV_NAMES, INSTRUCTIONS_CAP, load_config, project_instructions
from agent.errors import UserError


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Settings must come from what each test sets, not from the machine running it."""
    for variable in ENV_NAMES.values():
        monkeypatch.delenv(variable, raising=False)


def test_defaults_when_nothing_is_set(tmp_path):
    config = load_config(tmp_path, {})
    assert config.model == "anthropic:claude-sonnet-5-5"
    assert (config.max_turns, config.max_cost_usd, config.max_wall_s) == (60, 2.0, 1800.0)
    assert (config.debug_rounds, config.max_plans, config.map_tokens) == (3, 3, 900)
    assert (config.sandbox, config.network, config.command_timeout_s) == ("auto", False, 120.0)
    assert config.verify_plan and config.reproduce and config.independent_tests and config.traces
    assert config.test_command is None
    assert set(config.source.values()) == {"default"}


def test_file_then_environment_then_command_line(tmp_path, monkeypatch):
    (tmp_path / ".agent.toml").write_text(
        'model = "openai:local@http://127.0.0.1:9"\nmax_cost_usd = 1\nmax_turns = 10\n'
        "traces = false\nmax-plans = 2\n"
    )
    monkeypatch.setenv("AGENT_MAX_COST", "0.5")
    monkeypatch.setenv("AGENT_MAX_TURNS", "20")
    monkeypatch.setenv("AGENT_NETWORK", "yes")

    config = load_config(tmp_path, {"max_turns": 30, "model": None})

    assert config.model == "openai:local@http://127.0.0.1:9"
    assert config.source["model"] == ".agent.toml"
    assert config.max_cost_usd == 0.5
    assert config.source["max_cost_usd"] == "environment AGENT_MAX_COST"
    assert config.max_turns == 30 and config.source["max_turns"] == "command line"
    assert config.network is True and config.traces is False and config.max_plans == 2
    assert config.source["debug_rounds"] == "default"


def test_pyproject_tool_agent_and_agent_toml_wins(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.agent]\nmax_plans = 2\ndebug_rounds = 5\n'
    )
    config = load_config(tmp_path, {})
    assert (config.max_plans, config.debug_rounds) == (2, 5)
    assert config.source["max_plans"] == "pyproject.toml [tool.agent]"
    (tmp_path / ".agent.toml").write_text("debug_rounds = 1\n")
    config = load_config(tmp_path, {})
    assert (config.max_plans, config.debug_rounds) == (2, 1)
    assert config.source["debug_rounds"] == ".agent.toml"


@pytest.mark.parametrize("setting", ['sandbox = "none"', "network = true", "writable_envs = true"])
def test_a_repositorys_files_cannot_open_the_sandbox(tmp_path, monkeypatch, setting):
    # A sandboxed command can write .agent.toml, and a cloned repository is not the
    # person's say-so: only the person's own flags and environment may open the sandbox.
    (tmp_path / ".agent.toml").write_text(setting + "\n")
    with pytest.raises(UserError, match="opens the sandbox") as refused:
        load_config(tmp_path, {})
    name = setting.split(" ")[0]
    assert ENV_NAMES[name] in str(refused.value)
    monkeypatch.setenv(ENV_NAMES[name], setting.split(" = ")[1].strip('"'))
    (tmp_path / ".agent.toml").write_text("")
    assert getattr(load_config(tmp_path, {}), name) in ("none", True)


def test_unknown_keys_and_bad_values_name_the_setting_and_the_file(tmp_path, monkeypatch):
    (tmp_path / ".agent.toml").write_text("max_turn = 5\n")
    with pytest.raises(UserError, match=r"unknown setting 'max_turn' in \.agent\.toml"):
        load_config(tmp_path, {})
    (tmp_path / ".agent.toml").write_text('max_turns = "many"\n')
    with pytest.raises(UserError, match=r"max_turns in \.agent\.toml must be a whole number"):
        load_config(tmp_path, {})
    (tmp_path / ".agent.toml").write_text("network = 1\n")
    with pytest.raises(UserError, match="network in .agent.toml must be true or false"):
        load_config(tmp_path, {})
    (tmp_path / ".agent.toml").write_text('sandbox = "docker"\n')
    with pytest.raises(UserError, match="sandbox must be one of auto, bwrap, none"):
        load_config(tmp_path, {})
    (tmp_path / ".agent.toml").write_text("max_turns = [\n")
    with pytest.raises(UserError, match="not valid TOML"):
        load_config(tmp_path, {})
    (tmp_path / ".agent.toml").unlink()
    monkeypatch.setenv("AGENT_MAX_COST", "lots")
    with pytest.raises(UserError, match="max_cost_usd in environment AGENT_MAX_COST"):
        load_config(tmp_path, {})
    monkeypatch.setenv("AGENT_MAX_COST", "0")
    with pytest.raises(UserError, match="max_cost_usd must be more than 0"):
        load_config(tmp_path, {})


def write_src_project(root, pytest_pythonpath=False):
    pkg = root / "src" / "calc"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("def double(x):\n    return 2 * x\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_calc.py").write_text(
        "from calc import double\n\n\ndef test_double():\n    assert double(2) == 4\n"
    )
    extra = '\n[tool.pytest.ini_options]\npythonpath = ["src"]\n' if pytest_pythonpath else ""
    (root / "pyproject.toml").write_text(f'[project]\nname = "calc"\n{extra}')


def run_tests(root, command, env):
    full_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    full_env.update(env, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    argv = command.split()
    argv[0] = sys.executable if argv[0] == "python" else argv[0]
    return subprocess.run(
        argv + ["-q", "-p", "no:cacheprovider"],
        cwd=root,
        env=full_env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    ).returncode


def test_src_layout_gets_pythonpath_and_the_detected_command_really_runs(tmp_path):
    write_src_project(tmp_path)
    config = load_config(tmp_path, {})
    assert config.test_command == "python -m pytest"
    assert config.test_env == {"PYTHONPATH": "src"}
    assert config.test_paths == ("tests",)
    assert config.source["test_command"] == "detected (pyproject.toml)"
    assert run_tests(tmp_path, config.test_command, config.test_env) == 0
    assert run_tests(tmp_path, config.test_command, {}) != 0  # why the env is needed


def test_src_layout_already_configured_in_pytest_needs_no_env(tmp_path):
    write_src_project(tmp_path, pytest_pythonpath=True)
    assert load_config(tmp_path, {}).test_env == {}


def test_plain_layout_and_testpaths_from_ini_files(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "setup.py").write_text("")
    config = load_config(tmp_path, {})
    assert (config.test_command, config.test_env, config.test_paths) == (
        "python -m pytest",
        {},
        ("tests",),
    )
    (tmp_path / "setup.cfg").write_text(
        "[tool:pytest]\ntestpaths =\n    tests/unit\n    tests/it\n"
    )
    assert load_config(tmp_path, {}).test_paths == ("tests/unit", "tests/it")
    assert load_config(tmp_path, {}).source["test_paths"] == "detected (setup.cfg)"
    (tmp_path / "tox.ini").write_text("[tox]\nenvlist = py311\n[pytest]\ntestpaths = checks\n")
    assert load_config(tmp_path, {}).test_paths == ("checks",)


def test_test_command_set_by_the_user_is_not_replaced(tmp_path, monkeypatch):
    write_src_project(tmp_path)
    (tmp_path / ".agent.toml").write_text('test_command = "make test"\n')
    config = load_config(tmp_path, {})
    assert (config.test_command, config.test_env) == ("make test", {})
    monkeypatch.setenv("AGENT_TEST_COMMAND", "tox -e py")
    assert load_config(tmp_path, {}).test_command == "tox -e py"


@pytest.mark.parametrize(
    "name, text, command",
    [
        ("package.json", '{"scripts": {"test": "vitest run"}}', "npm test"),
        ("Cargo.toml", '[package]\nname = "x"\n', "cargo test"),
        ("go.mod", "module example.com/x\n", "go test ./..."),
    ],
)
def test_other_ecosystems(tmp_path, name, text, command):
    (tmp_path / name).write_text(text)
    assert load_config(tmp_path, {}).test_command == command


def test_nothing_to_detect_reports_none(tmp_path):
    (tmp_path / "package.json").write_text(
        '{"scripts": {"test": "echo \\"Error: no test specified\\" && exit 1"}}'
    )
    (tmp_path / "README.md").write_text("hello\n")
    assert load_config(tmp_path, {}).test_command is None


def test_project_instructions_read_agents_and_claude_files_capped(tmp_path):
    assert project_instructions(tmp_path) == ""
    (tmp_path / "AGENTS.md").write_text("Use tabs.\n")
    (tmp_path / "CLAUDE.md").write_text("x" * (INSTRUCTIONS_CAP + 500))
    text = project_instructions(tmp_path)
    assert text.startswith("# AGENTS.md\n\nUse tabs.")
    assert "# CLAUDE.md" in text and "500 more characters not shown" in text
    assert len(text) < INSTRUCTIONS_CAP + 200


def test_an_instruction_file_that_points_to_the_other_or_repeats_it_is_read_once(tmp_path):
    (tmp_path / "AGENTS.md").write_text("# Conventions\n\nUse tabs.\n")
    for pointer in (
        "@AGENTS.md\n",
        "# CLAUDE.md\n\nSee AGENTS.md for the conventions.\n",
        "# Conventions\n\nUse tabs.\n",
    ):
        (tmp_path / "CLAUDE.md").write_text(pointer)
        assert project_instructions(tmp_path) == "# AGENTS.md\n\n# Conventions\n\nUse tabs."
    (tmp_path / "CLAUDE.md").write_text("@AGENTS.md\n\nRun the linter before you finish.\n")
    both = project_instructions(tmp_path)
    assert "Use tabs." in both and "Run the linter" in both


def test_an_empty_test_command_turns_detection_off(tmp_path, monkeypatch):
    write_src_project(tmp_path)
    monkeypatch.setenv("AGENT_TEST_COMMAND", "")
    config = load_config(tmp_path, {})
    assert config.test_command is None
    assert config.source["test_command"] == "environment AGENT_TEST_COMMAND"
