"""Attacks on the agent's git from a command it runs: each is a real `agent solve` session in
the real bwrap sandbox whose scripted model runs the attack with run_command, and each
asserts that the payload never ran on the host and that HEAD, index, stash and refs held."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from agent.errors import UserError
from agent.gitops.pin import GitTampered
from agent.models.scripted import ScriptedModel
from agent.runner import SolveOptions, run_session
from agent.session import SessionStore
from tests.sandbox_kit import area, needs_bwrap  # noqa: F401  (area is a fixture)
from tests.solve_kit import edit, finish, git, make_repo, plan, texts, turn

pytestmark = needs_bwrap
TASK = "clamp(15, 0, 10) returns 0 but should return 10"


@pytest.fixture
def repo(area):  # noqa: F811
    """A committed repository with a stash entry, and a payload that marks it ran."""
    root = make_repo(area / "repo")
    (root / "calc.py").write_text((root / "calc.py").read_text() + "# stashed\n")
    git(root, "-c", "user.name=t", "-c", "user.email=t@localhost", "stash", "-q")
    payload = area / "payload.sh"
    payload.write_text(f"#!/bin/sh\necho ran >> {area / 'PAYLOAD_RAN'}\nexit 1\n")
    payload.chmod(0o755)
    return root


def marker(repo: Path) -> Path:
    """The file the payload creates: outside the workspace, on the real disk (not /tmp)."""
    return repo.parent / "PAYLOAD_RAN"


def payload(repo: Path) -> Path:
    return repo.parent / "payload.sh"


def git_state(repo: Path) -> dict[str, str | bytes]:
    """What a command must not move: HEAD, the user's refs, the stash, the index, config."""
    refs = git(repo, "for-each-ref", "--format=%(refname) %(objectname)")
    return {
        "HEAD": git(repo, "rev-parse", "HEAD"),
        "branch": git(repo, "symbolic-ref", "HEAD"),
        "refs": "\n".join(r for r in refs.splitlines() if not r.startswith("refs/agent/")),
        "stash": git(repo, "stash", "list", "--format=%H"),
        "index": (repo / ".git" / "index").read_bytes(),
        "config": (repo / ".git" / "config").read_bytes(),
    }


def session(repo: Path, *middle):
    """A session that plans, runs the scripted middle turns, fixes the bug and finishes."""
    model = ScriptedModel([plan(), *middle, edit(), finish()])
    result = run_session(SolveOptions(task=TASK, cwd=repo, model=model), [])
    return result, model


def command(text: str):
    return turn("", ("run_command", {"command": text}))


def tool_outputs(model: ScriptedModel) -> str:
    """Everything the model was shown, tool results included."""
    return "\n".join(texts(request) for request in model.requests)


def sandbox_attacks(repo: Path) -> dict[str, str]:
    monitor = f"printf '[core]\\n\\tfsmonitor = {payload(repo)}\\n'"
    return {
        "swap .git for a copy with fsmonitor": f"cp -a .git /tmp/g && {monitor} >> /tmp/g/config; mv .git .git.orig; "
        "rm -rf .git; cp -a /tmp/g/. .git/",
        "point commondir at a planted copy": f'cp -a .git planted && {monitor} >> planted/config && echo "$PWD/planted" '
        "> .git/commondir",
        "add a config include": f"{monitor} > evil.gitconfig; git config include.path ../evil.gitconfig",
        "replace .git by a gitdir file": f"cp -a .git planted && {monitor} >> planted/config; mv .git old; rm -rf .git; "
        "echo 'gitdir: planted' > .git",
        "plant a hook through hooksPath": f"mkdir -p h && cp {payload(repo)} h/post-commit; git config core.hooksPath h",
        "move HEAD, index, stash and refs": "git stash clear; git add -A; git commit -qm planted; git update-ref "
        "refs/heads/evil HEAD; git update-ref -d refs/stash; git reset -q --soft HEAD~0",
    }


