"""The extension contract: what a front end plugs into `run_session` reaches the session."""

from __future__ import annotations

from agent.extension import ConversationHooks
from agent.messages import ToolCall
from agent.models.scripted import ScriptedModel
from agent.runner import SolveOptions, run_session
from agent.session import SessionStore
from tests.solve_kit import edit, finish, make_repo, plan, texts

TASK = "clamp(15, 0, 10) returns 0 but should return 10"


def solve(repo, answers, hooks):
    model = ScriptedModel(answers)
    result = run_session(SolveOptions(task=TASK, cwd=repo, model=model), [], hooks=hooks)
    return result, model


def test_hooks_see_every_message_give_guidance_and_review_writing_calls(tmp_path):
    repo = make_repo(tmp_path / "r")
    seen, reviewed, said = [], [], ["keep the change to one line"]

    def review(call: ToolCall) -> ToolCall | str:
        reviewed.append(call.name)
        return call

    hooks = ConversationHooks(
        review=review, guidance=lambda: said.pop() if said else None, on_message=seen.append
    )
    result, model = solve(repo, [plan(), edit(), finish()], hooks)
    assert result.outcome.status == "solved", result.outcome
    assert "edit_file" in reviewed and "submit_plan" not in reviewed
    guided = [r for r in model.requests if "keep the change to one line" in texts(r)]
    assert guided and guided[0] is model.requests[0]  # read before the first turn
    stored = SessionStore.open(repo).messages(result.session_id)
    assert [(m.role, m.text) for m in seen] == [(m.role, m.text) for m in stored]
    assert len(seen) >= 4  # the store still keeps its copy beside the front end's


def test_a_set_cancel_stops_the_run_as_interrupted(tmp_path):
    repo = make_repo(tmp_path / "r")
    hooks = ConversationHooks()
    hooks.cancel.set()
    result, model = solve(repo, [plan(), edit(), finish()], hooks)
    assert result.outcome.status == "interrupted", result.outcome
    assert model.requests == []
    assert "return low" in (repo / "calc.py").read_text()
