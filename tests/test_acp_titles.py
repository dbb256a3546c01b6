"""What the editor's permission question shows of a call: all of a command, or that there
is more than its first line. Real `agent acp` over stdio, a bridged model."""

from __future__ import annotations

from tests.acp_kit import RecordingClient, agent_acp, answer_model, prompt_of
from tests.solve_kit import finish, make_repo, plan, turn
from tests.test_acp import run, started

HIDDEN = "git rm -q -r tests"


def test_a_command_with_more_lines_than_the_title_shows_says_so(tmp_path):
    repo = make_repo(tmp_path / "r")
    bridge = tmp_path / "bridge"
    client = RecordingClient(answers=[("reject_once", None)])
    command = "python -m pytest -q\n" + "\n" * 40 + HIDDEN
    answer_model(bridge, [plan(), turn("", ("run_command", {"command": command})), finish()])

    async def session():
        async with agent_acp(client, repo, bridge) as (conn, _):
            session_id = await started(conn, repo)
            await conn.prompt(session_id=session_id, prompt=prompt_of("run the tests"))

    run(session())
    (asked,) = client.permissions
    assert asked.title.startswith("run_command python -m pytest -q")
    assert asked.title.endswith("[+1 more line]")  # not shown as if it were the whole command
    assert (repo / "tests").is_dir()
