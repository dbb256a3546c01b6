"""`agent acp` driven by the ACP SDK's client side over real stdio, with a bridged model."""

from __future__ import annotations

import asyncio
import json

import pytest
from acp import RequestError

from agent.session import SessionStore
from tests.acp_kit import (
    RecordingClient,
    agent_acp,
    answer_model,
    capabilities,
    prompt_of,
    request_text,
)
from tests.solve_kit import CALC, FIX_NEW, edit, finish, make_repo, plan, turn

TASK = "clamp() returns low above the range; make it return high"
WAIT_S = 120


def run(coroutine):
    """Run one test's client session."""
    return asyncio.run(asyncio.wait_for(coroutine, 300))


async def started(conn, repo, read_buffers: bool = False) -> str:
    await conn.initialize(protocol_version=1, client_capabilities=capabilities(read_buffers))
    return (await conn.new_session(cwd=str(repo), mcp_servers=[])).session_id


def test_a_whole_session_from_an_acp_client(tmp_path):
    """Plan, a read of the editor's unsaved buffer, an edit rejected with a reason, the
    same edit allowed, tests, and a follow-up that continues the same stored session."""
    repo = make_repo(tmp_path / "r")
    bridge = tmp_path / "bridge"
    unsaved = "# unsaved in the editor\n" + CALC
    client = RecordingClient(
        answers=[("reject_once", "keep the docstring, just fix the bound"), ("allow_always", None)],
        buffers={str(repo / "calc.py"): unsaved},
    )
    answer_model(
        bridge,
        [
            plan(),
            turn("Reading it.", ("read_file", {"path": "calc.py"})),
            edit(),
            edit(),
            finish(),
            finish("nothing more to change"),
        ],
    )

    async def session():
        async with agent_acp(client, repo, bridge) as (conn, _):
            session_id = await started(conn, repo, read_buffers=True)
            first = await conn.prompt(session_id=session_id, prompt=prompt_of(TASK))
            follow = await conn.prompt(
                session_id=session_id, prompt=prompt_of("and check nothing else needs it")
            )
            return session_id, first, follow

    session_id, first, follow = run(session())
    assert (first.stop_reason, follow.stop_reason) == ("end_turn", "end_turn")

    (plan_shown, *_) = client.of("plan")
    assert [e.content for e in plan_shown.entries] == [
        "calc.py clamp(): return high when value > high"
    ]
    assert client.of("plan")[-1].entries[0].status == "completed"
    assert "Reading it." in client.message_text()
    assert "[solved: tests pass]" in client.message_text()

    # the buffer was read through the client, and the model saw its unsaved text
    assert client.reads == [str(repo / "calc.py")]
    assert "(the editor's unsaved text)" in request_text(bridge, 3)
    assert "# unsaved in the editor" in request_text(bridge, 3)

    # suggest mode asked twice; the reason of the refusal reached the model
    assert [p.title for p in client.permissions] == ["edit_file calc.py"] * 2
    assert client.permissions[0].locations[0].path == str(repo / "calc.py")
    assert "keep the docstring, just fix the bound" in request_text(bridge, 4)

    calls = {u.tool_call_id: u for u in client.of("tool_call")}
    edits = [c for c in calls.values() if c.title == "edit_file calc.py"]
    assert len(edits) == 1 and edits[0].kind == "edit"  # the rejected one never ran
    (diff,) = [
        c
        for u in client.of("tool_call_update")
        if u.tool_call_id == edits[0].tool_call_id
        for c in (u.content or [])
        if c.type == "diff"
    ]
    assert diff.path == str(repo / "calc.py")
    assert "return low" in diff.old_text and FIX_NEW.strip() in diff.new_text

    tests = [c for c in calls.values() if c.title.startswith("tests:")]
    assert tests and tests[-1].status == "completed"
    assert "passed, 0 failed" in tests[-1].title
    assert "$ " in tests[-1].content[0].content.text

    # the follow-up continued the same stored session, its words read by the model
    store = SessionStore.open(repo)
    assert [r.id for r in store.list()] == [session_id]
    assert "and check nothing else needs it" in request_text(bridge, 6)
    assert "return high" in (repo / "calc.py").read_text()


