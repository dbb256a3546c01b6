"""`agent sandbox` end to end, and what a person is told when the sandbox cannot run:
bubblewrap missing, namespaces forbidden; and that nothing is probed on import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests import sandbox_kit
from tests.sandbox_kit import needs_bwrap

workspace = sandbox_kit.tmp_repo  # the fixture, used here by name
CLI = [sys.executable, "-c", "from agent.cli import main; main()"]


def cli(args: list[str], cwd: Path, **options) -> subprocess.CompletedProcess[str]:
    """Run the real `agent` command line; its stdin is empty unless `input` is given."""
    if "input" not in options:
        options["stdin"] = subprocess.DEVNULL
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, **options)


@needs_bwrap
def test_cli_passes_the_exit_code_through(workspace):
    done = cli(["sandbox", "--", "sh", "-c", "echo hi; exit 7"], workspace)
    assert (done.returncode, done.stdout) == (7, "hi\n")


@needs_bwrap
def test_cli_confines_to_the_git_root_and_reads_stdin(workspace, tmp_path):
    sub = workspace / "pkg"
    sub.mkdir()
    script = "cat > ../from-stdin.txt && touch " + str(tmp_path / "outside.txt")
    done = cli(["sandbox", "--", "sh", "-c", script], sub, input="piped")
    assert (workspace / "from-stdin.txt").read_text() == "piped"
    # /tmp inside is private: the touch lands there and vanishes, the host never sees it
    assert done.returncode == 0 and not (tmp_path / "outside.txt").exists()


@needs_bwrap
def test_cli_timeout_and_signal_exit_codes(workspace):
    slow = cli(["sandbox", "--timeout", "0.5", "--", "sleep", "30"], workspace)
    assert slow.returncode == 124 and "timed out after 0.5 s" in slow.stderr
    killed = cli(["sandbox", "--", "sh", "-c", "kill -KILL $$"], workspace)
    assert killed.returncode == 137 and "SIGKILL" in killed.stderr


def test_cli_none_backend_warns_loudly(workspace):
    done = cli(["sandbox", "--sandbox", "none", "--", "sh", "-c", "exit 3"], workspace)
    assert done.returncode == 3 and "UNCONFINED" in done.stderr


def test_cli_rejects_a_missing_command_and_unknown_backend(workspace):
    empty = cli(["sandbox"], workspace)
    assert empty.returncode == 2 and "after --" in empty.stderr
    odd = cli(["sandbox", "--backend", "docker", "--", "true"], workspace)
    assert odd.returncode == 2 and "'docker'" in odd.stderr and "Traceback" not in odd.stderr


@needs_bwrap
def test_cli_takes_the_repository_policy_from_its_config(workspace):
    (workspace / ".agent.toml").write_text("command_timeout_s = 0.5\n")
    slow = cli(["sandbox", "--sandbox", "none", "--", "sleep", "30"], workspace)
    assert slow.returncode == 124 and "timed out after 0.5 s" in slow.stderr
    assert "UNCONFINED" in slow.stderr
    confined = cli(
        [
            "sandbox",
            "--sandbox",
            "bwrap",
            "--timeout",
            "5",
            "--",
            "sh",
            "-c",
            "touch /etc/agent-probe",
        ],
        workspace,
    )
    assert confined.returncode == 1 and "Read-only file system" in confined.stderr


def test_missing_bwrap_is_explained_with_the_fix(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}
    code = (
        "from pathlib import Path; from agent import sandbox\n"
        "print(sandbox.detect())\n"
        "sandbox.create_sandbox(sandbox.Policy(Path('.')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert done.stdout.startswith("(None, 'bubblewrap (bwrap) is not installed")
    assert "apt-get install bubblewrap" in done.stdout and "--sandbox none" in done.stdout
    assert "SandboxUnavailable" in done.stderr
    refused = cli(["sandbox", "--", "true"], tmp_path, env=env)
    assert refused.returncode == 2
    assert refused.stderr.startswith("agent: bubblewrap (bwrap) is not installed")
    assert "Traceback" not in refused.stderr


@needs_bwrap
def test_namespace_failure_is_explained_with_the_fix(tmp_path):
    # A real place where namespaces are forbidden: a sandbox with user namespaces disabled.
    code = "from agent import sandbox; print(sandbox.detect())"
    jail = [
        "bwrap",
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--unshare-user",
        "--disable-userns",
        "--cap-drop",
        "ALL",
        "--",
    ]
    done = subprocess.run(
        [*jail, sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    assert done.stdout.startswith("(None, 'bwrap cannot create a sandbox here ("), done
    assert "sysctl" in done.stdout and "--sandbox none" in done.stdout


def test_nothing_is_probed_on_import_and_detection_is_cached(tmp_path):
    log = tmp_path / "calls.log"
    fake = tmp_path / "bin" / "bwrap"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\necho called >> {log}\nexit 1\n")
    fake.chmod(0o755)
    code = (
        "import pathlib, sys\nfrom agent import sandbox\n"
        f"log = pathlib.Path({str(log)!r})\n"
        "print(log.exists())\n"
        "sandbox.detect(); first = log.read_text().count('called')\n"
        "sandbox.detect(); print(first, log.read_text().count('called'))"
    )
    env = {**os.environ, "PATH": f"{fake.parent}:/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    imported, counts = done.stdout.splitlines()
    assert imported == "False"
    first, second = counts.split()
    assert int(first) >= 1 and first == second