@pytest.mark.parametrize("attack", list(sandbox_attacks(Path("/"))))
def test_a_sandboxed_command_cannot_change_the_git_directory(repo, attack):
    before = git_state(repo)
    result, model = session(repo, command(sandbox_attacks(repo)[attack] + "; ls -a .git"))
    assert not marker(repo).exists(), "the payload ran on the host"
    assert result.outcome.status == "solved", result.outcome
    assert git_state(repo) == before
    seen = tool_outputs(model)
    assert "Read-only file system" in seen or "busy" in seen, seen
    assert result.files == ["calc.py"] or "calc.py" in result.files
    # The agent's own git still works on the real repository afterwards.
    assert "return high" in result.diff
    assert not marker(repo).exists()


def test_a_worktree_session_keeps_its_gitdir_file_and_both_git_dirs(repo):
    before = git_state(repo)
    monitor = f"printf '[core]\\n\\tfsmonitor = {payload(repo)}\\n'"
    model = ScriptedModel(
        [
            plan(),
            command(
                f'cp -a "$(git rev-parse --git-dir)" planted && {monitor} >> planted/config; '
                'echo "gitdir: $PWD/planted" > .git; '
                'echo 0000 > "$(git rev-parse --git-dir)/HEAD"; '
                f'{monitor} >> "$(git rev-parse --git-common-dir)/config"; '
                "git commit --allow-empty -qm planted"
            ),
            edit(),
            finish(),
        ]
    )
    result = run_session(SolveOptions(task=TASK, cwd=repo, model=model, worktree=True), [])
    seen = tool_outputs(model)
    assert seen.count("Read-only file system") >= 3, seen
    assert result.outcome.status == "solved" and "return high" in result.diff
    assert not marker(repo).exists(), "the payload ran on the host"
    assert git_state(repo) == before
    worktree = Path(result.delivery["worktree"])
    assert (worktree / ".git").read_text().startswith(f"gitdir: {repo / '.git'}")


def test_a_submodule_pointed_at_a_planted_git_dir_runs_nothing_on_the_host(repo):
    sub = make_repo(repo.parent / "sub")
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "sub")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qm", "sub")
    before = git_state(repo)
    # A clean filter in the planted config would run when git compares a file whose size
    # did not change; .gitmodules asks for the submodule to be looked into.
    result, model = session(
        repo,
        command(
            "cp -a .git/modules/sub planted && sed -i /worktree/d planted/config && "
            f"printf '[filter \"x\"]\\n\\tclean = {payload(repo)}\\n' >> planted/config && "
            "echo \"gitdir: $PWD/planted\" > sub/.git && echo '* filter=x' > sub/.gitattributes"
            " && printf '\\tignore = none\\n' >> .gitmodules && sed -i 's/a + b/b + a/' "
            "sub/calc.py && git -C sub ls-files -s calc.py"
        ),
    )
    assert "calc.py" in tool_outputs(model)  # the planted git dir is live in the sandbox
    assert not marker(repo).exists(), "the payload ran on the host"
    assert result.outcome.status == "solved"
    assert git_state(repo) == before


