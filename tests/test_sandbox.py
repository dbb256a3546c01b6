"""The sandbox doing its everyday work: real programs, their input, output, exit codes and
limits, streaming and capping, parallel runs, and the none backend."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

from agent.sandbox import Policy, create_sandbox, self_test, unconfined_warning
from agent.sandbox.capture import CappedBuffer
from tests import sandbox_kit
from tests.sandbox_kit import marked_processes, needs_bwrap, run_watched

workspace = sandbox_kit.tmp_repo  # the fixture, used here by name


@needs_bwrap
def test_pytest_runs_inside_on_a_real_project_and_tmp_path_works(workspace):
    (workspace / "pytest.ini").write_text("[pytest]\n")
    (workspace / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    (workspace / "test_calc.py").write_text(
        textwrap.dedent("""
        from calc import add

        def test_add():
            assert add(2, 3) == 5

        def test_tmp_path(tmp_path):
            (tmp_path / "note.txt").write_text("kept")
            assert (tmp_path / "note.txt").read_text() == "kept"

        def test_broken():
            assert add(1, 1) == 3
    """)
    )
    box = create_sandbox(Policy(workspace, timeout_s=60), "bwrap")
    result = box.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"])
    assert result.exit_code == 1, result
    assert "1 failed, 2 passed" in result.stdout
    assert "assert 2 == 3" in result.stdout


@needs_bwrap
def test_program_reads_stdin(workspace):
    box = create_sandbox(Policy(workspace), "bwrap")
    upper = box.run(
        [sys.executable, "-c", "import sys; print(sys.stdin.read().upper())"], stdin="hello sandbox"
    )
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
    closed = create_sandbox(Policy(workspace), "bwrap").run(
        [sys.executable, "-c", code], env={"GREETING": "hi"}
    )
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
    tree = (
        "python3 -c 'import time; time.sleep(300)' \"$MARK\" & "
        "setsid python3 -c 'import time; time.sleep(300)' \"$MARK\" & "
        "sleep 300"
    )
    result, peak = run_watched(box, ["sh", "-c", tree], 3, marker)
    assert result.timed_out and result.killed_by == "timeout"
    assert peak >= 2  # both sleepers were running when the clock ran out
    deadline = time.monotonic() + 5
    while marked_processes(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marked_processes(marker) == []


def test_none_backend_applies_rlimits_and_is_announced_once(workspace):
    box = create_sandbox(Policy(workspace, memory_mb=256), "none")
    result = box.run([sys.executable, "-c", "bytearray(1024 * 1024 * 1024)"])
    assert result.exit_code == 1 and "MemoryError" in result.stderr
    code = (
        "from pathlib import Path; from agent.sandbox import *\n"
        "box = create_sandbox(Policy(Path('.')), 'none')\n"
        "print(unconfined_warning(box)); print(unconfined_warning(box))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=workspace, check=True
    )
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


@needs_bwrap
def test_bwrap_without_newer_options_still_confines(workspace):
    # bubblewrap 0.6 (Ubuntu 22.04) has neither --size nor --disable-userns.
    from agent.sandbox.bwrap import BwrapSandbox

    box = BwrapSandbox(Policy(workspace), bwrap=shutil.which("bwrap"), options=frozenset())
    command, _ = box.command(["true"], workspace, False, None)
    assert "--size" not in command and "--disable-userns" not in command
    result = box.run(["sh", "-c", "touch inside.txt; echo x > /etc/agent-probe"])
    assert (workspace / "inside.txt").exists() and not Path("/etc/agent-probe").exists()
    assert "Read-only file system" in result.stderr


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
        results = list(
            pool.map(lambda n: box.run([sys.executable, "-c", code, str(n)]), range(1, 9))
        )
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


@needs_bwrap
def test_multiprocessing_works_in_a_bounded_dev_shm(workspace):
    code = textwrap.dedent("""
        import multiprocessing, sys
        from multiprocessing import shared_memory
        if __name__ == "__main__":
            with multiprocessing.Pool(2) as pool:
                print(pool.map(abs, [-1, -2]))
            block = shared_memory.SharedMemory(create=True, size=4096)
            block.close(); block.unlink()
            try:
                for i in range(4):
                    open(f"/dev/shm/fill{i}", "wb").write(b"x" * 1024 * 1024)
                print("filled")
            except OSError as error:
                print(error.strerror)
    """)
    result = create_sandbox(Policy(workspace, file_size_mb=2), "bwrap").run(
        [sys.executable, "-c", code]
    )
    assert result.stdout.splitlines() == ["[1, 2]", "No space left on device"], result


@needs_bwrap
def test_the_agents_own_code_is_reachable_inside_when_it_lives_under_tmp(workspace, tmp_path):
    # An editable install from a checkout in /tmp: sandboxed helpers import that checkout.
    checkout = tmp_path / "checkout"
    shutil.copytree(
        Path(__file__).resolve().parents[1] / "agent",
        checkout / "agent",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    outside = tmp_path / "not-the-agent.txt"
    outside.write_text("private")
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from agent.sandbox import Policy, create_sandbox
        box = create_sandbox(Policy(Path({str(workspace)!r})), "bwrap")
        result = box.run([sys.executable, "-c", "import agent.sandbox.mounts, os; "
                          "print(agent.sandbox.mounts.__file__, os.path.exists({str(outside)!r}))"],
                         env={{"PYTHONPATH": {str(checkout)!r}}})
        print(result.stdout, result.stderr)
    """)
    run = subprocess.run(
        [sys.executable, "-c", script],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(checkout)},
    )
    assert run.stdout.split() == [str(checkout / "agent" / "sandbox" / "mounts.py"), "False"], run
