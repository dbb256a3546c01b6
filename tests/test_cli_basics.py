"""The command line as a person meets it: help, version, doctor, and the offline demo."""

from __future__ import annotations

import subprocess
import sys

from agent import __version__


def agent(*argv, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "agent", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def test_help_lists_the_commands_and_version_prints():
    shown = agent("--help").stdout
    for command in (
        "solve",
        "demo",
        "doctor",
        "map",
        "index",
        "sandbox",
        "tools",
        "undo",
        "sessions",
    ):
        assert command in shown
    assert agent("--version").stdout.strip() == f"agent {__version__}"


def test_doctor_reports_the_sandbox_and_grammars():
    done = agent("doctor")
    assert done.returncode == 0, done.stdout
    for row in (
        "git",
        "tree-sitter grammars",
        "sandbox backend",
        "sandbox self-test",
        "ANTHROPIC_API_KEY",
    ):
        assert row in done.stdout
    assert "bwrap" in done.stdout and "python, ruby" in done.stdout


def test_demo_runs_the_whole_loop_offline(tmp_path):
    target = tmp_path / "demo"
    done = agent("demo", "--dir", str(target))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "solved: tests pass" in done.stdout
    assert "▸ debug" in done.stdout  # the recorded session goes through a real debug round
    assert "return (ordered[middle - 1] + ordered[middle]) / 2" in (target / "stats.py").read_text()
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=target,
        capture_output=True,
        text=True,
    )
    assert tests.returncode == 0 and "7 passed" in tests.stdout


def test_demo_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "x").write_text("keep me")
    done = agent("demo", "--dir", str(tmp_path))
    assert done.returncode == 2 and "is not empty" in done.stderr
    assert (tmp_path / "x").read_text() == "keep me"