def test_the_agent_dir_is_hidden_from_the_sandbox(repo):
    result, model = session(
        repo,
        command(
            'echo "agent dir: [$(ls -A .agent)]"; rm -f .agent/sessions.sqlite; '
            "echo x > .agent/index.sqlite"
        ),
    )
    seen = tool_outputs(model)
    assert "agent dir: []" in seen and "Read-only file system" in seen, seen
    assert (repo / ".agent" / "sessions.sqlite").is_file()
    shown = subprocess.run(
        [sys.executable, "-m", "agent", "diff", "-s", result.session_id],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert shown.returncode == 0 and "return high" in shown.stdout, shown.stderr


def test_an_include_the_sandbox_can_write_stops_the_session(repo):
    (repo / "project.gitconfig").write_text("[user]\n\tname = t\n")
    git(repo, "config", "include.path", "../project.gitconfig")
    git(repo, "add", "project.gitconfig")
    git(repo, "-c", "user.email=t@localhost", "commit", "-qm", "shared config")
    with pytest.raises(GitTampered, match="project.gitconfig"):
        session(
            repo,
            command(f"printf '[core]\\n\\tfsmonitor = {payload(repo)}\\n' >> project.gitconfig"),
        )
    assert not marker(repo).exists()
    assert SessionStore.open(repo).latest().status == "error"


def host_tampering(repo: Path) -> dict[str, callable]:
    """What a command that got out of the sandbox would do to the git directory."""
    monitor = f"[core]\n\tfsmonitor = {payload(repo)}\n"

    def swap():
        subprocess.run(["cp", "-a", str(repo / ".git"), str(repo / "copy")], check=True)
        with open(repo / "copy" / "config", "a") as config:
            config.write(monitor)
        os.rename(repo / ".git", repo / "orig")
        os.rename(repo / "copy", repo / ".git")

    def commondir():
        (repo / ".git" / "commondir").write_text(str(repo / "elsewhere"))

    def include():
        (repo.parent / "evil.gitconfig").write_text(monitor)
        with open(repo / ".git" / "config", "a") as config:
            config.write(f"[include]\n\tpath = {repo.parent / 'evil.gitconfig'}\n")

    return {".git": swap, "commondir": commondir, "config": include}


@pytest.mark.parametrize("what", [".git", "commondir", "config"])
def test_tampering_between_git_calls_stops_the_session_loudly(repo, what):
    def escape_then_run(_request):
        host_tampering(repo)[what]()
        return command("echo after")

    with pytest.raises(GitTampered, match=what) as stopped:
        session(repo, escape_then_run)
    assert "\n" not in str(stopped.value)
    assert not marker(repo).exists(), "the payload ran on the host"
    assert SessionStore.open(repo).latest().status == "error"
    assert not (repo / ".agent" / "session.lock").exists()


def test_a_second_session_in_the_same_tree_refuses_naming_the_first(repo):
    started, released = threading.Event(), threading.Event()

    def first_thinking(_request):  # the first session holds the tree while its model thinks
        started.set()
        released.wait(60)
        return command("true")

    results = []
    first = threading.Thread(target=lambda: results.append(session(repo, first_thinking)))
    first.start()
    assert started.wait(60)
    second = subprocess.run(
        [sys.executable, "-m", "agent", "solve", "another task", "--model", "scripted:"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    released.set()  # the second answered while the first still held the tree: no waiting
    first.join(60)
    session_id = results[0][0].session_id
    assert second.returncode == 2, second
    assert f"session {session_id}" in second.stderr and "--worktree" in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1, second.stderr
    assert results[0][0].outcome.status == "solved"
    assert [s.id for s in SessionStore.open(repo).list()] == [session_id]
    assert not (repo / ".agent" / "session.lock").exists()


def test_a_lock_left_by_a_dead_process_is_taken_over(repo):
    (repo / ".agent").mkdir(exist_ok=True)
    dead = subprocess.Popen(["true"])
    dead.wait()
    (repo / ".agent" / "session.lock").write_text(f'{{"pid": {dead.pid}, "session": "gone"}}')
    result, _ = session(repo)
    assert result.outcome.status == "solved"
    assert not (repo / ".agent" / "session.lock").exists()


def test_a_refused_session_lets_go_of_the_tree(repo):
    (repo / "notes.txt").write_text("uncommitted\n")
    with pytest.raises(UserError, match="uncommitted changes"):
        session(repo)
    assert not (repo / ".agent" / "session.lock").exists()
    (repo / "notes.txt").unlink()
    result, _ = session(repo)
    assert result.outcome.status == "solved"


def test_undo_to_start_removes_a_repository_a_command_made_inside_the_tree(repo):
    git(repo, "-c", "user.name=t", "-c", "user.email=t@localhost", "stash", "pop", "-q")
    git(repo, "checkout", "-q", "calc.py")
    result, _ = session(
        repo,
        command(
            "mkdir sub && cd sub && git init -q && echo a > a.txt && git add a.txt && "
            "git -c user.name=t -c user.email=t@l commit -qm a && "
            f"git config core.fsmonitor {payload(repo)}"
        ),
    )
    assert result.outcome.status == "solved" and (repo / "sub" / ".git" / "config").exists()
    undo = subprocess.run(
        [sys.executable, "-m", "agent", "undo", "--to-start"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert undo.returncode == 0, undo.stderr
    assert not (repo / "sub").exists()  # nothing of the planted repository is left to run
    assert git(repo, "status", "--porcelain") == ""
    assert not marker(repo).exists()