def test_a_cancel_stops_at_the_question_and_session_load_resumes_it(tmp_path):
    repo = make_repo(tmp_path / "r")
    bridge = tmp_path / "bridge"
    holder: dict = {}

    async def cancel_then_answer():
        await holder["conn"].cancel(session_id=holder["id"])
        return "cancel"

    client = RecordingClient(answers=[cancel_then_answer])
    answer_model(bridge, [plan(), edit()])

    async def first_run():
        async with agent_acp(client, repo, bridge) as (conn, _):
            holder["conn"], holder["id"] = conn, await started(conn, repo)
            answer = await conn.prompt(session_id=holder["id"], prompt=prompt_of(TASK))
            return answer.stop_reason

    assert run(first_run()) == "cancelled"
    assert "return low" in (repo / "calc.py").read_text().split("value > high:")[1]
    (record,) = SessionStore.open(repo).list()
    assert record.status == "interrupted"

    resumed = RecordingClient()  # full-auto: nothing is asked
    answer_model(bridge, [edit(), finish()], start=3)

    async def second_run():
        async with agent_acp(resumed, repo, bridge) as (conn, _):
            await conn.initialize(protocol_version=1, client_capabilities=capabilities())
            await conn.load_session(cwd=str(repo), session_id=holder["id"], mcp_servers=[])
            replayed = list(resumed.updates)
            await conn.set_session_mode(session_id=holder["id"], mode_id="full-auto")
            answer = await conn.prompt(session_id=holder["id"], prompt=prompt_of("go on"))
            return replayed, answer.stop_reason

    replayed, stop = run(second_run())
    kinds = [u.session_update for u in replayed]
    assert kinds[0] == "user_message_chunk" and replayed[0].content.text == TASK
    assert "plan" in kinds and "[interrupted: stopped by the person]" in "".join(
        u.content.text for u in replayed if u.session_update == "agent_message_chunk"
    )
    assert stop == "end_turn" and resumed.permissions == []
    assert "return high" in (repo / "calc.py").read_text()
    (record,) = SessionStore.open(repo).list()
    assert (record.id, record.status) == (holder["id"], "solved")


def test_bad_input_is_an_acp_error_and_the_agent_keeps_answering(tmp_path):
    repo = make_repo(tmp_path / "r")
    plain = tmp_path / "plain"
    plain.mkdir()
    client = RecordingClient()

    async def session():
        async with agent_acp(client, repo, tmp_path / "bridge") as (conn, _):
            await conn.initialize(protocol_version=1, client_capabilities=capabilities())
            problems = []
            for call in (
                lambda: conn.prompt(session_id="nope", prompt=prompt_of("hi")),
                lambda: conn.new_session(cwd=str(plain), mcp_servers=[]),
                lambda: conn.new_session(cwd="relative/dir", mcp_servers=[]),
                lambda: conn.load_session(
                    cwd=str(repo), session_id="20990101-000000-0000", mcp_servers=[]
                ),
            ):
                with pytest.raises(RequestError) as refused:
                    await call()
                problems.append(str(refused.value))
            still = await conn.new_session(cwd=str(repo), mcp_servers=[])
            assert [m.id for m in still.modes.available_modes] == [
                "suggest",
                "auto-edit",
                "full-auto",
            ]
            with pytest.raises(RequestError) as refused:
                await conn.set_session_mode(session_id=still.session_id, mode_id="yolo")
            problems.append(str(refused.value))
            return problems, still.session_id

    problems, session_id = run(session())
    assert problems[0].startswith("unknown session 'nope'; start one with session/new")
    assert "is not inside a git repository (run `git init` first)" in problems[1]
    assert "is not an absolute path" in problems[2]
    assert "no session '20990101-000000-0000'" in problems[3]
    assert problems[4] == "unknown mode 'yolo'; use one of suggest, auto-edit, full-auto"
    assert session_id
    assert SessionStore.open(repo).list() == []


def test_garbage_from_the_client_is_one_line_and_no_traceback(tmp_path):
    import subprocess
    import sys

    from tests.acp_kit import ROOT

    repo = make_repo(tmp_path / "r")
    hello = json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": 1}}
    )
    done = subprocess.run(
        [sys.executable, "-m", "agent", "acp", "--model", "scripted"],
        input=f"this is not json\n{hello}\n",
        cwd=repo,
        text=True,
        capture_output=True,
        timeout=60,
        check=False,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[0])["result"]["agentInfo"]["name"] == "agent"
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        ("agent acp: Error parsing JSON-RPC message: Expecting value: line 1 column 1 (char 0)")
    ]


def test_a_client_that_goes_away_mid_prompt_leaves_nothing_running(tmp_path):
    import subprocess
    import sys
    import time

    from tests.acp_kit import ROOT

    repo = make_repo(tmp_path / "r")
    bridge = tmp_path / "bridge"
    process = subprocess.Popen(
        [sys.executable, "-m", "agent", "acp", "--model", f"bridge:{bridge}"],
        cwd=repo,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )

    def send(number, method, params):
        process.stdin.write(
            json.dumps({"jsonrpc": "2.0", "id": number, "method": method, "params": params}) + "\n"
        )
        process.stdin.flush()
        return json.loads(process.stdout.readline())

    send(1, "initialize", {"protocolVersion": 1})
    session_id = send(2, "session/new", {"cwd": str(repo), "mcpServers": []})["result"]["sessionId"]
    process.stdin.write(
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 3,
                "method": "session/prompt",
                "params": {"sessionId": session_id, "prompt": [{"type": "text", "text": TASK}]},
            }
        )
        + "\n"
    )
    process.stdin.flush()
    deadline = time.monotonic() + WAIT_S
    while not (bridge / "0001.request.json").exists():  # the model is being asked
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    process.stdin.close()  # the editor is gone
    assert process.wait(timeout=30) == 0
    assert "Traceback" not in process.stderr.read()
    (record,) = SessionStore.open(repo).list()
    assert (record.id, record.status) == (session_id, "interrupted")
