"""Shared pieces of the sandbox tests: a workspace on the real disk, a HOME with planted
secrets, planted keys in the environment, and helpers to run escape attempts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from agent.sandbox import Policy, Result, Sandbox, create_sandbox

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")

SECRET_KEY = "sk-ant-planted-0123456789"
SECRET_TOKEN = "planted-token-9876543210"
SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY----- planted"


@pytest.fixture
def area():
    """A folder on the real disk (not /tmp, which the sandbox replaces) for each test."""
    root = Path(tempfile.mkdtemp(prefix="agent-escape-", dir="/var/tmp")).resolve()
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A HOME we control, with planted secrets, and planted keys in the environment."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text(SSH_KEY)
    (home / ".aws").mkdir()
    (home / ".aws" / "credentials").write_text(SECRET_KEY)
    (home / ".env").write_text(f"TOKEN={SECRET_TOKEN}\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET_KEY)
    monkeypatch.setenv("SOME_SECRET_TOKEN", SECRET_TOKEN)
    return home


@pytest.fixture
def workspace(area, home):
    """A real git repository to confine commands to."""
    repo = area / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


def run_python(workspace: Path, code: str, **policy) -> Result:
    """Run `code` with this interpreter inside a bwrap sandbox over `workspace`."""
    box = create_sandbox(Policy(workspace, timeout_s=30, **policy), "bwrap")
    return box.run([sys.executable, "-c", textwrap.dedent(code)])


def assert_refused(result: Result) -> None:
    """The escape attempt failed: no success marker, and a failing exit."""
    assert "ESCAPED" not in result.stdout, result
    assert result.exit_code != 0, result


def marked_processes(marker: str) -> list[str]:
    """Pids of live processes whose command line carries `marker`."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(entry)
    return found


def wait_until_gone(marker: str, seconds: float = 5) -> list[str]:
    """The marked processes still alive after up to `seconds` of waiting for them to go."""
    deadline = time.monotonic() + seconds
    while marked_processes(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    return marked_processes(marker)


def run_watched(box: Sandbox, argv: list[str], timeout: float, marker: str) -> tuple[Result, int]:
    """Run `argv` in a thread while counting the marked processes it starts; returns the
    result and the most marked processes seen alive at once."""
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(box.run, argv, timeout=timeout, env={"MARK": marker})
        peak = 0
        while not running.done():
            peak = max(peak, len(marked_processes(marker)))
            time.sleep(0.05)
        return running.result(), peak


@pytest.fixture
def tmp_repo(tmp_path, monkeypatch):
    """A git repository in tmp_path, with HOME pointed at a folder of the test's own."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo
