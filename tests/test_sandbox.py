"""The sandbox doing its everyday work: real programs, their input, output, exit codes and
limits, the none backend, detection and its failure messages, and `agent sandbox`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from sandbox import Policy, Result, create_sandbox, self_test, unconfined_warning
from sandbox.capture import CappedBuffer

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")
CLI = [sys.executable, "-c", "from agent.cli import main; main()"]


def cli(args: list[str], cwd: Path, **options) -> subprocess.CompletedProcess[str]:
    """Run the real `agent` command line; its stdin is empty unless `input` is given."""
    if "input" not in options:
        options["stdin"] = subprocess.DEVNULL
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, **options)


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """A git repository in tmp_path, with HOME pointed at a folder of the test's own."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


@needs_bwrap
def test_pytest_runs_inside_on_a_real_project_and_tmp_path_works(workspace):
    (workspace / "pytest.ini").write_text("[pytest]\n")
    (workspace / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    (workspace / "test_calc.py").write_text(textwrap.dedent("""
        from calc import add

        def test_add():
            assert add(2, 3) == 5

        def test_tmp_path(tmp_path):
            (tmp_path / "note.txt").write_text("kept")
            assert (tmp_path / "note.txt").read_text() == "kept"

        def test_broken():
            assert add(1, 1) == 3
    """))
    box = create_sandbox(Policy(workspace, timeout_s=60), "bwrap")
    result = box.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"])
    assert result.exit_code == 1, result
    assert "1 failed, 2 passed" in result.stdout
    assert "assert 2 == 3" in result.stdout


@needs_bwrap
def test_program_reads_stdin(workspace):
    box = create_sandbox(Policy(workspace), "bwrap")
    upper = box.run([sys.executable, "-c", "import sys; print(sys.stdin.read().upper())"],
                    stdin="hello sandbox")
    assert upper.stdout == "HELLO SANDBOX\n"
    big = box.run(["wc", "-c"], stdin=b"x" * 3_000_000)
    assert big.stdout.strip() == "3000000"
    nothing = box.run(["cat"])
    assert nothing.exit_code == 0 and nothing.stdout == ""


@needs_bwrap
def test_exit_codes_and_signals_are_reported(workspace):
    box = create_sandbox(Policy(workspace), "bwrap")
    seven = box.run(["sh", "-c", "echo out; echo err >&2; exit 7"])
    assert (seven.exit_code, seven.stdout, seven.stderr) == (7, "out\n", "err\n")
    assert seven.killed_by is None
    term = box.run(["sh", "-c", "kill -TERM $$"])
    assert (term.exit_code, term.killed_by, term.timed_out) == (-15, "SIGTERM", False)
    segv = box.run([sys.executable, "-c", "import os; os.kill(os.getpid(), 11)"])
    assert (segv.exit_code, segv.killed_by) == (-11, "SIGSEGV")
    missing = box.run(["no-such-program-here"])
    assert missing.exit_code == 127 and "no-such-program-here" in missing.stderr
    (workspace / "script.sh").write_text("echo never\n")  # not executable
    denied = box.run(["./script.sh"])
    assert denied.exit_code == 126 and denied.stdout == ""


@needs_bwrap
def test_output_is_streamed_and_capped_head_and_tail(workspace):
    box = create_sandbox(Policy(workspace, output_cap_bytes=1000), "bwrap")
    seen: list[bytes] = []
    code = "import sys\nfor i in range(2000): print(f'line {i:04d}')"
    result = box.run([sys.executable, "-c", code], on_output=lambda _s, data: seen.append(data))
    assert b"".join(seen) == b"".join(f"line {i:04d}\n".encode() for i in range(2000))
    assert result.truncated
    assert result.stdout.startswith("line 0000\n") and result.stdout.endswith("line 1999\n")
    assert "[... 19,000 bytes cut ...]" in result.stdout


def test_capped_buffer_keeps_everything_up_to_the_cap():
    exact = CappedBuffer(10)
    for piece in (b"abc", b"defg", b"hij"):
        exact.write(piece)
    assert (exact.text(), exact.truncated) == ("abcdefghij", False)
    over = CappedBuffer(10)
    for _ in range(1000):
        over.write(b"0123456789")
    assert over.text() == "01234\n[... 9,990 bytes cut ...]\n56789"


@needs_bwrap
def test_timeout_reports_and_kills(workspace):
    box = create_sandbox(Policy(workspace, timeout_s=2), "bwrap")
    started = time.monotonic()
    result = box.run(["sh", "-c", "echo before; exec sleep 30"])
    assert result.timed_out and result.killed_by == "timeout"
    assert result.stdout == "before\n"
    assert time.monotonic() - started < 7


@needs_bwrap
def test_network_policy_and_explicit_env(workspace):
    box = create_sandbox(Policy(workspace, network=True), "bwrap")
    code = "import os, socket; print(os.environ['GREETING'], len(socket.if_nameindex()))"
    shared = box.run([sys.executable, "-c", code], env={"GREETING": "hi"})
    closed = create_sandbox(Policy(workspace), "bwrap").run([sys.executable, "-c", code],
                                                           env={"GREETING": "hi"})
    assert shared.stdout.split()[0] == closed.stdout.split()[0] == "hi"
    assert int(closed.stdout.split()[1]) == 1  # only a loopback of its own
    assert int(shared.stdout.split()[1]) == len(__import__("socket").if_nameindex())


def test_none_backend_scrubs_env_and_kills_its_tree_on_timeout(workspace, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-planted")
    monkeypatch.setenv("SOME_SECRET_TOKEN", "planted-token")
    box = create_sandbox(Policy(workspace, timeout_s=30), "none")
    env = box.run([sys.executable, "-c", "import os; print(sorted(os.environ))"])
    assert "ANTHROPIC_API_KEY" not in env.stdout and "SOME_SECRET_TOKEN" not in env.stdout
    assert "'PATH'" in env.stdout and "'HOME'" in env.stdout
    marker = f"agent-none-{uuid.uuid4().hex}"
    tree = ("python3 -c 'import time; time.sleep(300)' \"$MARK\" & "
            "setsid python3 -c 'import time; time.sleep(300)' \"$MARK\" & "
            "sleep 300")
    result, peak = run_watched(box, ["sh", "-c", tree], 3, marker)
    assert result.timed_out and result.killed_by == "timeout"
    assert peak >= 2  # both sleepers were running when the clock ran out
    deadline = time.monotonic() + 5
    while _marked(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _marked(marker) == []


def run_watched(box, argv: list[str], timeout: float, marker: str) -> tuple[Result, int]:
    """Run `argv` in a thread while counting the marked processes it starts; returns the
    result and the most marked processes seen alive at once."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(box.run, argv, timeout=timeout, env={"MARK": marker})
        peak = 0
        while not running.done():
            peak = max(peak, len(_marked(marker)))
            time.sleep(0.05)
        return running.result(), peak


def _marked(marker: str) -> list[str]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            if marker.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                found.append(entry)
        except OSError:
            pass
    return found


def test_none_backend_applies_rlimits_and_is_announced_once(workspace):
    box = create_sandbox(Policy(workspace, memory_mb=256), "none")
    result = box.run([sys.executable, "-c", "bytearray(1024 * 1024 * 1024)"])
    assert result.exit_code == 1 and "MemoryError" in result.stderr
    code = ("from pathlib import Path; from sandbox import *\n"
            "box = create_sandbox(Policy(Path('.')), 'none')\n"
            "print(unconfined_warning(box)); print(unconfined_warning(box))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=workspace, check=True)
    first, second = done.stdout.splitlines()
    assert "UNCONFINED" in first and second == "None"


@needs_bwrap
def test_confined_backend_is_never_announced_as_unconfined(workspace):
    assert unconfined_warning(create_sandbox(Policy(workspace), "bwrap")) is None


@needs_bwrap
def test_self_test_passes_for_bwrap_and_fails_for_none():
    passed, summary = self_test()
    assert passed, summary
    assert summary.startswith("bwrap:")
    unconfined, why = self_test("none")
    assert not unconfined and "wrote outside its workspace" in why


def test_missing_bwrap_is_explained_with_the_fix(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}
    code = ("from pathlib import Path; import sandbox\n"
            "print(sandbox.detect())\n"
            "sandbox.create_sandbox(sandbox.Policy(Path('.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=tmp_path)
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
    code = "import sandbox; print(sandbox.detect())"
    jail = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--unshare-user", "--disable-userns", "--cap-drop", "ALL", "--"]
    done = subprocess.run([*jail, sys.executable, "-c", code], capture_output=True,
                          text=True, cwd=Path(__file__).parent.parent)
    assert done.stdout.startswith("(None, 'bwrap cannot create a sandbox here ("), done
    assert "sysctl" in done.stdout and "--sandbox none" in done.stdout


def test_nothing_is_probed_on_import_and_detection_is_cached(tmp_path):
    log = tmp_path / "calls.log"
    fake = tmp_path / "bin" / "bwrap"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\necho called >> {log}\nexit 1\n")
    fake.chmod(0o755)
    code = ("import sandbox, pathlib, sys\n"
            f"log = pathlib.Path({str(log)!r})\n"
            "print(log.exists())\n"
            "sandbox.detect(); first = log.read_text().count('called')\n"
            "sandbox.detect(); print(first, log.read_text().count('called'))")
    env = {**os.environ, "PATH": f"{fake.parent}:/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True)
    imported, counts = done.stdout.splitlines()
    assert imported == "False"
    first, second = counts.split()
    assert int(first) >= 1 and first == second


@needs_bwrap
def test_bwrap_without_newer_options_still_confines(workspace):
    # bubblewrap 0.6 (Ubuntu 22.04) has neither --size nor --disable-userns.
    from sandbox.bwrap import BwrapSandbox

    box = BwrapSandbox(Policy(workspace), bwrap=shutil.which("bwrap"), options=frozenset())
    command, _ = box.command(["true"], workspace, False, None)
    assert "--size" not in command and "--disable-userns" not in command
    result = box.run(["sh", "-c", "touch inside.txt; echo x > /etc/agent-probe"])
    assert (workspace / "inside.txt").exists() and not Path("/etc/agent-probe").exists()
    assert "Read-only file system" in result.stderr


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
    (workspace / ".agent.toml").write_text('command_timeout_s = 0.5\nsandbox = "none"\n')
    slow = cli(["sandbox", "--", "sleep", "30"], workspace)
    assert slow.returncode == 124 and "timed out after 0.5 s" in slow.stderr
    assert "UNCONFINED" in slow.stderr
    confined = cli(["sandbox", "--sandbox", "bwrap", "--timeout", "5", "--",
                    "sh", "-c", "touch /etc/agent-probe"], workspace)
    assert confined.returncode == 1 and "Read-only file system" in confined.stderr


@needs_bwrap
def test_writable_folders_from_the_policy_are_writable(workspace):
    shared = workspace.parent / "shared"
    shared.mkdir()
    box = create_sandbox(Policy(workspace, writable=(Path("../shared"),)), "bwrap")
    result = box.run(["sh", "-c", f"echo kept > {shared}/out.txt; echo lost > ../elsewhere.txt"])
    assert (shared / "out.txt").read_text() == "kept\n"
    assert not (workspace.parent / "elsewhere.txt").exists(), result


@needs_bwrap
def test_parallel_runs_keep_their_own_output(workspace):
    from concurrent.futures import ThreadPoolExecutor

    box = create_sandbox(Policy(workspace), "bwrap")
    code = "import sys; n = int(sys.argv[1]); print(str(n) * 50_000); sys.exit(n)"
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda n: box.run([sys.executable, "-c", code, str(n)]),
                                range(1, 9)))
    for n, result in enumerate(results, start=1):
        assert result.exit_code == n and result.stdout == str(n) * 50_000 + "\n"


@needs_bwrap
def test_home_inside_is_private_and_writable(workspace):
    home = Path(os.environ["HOME"])
    (home / ".gitconfig").write_text("[user]\n\tname = Real Person\n")
    box = create_sandbox(Policy(workspace), "bwrap")
    result = box.run(["sh", "-c", "echo hi > ~/note && cat ~/note && ls -A ~ && echo $HOME"])
    assert result.exit_code == 0, result
    assert result.stdout.splitlines() == ["hi", "note", str(home)]
    assert not (home / "note").exists()
