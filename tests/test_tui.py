"""The TUI driving the real loop: a scripted model, a real repository, real pytest in bwrap."""

from __future__ import annotations

import threading
import time

from agent.models.scripted import ScriptedModel
from agent.runner import SolveOptions, run_session
from agent.tui.app import AgentApp
from agent.tui.screens.approval import ApprovalScreen
from agent.tui.screens.help import SESSION_KEYS, HelpScreen
from agent.tui.screens.outcome import OutcomeScreen
from agent.tui.screens.question import QuestionScreen
from agent.tui.screens.sessions import SessionPicker
from agent.tui.widgets.plan import PlanPane
from agent.tui.widgets.tests import TestsPane
from tests.session_snapshot import Recorder, told_messages
from tests.solve_kit import CALC, FIX_NEW, edit, finish, git, make_repo, plan, turn
from tests.tui_kit import snapshot, sync, until

TASK = "clamp(15, 0, 10) returns 0 but should return 10"
WRONG = "    if value > high:\n        return low + 0\n"
ABOVE = "from calc import clamp\n\n\ndef test_clamp_above():\n    assert clamp(15, 0, 10) == 10\n"


async def type_task(pilot, text: str) -> None:
    """Type into the focused input and press enter."""
    await pilot.press(*text)
    await pilot.press("enter")


def screen_is(app, kind) -> bool:
    """True when the app shows a screen of this type."""
    return isinstance(app.screen, kind)


@sync
async def test_task_plan_one_refusal_one_approval_then_keep(tmp_path):
    repo = make_repo(tmp_path / "r", files={"tests/test_above.py": ABOVE})

    def plan_once_the_suite_ran(request):  # a model slower than the suite: it is shown
        deadline = time.monotonic() + 60
        while not list((repo / ".agent" / "baseline").glob("*.json")):
            assert time.monotonic() < deadline, "the baseline never finished"
            time.sleep(0.05)
        time.sleep(1.0)  # the cache is written just before the run counts as finished
        return plan()

    model = Recorder([plan_once_the_suite_ran, edit(new=WRONG), edit(), finish()])
    app = AgentApp(repo, model=model.model)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_task(pilot, TASK)
        await until(pilot, lambda: screen_is(app, ApprovalScreen))
        # the baseline run, before the fix (its event may reach the pane just after the screen)
        await until(pilot, lambda: "FAILED" in str(app.query_one(TestsPane).render()), 10)
        tests_pane = str(app.query_one(TestsPane).render())
        assert "FAILED" in tests_pane and "tests/test_above.py::test_clamp_above" in tests_pane
        assert "assert 0 == 10" in tests_pane
        await pilot.pause(0.1)
        snapshot(
            app,
            "approval",
            [
                "Allow edit: edit calc.py?",
                "-        return low",
                "+        return low + 0",
                "y approve",
            ],
        )
        await pilot.press("n")
        await type_task(pilot, "return high, not low plus zero")
        await until(pilot, lambda: screen_is(app, ApprovalScreen) and len(model.requests) == 3)
        assert "+        return high" in app.screen.body
        await pilot.press("y")
        await until(pilot, lambda: screen_is(app, OutcomeScreen), 60)
        await pilot.pause(0.1)
        snapshot(app, "outcome", ["The session ended: solved", "calc.py", "c commit"])
        await pilot.press("k")
        await until(pilot, lambda: not screen_is(app, OutcomeScreen))
        await pilot.pause(0.2)
        plan_text = str(app.query_one(PlanPane).render())
        assert "clamp() must return high above the range" in plan_text and "✓" in plan_text
        snapshot(
            app,
            "solved",
            [
                "Plan 1",
                "✓ edit_file calc.py",
                "solved: tests pass",
                "calc.py +1 -1",
                "scripted · solved",
            ],
        )
    refusal = model.result("edit_file")  # the person's reason is the refused call's result
    assert refusal.is_error and "return high, not low plus zero" in refusal.content
    assert (repo / "calc.py").read_text() == CALC.replace(
        "        return low\n    return value", "        return high\n    return value"
    )
    assert git(repo, "status", "--porcelain") == " M calc.py\n"


