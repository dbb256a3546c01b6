"""Nothing hidden from review: files a hostile command plants or deletes where git does not look
(ignored, excluded, under .git) are listed with marks, and undo --to-start gives back the
ignored files it deleted. Real bwrap, real tools, a scripted model, the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from agent.models.scripted import ScriptedModel
from agent.runner import SolveOptions, run_session
from tests.session_snapshot import Recorder
from tests.solve_kit import QUIET, finish, make_repo, plan, turn
from tests.test_git import files_state

TASK = "clamp(15, 0, 10) returns 0 but should return 10"
GITIGNORE = "*.db\nlogs\n.venv/\nbuild/\nlocal/\n"
DATABASE = b"SQLite format 3\x00\x01\x02 rows"
PLANT_IN_VENV = "printf 'import os\\n' > .venv/lib/evil.pth"
PLANT = (
    "(echo conftest.py >> .git/info/exclude) 2>/dev/null; "
    "printf 'import os\\n' > conftest.py; "
    "mkdir -p local build && printf 'import os\\n' > local/conftest.py && "
    "printf 'import os\\n' > build/evil.pth; rm app.db logs/run.log; echo more >> big.db"
)


def command(line: str):
    """A run_command turn."""
    return turn("", ("run_command", {"command": line}))


def attacked_repo(path, settings: str = ""):
    """A repository whose person keeps a git-ignored database, a log, a venv and a big file."""
    repo = make_repo(
        path, QUIET + "ignored_keep_mb = 1\n" + settings, files={".gitignore": GITIGNORE}
    )
    (repo / "app.db").write_bytes(DATABASE)
    os.chmod(repo / "app.db", 0o600)
    (repo / "logs").mkdir()
    (repo / "logs" / "run.log").write_text("started\n")
    (repo / ".venv" / "lib").mkdir(parents=True)
    (repo / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (repo / "big.db").write_bytes(b"b" * 1_500_000)  # over the 1 MB kept: not restorable
    return repo


def agent_cli(repo, *argv):
    return subprocess.run(
        [sys.executable, "-m", "agent", *argv],
        cwd=repo,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )


def replay_folder(folder, answers):
    """A replay:DIR recording holding only answers (nothing to compare the requests with)."""
    from agent.models.exchange import response_path, response_to_json

    folder.mkdir()
    for number, answer in enumerate(answers, 1):
        response_path(folder, number).write_text(json.dumps(response_to_json(answer)))
    return folder


def by_path(touched):
    return {t["path"]: t for t in touched}


def test_planted_and_deleted_files_git_does_not_show_are_listed_with_marks(tmp_path):
    repo = attacked_repo(tmp_path / "r")
    events = []
    result = run_session(
        SolveOptions(
            task=TASK,
            cwd=repo,
            model=ScriptedModel([plan(), command(PLANT_IN_VENV), command(PLANT), finish()]),
        ),
        [events.append],
    )

    outputs = [e.output for e in events if e.kind == "tool_call_finished"]
    assert any("Read-only file system" in o for o in outputs if "evil.pth" in o)
    assert not (repo / ".venv" / "lib" / "evil.pth").exists()
    touched = by_path(result.to_dict()["touched"])
    # Where .git is read-only in the sandbox the exclude cannot be planted; else it hides one.
    excluded = (repo / ".git" / "info" / "exclude").read_text().endswith("conftest.py\n")
    for planted in ("conftest.py", "local/conftest.py", "build/evil.pth"):
        assert touched[planted]["change"] == "created" and touched[planted]["runs_code"]
        assert touched[planted]["ignored"] == (excluded or planted != "conftest.py")
    assert touched["app.db"] == {
        "path": "app.db",
        "change": "deleted",
        "tracked": False,
        "ignored": True,
        "runs_code": "",
        "restorable": True,
    }
    assert touched["big.db"]["change"] == "changed" and not touched["big.db"]["restorable"]
    if excluded:
        assert touched[".git/info/exclude"]["runs_code"]  # the exclude was writable: listed
    assert not any(path.startswith(".venv/") for path in touched)
    assert "local/conftest.py" not in result.diff and "evil.pth" not in result.diff

    shown = agent_cli(repo, "diff")
    assert shown.returncode == 0, shown.stderr
    hidden = shown.stdout.split("# Not in the diff above")[1]
    assert "created  local/conftest.py  (git-ignored)  ! runs code: pytest imports it" in hidden
    assert "deleted  app.db  (git-ignored)" in hidden
    assert "changed  big.db  (git-ignored, NOT restorable by undo)" in hidden
    assert "build/evil.pth" in shown.stdout.split("# Warning: these run code later")[1]

    undone = agent_cli(repo, "undo", "--to-start")
    assert undone.returncode == 0, undone.stderr
    assert (repo / "app.db").read_bytes() == DATABASE
    assert oct(os.stat(repo / "app.db").st_mode & 0o777) == "0o600"
    assert (repo / "logs" / "run.log").read_text() == "started\n"
    assert not (repo / "conftest.py").exists() and not (repo / "build" / "evil.pth").exists()
    assert "not restorable: big.db" in undone.stderr


def test_the_summary_and_json_of_agent_solve_list_every_touched_file(tmp_path):
    answers = [plan(), command(PLANT), finish()]
    repo = attacked_repo(tmp_path / "r")
    done = agent_cli(
        repo, "solve", TASK, "--model", f"replay:{replay_folder(tmp_path / 'rec', answers)}"
    )
    assert done.returncode in (0, 1), done.stderr
    progress, summary = done.stdout.split("files the session touched")
    assert "! created build/evil.pth: runs code later (Python runs its import lines" in progress
    assert "created  local/conftest.py  (git-ignored)  ! runs code: pytest imports it" in summary
    assert "created  build/evil.pth  (git-ignored)  ! runs code: Python runs" in summary
    assert "deleted  logs/run.log  (git-ignored)" in summary

    repo = attacked_repo(tmp_path / "j")
    done = agent_cli(
        repo,
        "solve",
        TASK,
        "--json",
        "--model",
        f"replay:{replay_folder(tmp_path / 'rec2', answers)}",
    )
    touched = by_path(json.loads(done.stdout)["touched"])
    assert not [p for p in touched if ".agent-report" in p]  # the test report is not the change
    assert touched["local/conftest.py"]["runs_code"] == "pytest imports it"
    assert touched["logs/run.log"]["change"] == "deleted" and touched["logs/run.log"]["ignored"]


def test_writable_envs_opens_the_venv_and_the_planted_pth_is_listed(tmp_path):
    repo = attacked_repo(tmp_path / "r")
    result = run_session(
        SolveOptions(
            task=TASK,
            cwd=repo,
            overrides={"writable_envs": True},
            model=ScriptedModel([plan(), command(PLANT_IN_VENV), finish()]),
        ),
        [],
    )
    assert (repo / ".venv" / "lib" / "evil.pth").exists()
    touched = by_path(result.to_dict()["touched"])
    assert touched[".venv/lib/evil.pth"]["runs_code"].startswith("Python runs")


def test_the_agents_own_edit_of_an_ignored_file_is_listed(tmp_path):
    repo = attacked_repo(tmp_path / "r")
    result = run_session(
        SolveOptions(
            task=TASK,
            cwd=repo,
            model=ScriptedModel(
                [
                    plan(),
                    turn(
                        "",
                        (
                            "create_file",
                            {"path": "local/sitecustomize.py", "content": "import os\n"},
                        ),
                    ),
                    finish(),
                ]
            ),
        ),
        [],
    )
    touched = by_path(result.to_dict()["touched"])
    assert touched["local/sitecustomize.py"]["ignored"]
    assert touched["local/sitecustomize.py"]["runs_code"] == "Python imports it at start-up"
    assert files_state(repo)["local/sitecustomize.py"][1] == b"import os\n"


def test_the_agents_own_edits_cannot_write_into_a_read_only_environment(tmp_path):
    repo = attacked_repo(tmp_path / "r")
    model = Recorder(
        [
            plan(),
            turn("", ("create_file", {"path": ".venv/lib/evil.pth", "content": "import os\n"})),
            finish(),
        ]
    )
    run_session(SolveOptions(task=TASK, cwd=repo, model=model.model), [])
    assert not (repo / ".venv" / "lib" / "evil.pth").exists()
    refused = model.result("create_file")
    assert refused.is_error and "environment folder kept read-only" in refused.content


def test_the_tuis_changes_pane_lists_planted_files_the_diff_does_not_show(tmp_path):
    import asyncio

    from agent.session import SessionStore
    from agent.tui.replay import ReplayApp
    from tests.tui_kit import svg_lines

    repo = attacked_repo(tmp_path / "r")
    done = run_session(
        SolveOptions(task=TASK, cwd=repo, model=ScriptedModel([plan(), command(PLANT), finish()])),
        [],
    )
    store = SessionStore.open(repo)
    app = ReplayApp(store.get(done.session_id), store.events(done.session_id))

    async def shown() -> str:
        async with app.run_test(size=(220, 50)) as pilot:
            await pilot.pause(0.2)
            return "\n".join(svg_lines(app.export_screenshot()))

    screen = asyncio.run(shown())
    assert "Touched files, tracked or not:" in screen
    assert "created local/conftest.py  not in the diff  ! runs code: pytest imports it" in screen
    assert "created build/evil.pth  not in the diff  ! runs code: Python runs" in screen
    assert "deleted app.db  not in the diff" in screen


SNEAKY = {  # a command that hides its change from a cheap look -> the path it changed
    "printf hellp > a.tmp && touch -r a.txt a.tmp && mv a.tmp a.txt": "a.txt",
    "printf Z | dd of=d2/e/f.txt conv=notrunc 2>/dev/null && touch -r d2/g.py d2/e/f.txt": "d2/e/f.txt",
    (
        "python3 -c \"import mmap; f = open('d3/g.py', 'r+b'); m = mmap.mmap(f.fileno(), 0); "
        "f.close(); m[0:1] = b'Z'; m.flush()\""
    ): "d3/g.py",
    "mkdir -p new/deep && echo 1 > new/deep/x.pth": "new/deep/x.pth",
    "ln d0/g.py d0/link.py": "d0/g.py",
    "echo via-link >> d0/link.py": "d0/g.py",
    "mkdir fresh && ln d2/g.py fresh/link.py": "d2/g.py",
    "echo via-new-link >> fresh/link.py": "d2/g.py",
    "mv d1 moved": "moved/g.py",
    "rm -rf d4": "d4/g.py",
}


def test_the_fast_inventory_sees_what_each_sneaky_command_changed(tmp_path):
    from agent.review import inventory
    from agent.review.watch import WatchedSandbox
    from agent.sandbox import Policy, create_sandbox

    root = make_repo(tmp_path / "r")
    for n in range(5):
        (root / f"d{n}" / "e").mkdir(parents=True)
        (root / f"d{n}" / "e" / "f.txt").write_text("x")
        (root / f"d{n}" / "g.py").write_text("y = 1\n")
    (root / "a.txt").write_text("hello")
    box = WatchedSandbox(create_sandbox(Policy(workspace=root)), root)
    box.baseline()
    for line, path in SNEAKY.items():
        assert box.run(["bash", "-c", line]).exit_code == 0, line
        assert path in {c.path for c in box.last_changes}, line
        assert box._current == inventory.take(str(root)), line  # the same as a full walk


def test_the_venv_can_be_neither_written_nor_swapped_through_agent_sandbox(tmp_path):
    repo = attacked_repo(tmp_path / "r")
    for line in (
        "touch .venv/lib/evil.pth",
        "mv .venv .venv-old && mkdir -p .venv/lib",
        "rm -rf .venv",
    ):
        done = agent_cli(repo, "sandbox", "--", "bash", "-c", line)
        assert done.returncode != 0, line
    assert sorted(p.name for p in (repo / ".venv").iterdir()) == ["lib", "pyvenv.cfg"]
    assert not (repo / ".venv-old").exists() and not (repo / ".venv" / "lib" / "evil.pth").exists()


def test_undo_never_writes_through_a_symlink_planted_in_place_of_an_ignored_folder(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    repo = attacked_repo(tmp_path / "r")
    run_session(
        SolveOptions(
            task=TASK,
            cwd=repo,
            model=ScriptedModel(
                [plan(), command(f"rm -rf logs && ln -s {outside} logs"), finish()]
            ),
        ),
        [],
    )
    undone = agent_cli(repo, "undo", "--to-start")
    assert undone.returncode == 0, undone.stderr
    assert list(outside.iterdir()) == []
    assert not (repo / "logs").is_symlink()
    assert (repo / "logs" / "run.log").read_text() == "started\n"
