"""The escape battery, runtime: each test runs a deliberate attempt to reach the network,
see the test's own process, outgrow a limit, flood the output or outlive the timeout as
the sandboxed program on the real bubblewrap backend; the attempt must fail."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from agent.sandbox import Policy, create_sandbox
from tests import sandbox_kit
from tests.sandbox_kit import assert_refused, needs_bwrap, run_python, run_watched, wait_until_gone

pytestmark = needs_bwrap
# The kit's fixtures, used here by name.
area, home, workspace = sandbox_kit.area, sandbox_kit.home, sandbox_kit.workspace


CONNECT = """
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3).close()
    print("ESCAPED")
except OSError as error:
    print(error)
    sys.exit(1)
"""


def test_loopback_listener_on_the_host_is_unreachable(workspace):
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = str(listener.getsockname()[1])
        box = create_sandbox(Policy(workspace, timeout_s=30), "bwrap")
        result = box.run([sys.executable, "-c", CONNECT, port])
        assert_refused(result)
        listener.settimeout(0.2)
        with pytest.raises(TimeoutError):
            listener.accept()


def test_network_true_reaches_the_loopback_listener(workspace):
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = str(listener.getsockname()[1])
        box = create_sandbox(Policy(workspace, timeout_s=30), "bwrap")
        result = box.run([sys.executable, "-c", CONNECT, port], network=True)
        assert "ESCAPED" in result.stdout, result
        listener.settimeout(2)
        listener.accept()[0].close()


def test_dns_names_do_not_resolve(workspace):
    result = run_python(
        workspace,
        """
        import socket, sys
        try:
            print(socket.getaddrinfo("pypi.org", 443))
            print("ESCAPED")
        except OSError as error:
            print(error)
            sys.exit(1)
    """,
    )
    assert_refused(result)


@pytest.mark.skipif(not os.access("/run", os.W_OK), reason="needs to plant a socket in /run")
def test_unix_socket_under_run_is_hidden(workspace):
    path = Path("/run") / f"agent-escape-{uuid.uuid4().hex[:8]}.sock"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        server.listen()
        result = run_python(
            workspace,
            f"""
            import socket, sys
            try:
                socket.socket(socket.AF_UNIX).connect({str(path)!r})
                print("ESCAPED")
            except OSError as error:
                print(error)
                sys.exit(1)
        """,
        )
        assert_refused(result)
    finally:
        server.close()
        path.unlink(missing_ok=True)


def test_abstract_unix_socket_on_the_host_is_unreachable(workspace):
    name = f"\0agent-escape-{uuid.uuid4().hex[:8]}"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(name)
        server.listen()
        result = run_python(
            workspace,
            f"""
            import socket, sys
            try:
                socket.socket(socket.AF_UNIX).connect({name!r})
                print("ESCAPED")
            except OSError as error:
                print(error)
                sys.exit(1)
        """,
        )
        assert_refused(result)


def test_cannot_see_or_signal_the_test_process(workspace):
    result = run_python(
        workspace,
        f"""
        import os, sys
        pid = {os.getpid()}
        try:
            os.kill(pid, 0)
            print("ESCAPED signal")
        except ProcessLookupError:
            pass
        names = [open(f"/proc/{{p}}/cmdline", "rb").read() for p in os.listdir("/proc")
                 if p.isdigit()]
        if os.path.exists(f"/proc/{{pid}}") or {Path("/proc/self/cmdline").read_bytes()!r} in names:
            print("ESCAPED proc")
        print(len(names), "processes visible")
        sys.exit(3)
    """,
    )
    assert result.exit_code == 3, result
    assert_refused(result)
    assert int(result.stdout.split()[-3]) <= 3  # bwrap's init, the program, nothing else


def test_file_size_limit_stops_a_disk_filler(workspace):
    result = run_python(
        workspace,
        """
        import sys
        try:
            with open("big.bin", "wb") as f:
                for _ in range(10):
                    f.write(b"x" * 1024 * 1024)
            print("ESCAPED")
        except OSError as error:
            print(error)
            sys.exit(1)
    """,
        file_size_mb=2,
    )
    assert_refused(result)
    assert "too large" in result.stdout
    assert (workspace / "big.bin").stat().st_size <= 2 * 1024 * 1024


def test_private_tmp_is_bounded(workspace):
    result = run_python(
        workspace,
        """
        import sys
        try:
            for i in range(10):
                with open(f"/tmp/part{i}", "wb") as f:
                    f.write(b"x" * 1024 * 1024)
            print("ESCAPED")
        except OSError as error:
            print(error)
            sys.exit(1)
    """,
        file_size_mb=4,
    )
    assert_refused(result)
    assert "No space left" in result.stdout


def test_memory_limit_stops_a_large_allocation(workspace):
    result = run_python(
        workspace,
        """
        block = bytearray(1024 * 1024 * 1024)
        print("ESCAPED")
    """,
        memory_mb=256,
    )
    assert_refused(result)
    assert "MemoryError" in result.stderr


def test_cpu_limit_stops_a_busy_loop(workspace):
    result = run_python(workspace, "while True: pass", cpu_s=1)
    assert result.killed_by == "SIGXCPU" and result.exit_code == -24, result
    assert not result.timed_out


MEASURE = """
import json, sys, tracemalloc
from pathlib import Path
from agent.sandbox import Policy, create_sandbox
box = create_sandbox(Policy(Path(sys.argv[1]), timeout_s=60), "bwrap")
flood = "import sys\\nfor _ in range(100): sys.stdout.buffer.write(b'x' * 1_000_000)"
tracemalloc.start()
result = box.run([sys.executable, "-c", flood])
print(json.dumps({"peak_kb": tracemalloc.get_traced_memory()[1] // 1024,
                  "length": len(result.stdout), "truncated": result.truncated,
                  "exit": result.exit_code, "head": result.stdout[:5],
                  "marker": "[... 99,000,000 bytes cut ...]" in result.stdout}))
"""


def test_hundred_megabytes_of_output_is_capped_in_bounded_memory(workspace):
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(workspace)], capture_output=True, text=True, timeout=120
    )
    report = json.loads(done.stdout)
    assert report["exit"] == 0 and report["truncated"] and report["marker"], report
    assert report["length"] < 1_100_000 and report["head"] == "xxxxx"
    # 100 MB went through; about 1 MB was kept. Python's own allocation peak is measured
    # (not ru_maxrss, which some kernels, gVisor among them, report for the whole container).
    assert report["peak_kb"] < 8_000, report


TREE = """
sleeper() { python3 -c 'import time; time.sleep(300)' "$MARK" ; }
sleeper &
(sleeper &) &
setsid sh -c 'python3 -c "import time; time.sleep(300)" "$0"' "$MARK" &
( ( sleeper & ) & ) &
while :; do sleep 300 & wait; done
"""


def test_fork_tree_that_outlives_the_timeout_is_killed_entirely(workspace):
    marker = f"agent-escape-{uuid.uuid4().hex}"
    box = create_sandbox(Policy(workspace, timeout_s=30), "bwrap")
    started = time.monotonic()
    result, peak = run_watched(box, ["sh", "-c", TREE], 3, marker)
    assert result.timed_out and result.killed_by == "timeout", result
    assert time.monotonic() - started < 8
    assert peak >= 5  # the tree really grew: sleepers, a setsid one, a double-forked one
    assert wait_until_gone(marker) == []