@sync
async def test_escape_interrupts_and_guidance_reaches_the_resumed_run(tmp_path):
    repo = make_repo(tmp_path / "r")
    asked, release = threading.Event(), threading.Event()

    def slow_edit(request):
        asked.set()
        release.wait(30)
        return edit()

    model = Recorder([plan(), slow_edit, edit(), finish()])
    app = AgentApp(repo, model=model.model, mode="full-auto")
    async with app.run_test(size=(80, 24)) as pilot:
        await type_task(pilot, TASK)
        await until(pilot, asked.is_set)
        await pilot.press("escape")
        assert app.state == "stopping"  # at once, while the model is still answering
        await type_task(pilot, "keep the change to one line")
        release.set()
        await until(pilot, lambda: app.state == "ended", 60)
        assert app.last_status == "solved"
    statuses = [r.status for r in _store(repo).list()]
    assert statuses == ["solved"]  # the same session, resumed
    guided = [s for s in model.steps() if any("keep the change to one line" in t for t in s.told)]
    assert guided, model.text()  # the person's guidance reached the model
    # in the resumed run, whose first request closes the call cut off by the stop
    assert [(name, r.is_error) for name, r in guided[0].answered] == [("edit_file", True)]
    assert "return high" in (repo / "calc.py").read_text()


@sync
async def test_undo_then_discard_and_commit_per_file(tmp_path):
    repo = make_repo(tmp_path / "r")
    model = ScriptedModel(
        [
            plan(),
            edit(),
            turn("", ("create_file", {"path": "notes.py", "content": "X = 1\n"})),
            turn("", ("create_file", {"path": "extra.py", "content": "Y = 2\n"})),
            finish(),
        ]
    )
    app = AgentApp(repo, model=model, mode="full-auto")
    async with app.run_test(size=(80, 24)) as pilot:
        await type_task(pilot, TASK)
        await until(pilot, lambda: screen_is(app, OutcomeScreen), 60)
        await pilot.press("escape")  # decide later
        await pilot.press("ctrl+z")  # undo the last change: extra.py goes
        await until(pilot, lambda: not (repo / "extra.py").exists())
        assert (repo / "notes.py").exists() and FIX_NEW in (repo / "calc.py").read_text()
        await pilot.press("ctrl+o")
        await until(pilot, lambda: screen_is(app, OutcomeScreen))
        assert app.screen.files == ["calc.py", "notes.py"]
        await pilot.press("down", "space")  # untick notes.py: it is discarded
        await pilot.press("c")
        await until(pilot, lambda: not screen_is(app, OutcomeScreen))
        await pilot.pause(0.2)
    assert not (repo / "notes.py").exists()
    assert git(repo, "show", "--name-only", "--format=%s", "HEAD").split() == [
        *TASK.split(),
        "calc.py",
    ]
    assert git(repo, "status", "--porcelain") == ""


@sync
async def test_resume_from_the_picker_then_discard_all(tmp_path):
    repo = make_repo(tmp_path / "r")
    first = run_session(
        SolveOptions(task=TASK, cwd=repo, model=ScriptedModel([plan(), KeyboardInterrupt()])), []
    )
    assert first.outcome.status == "interrupted"
    model = Recorder([edit(), finish()])
    app = AgentApp(repo, model=model.model, mode="full-auto")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+r")
        await until(pilot, lambda: screen_is(app, SessionPicker))
        await pilot.pause(0.1)
        snapshot(
            app,
            "sessions",
            ["Resume a session", "interrupted", "clamp(15, 0, 10)"],
            this_run=(first.session_id,),
        )
        await pilot.press("enter")
        await until(pilot, lambda: screen_is(app, OutcomeScreen), 60)
        assert app.session_id == first.session_id
        assert FIX_NEW in (repo / "calc.py").read_text()
        await pilot.press("d")  # discard it all
        await until(pilot, lambda: not screen_is(app, OutcomeScreen))
        await pilot.pause(0.2)
    # the earlier conversation was continued: the resumed run's first request carries it
    assert TASK in told_messages(model.requests[0].messages)
    assert _store(repo).get(first.session_id).status == "solved"
    assert (repo / "calc.py").read_text() == CALC
    assert git(repo, "status", "--porcelain") == ""


@sync
async def test_help_lists_every_key_and_modes_switch_live(tmp_path):
    repo = make_repo(tmp_path / "r")
    app = AgentApp(repo, model=ScriptedModel([]))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+t")
        assert app.oversight.mode == "auto-edit"
        await pilot.press("f1")
        await until(pilot, lambda: screen_is(app, HelpScreen))
        await pilot.pause(0.1)
        snapshot(app, "help", ["esc", "ctrl+t", "ctrl+z", "ctrl+o", "ctrl+r", "suggest"])
        listed = " ".join(key for key, _ in SESSION_KEYS)
        keys = [b.key.replace("escape", "esc") for b in AgentApp.BINDINGS]
        unlisted = [key for key in keys if key not in listed and key != "question_mark"]
        assert not unlisted, unlisted
        await pilot.press("escape")
        await until(pilot, lambda: not screen_is(app, HelpScreen))
        await pilot.press("ctrl+t", "ctrl+t")
        assert app.oversight.mode == "suggest"


def _store(repo):
    from agent.session import SessionStore

    return SessionStore.open(repo)


@sync
async def test_a_command_is_edited_then_approved_and_its_tool_always_allowed(tmp_path):
    repo = make_repo(tmp_path / "r")
    model = Recorder(
        [
            plan(),
            command("echo first"),
            command("echo third"),
            command("echo fourth"),
            edit(),
            finish(),
        ]
    )
    app = AgentApp(repo, model=model.model)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_task(pilot, TASK)
        await until(pilot, lambda: screen_is(app, ApprovalScreen))
        assert "$ echo first" in app.screen.body and "network: off" in app.screen.body
        await pilot.press("e", "down", "end", "left", *["backspace"] * 5, *"second", "ctrl+s")
        await until(pilot, lambda: screen_is(app, ApprovalScreen) and len(model.requests) == 3)
        await pilot.press("a")
        await until(pilot, lambda: screen_is(app, ApprovalScreen) and len(model.requests) == 5)
        assert app.screen.heading == "edit calc.py"  # echo fourth ran without asking
        await pilot.press("y")
        await until(pilot, lambda: screen_is(app, OutcomeScreen), 60)
        notes = [str(w.render()) for w in app.query(".user")]
    assert [n for n in notes if n.startswith("you approved")] == [
        "you approved: run a command (edited)",
        "you approved: run a command (and every later call of this tool)",
        "you approved: edit calc.py",
    ]
    edited = model.result("run_command").content  # what ran is the person's edit
    assert "$ echo second" in edited and "first" not in edited.split("$ echo second")[1]
    assert "$ echo fourth" in model.result("run_command", 2).content


@sync
async def test_replay_of_a_stored_session_is_read_only(tmp_path):
    from agent.session import SessionStore
    from agent.tui.replay import ReplayApp

    repo = make_repo(tmp_path / "r")
    done = run_session(
        SolveOptions(task=TASK, cwd=repo, model=ScriptedModel([plan(), edit(), finish()])), []
    )
    store = SessionStore.open(repo)
    app = ReplayApp(store.get(done.session_id), store.events(done.session_id))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.2)
        screen = snapshot(
            app,
            "replay",
            ["Plan 1", "✓ edit_file calc.py", "solved: tests pass", "calc.py +1 -1", "replay"],
            this_run=(done.session_id,),
        )
        assert not app.query("Input")  # nothing to type: it only shows
        await pilot.press("ctrl+g")
        await pilot.pause(0.1)
        assert "PASSED" in "\n".join(_screen(app)) and "PASSED" not in screen


@sync
async def test_a_slow_model_leaves_the_ui_free_and_quitting_leaves_it_resumable(tmp_path):
    repo = make_repo(tmp_path / "r")
    asked, release = threading.Event(), threading.Event()

    def slow_edit(request):
        asked.set()
        release.wait(30)
        return edit()

    readings = ["clamp returns high above the range", "clamp raises above the range"]
    model = Recorder([plan(readings=readings), slow_edit])
    app = AgentApp(repo, model=model.model, mode="full-auto")
    async with app.run_test(size=(80, 24)) as pilot:
        await type_task(pilot, TASK)
        await until(pilot, lambda: screen_is(app, QuestionScreen))  # two readings: which one?
        await pilot.press("down", "enter")
        await until(pilot, asked.is_set)
        # the person's choice reached the model
        assert "clamp raises above the range" in told_messages(model.requests[-1].messages)
        await pilot.pause(0.2)
        snapshot(app, "running", ["Plan 1", "▶ calc.py clamp()", "· code · mode full-auto"])
        await pilot.press("ctrl+t")  # the UI answers while the model is still thinking
        await pilot.press("f1")
        await until(pilot, lambda: screen_is(app, HelpScreen))
        await pilot.press("escape")
        assert app.oversight.mode == "suggest" and app.session_run.alive
        threading.Timer(0.3, release.set).start()
        await pilot.press("ctrl+q")
        await until(pilot, lambda: not app.session_run.alive, 10)
    assert app.return_code is not None or not app.is_running
    assert _store(repo).get(app.session_id).status == "interrupted"
    assert git(repo, "status", "--porcelain") == ""  # the answer's edit never ran
    resumed = run_session(
        SolveOptions(cwd=repo, resume=app.session_id, model=ScriptedModel([edit(), finish()])), []
    )
    assert resumed.outcome.status == "solved"


def command(line: str):
    """A run_command turn."""
    return turn("", ("run_command", {"command": line}))


def _screen(app) -> list[str]:
    from tests.tui_kit import svg_lines

    return svg_lines(app.export_screenshot())
