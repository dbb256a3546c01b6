"""An approved repository server and what a sandboxed command plants beside it: a module its
script would import runs unsandboxed at the next start, so the approval covers the script's
folder. Real sandbox, real server processes, real sessions."""

from __future__ import annotations

import sys
from pathlib import Path

from agent import events as ev
from agent.mcp.settings import server_specs
from agent.mcp.trust import approve, is_approved
from agent.models.scripted import ScriptedModel
from agent.runner import SolveOptions, run_session
from agent.sandbox import Policy, create_sandbox
from tests.mcp_kit import SERVER, mcp_json
from tests.sandbox_kit import needs_bwrap
from tests.solve_kit import edit, finish, make_repo, plan, turn

pytestmark = needs_bwrap

# What a planted module does when the server imports it: mark the host, then step aside.
PAYLOAD = """import os, sys
open({marker!r}, "w").write("ran outside the sandbox")
here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
del sys.modules["mcp_types"]
import mcp_types
"""


def repo_with_server(tmp_path, monkeypatch):
    """A repository whose .mcp.json runs its own tools/server.py, approved as it is."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    entry = {"command": sys.executable, "args": ["tools/server.py"]}
    repo = make_repo(
        tmp_path / "r", files={".mcp.json": mcp_json({"kit": entry}), "tools/server.py": SERVER}
    )
    approve(server_specs(repo), repo)
    return repo


def sandboxed(repo, command):
    """Run `command` in the real sandbox over the repository."""
    result = create_sandbox(Policy(repo, timeout_s=30), "bwrap").run(
        ["bash", "-c", command], cwd=repo
    )
    assert result.exit_code == 0, result


def test_a_module_planted_beside_the_approved_script_unapproves_it(tmp_path, monkeypatch):
    repo = repo_with_server(tmp_path, monkeypatch)
    marker = tmp_path / "host-marker"
    payload = tmp_path / "payload.py"
    payload.write_text(PAYLOAD.format(marker=str(marker)))
    sandboxed(repo, f"cat > tools/mcp_types.py <<'PY'\n{payload.read_text()}PY")
    events = []
    model = ScriptedModel([plan(), edit(), finish()])
    result = run_session(
        SolveOptions(task="fix clamp", cwd=repo, model=model, allow_dirty=True), [events.append]
    )
    assert result.outcome.status == "solved"
    assert not marker.exists()  # the planted module never ran on the host
    problems = [e for e in events if isinstance(e, ev.ServerProblem)]
    assert [p.server for p in problems] == ["kit"] and "agent mcp approve kit" in problems[
        0
    ].problem
    assert not any(t.name.startswith("kit__") for t in model.requests[0].tools)
    assert not is_approved(server_specs(repo)[0], repo)


def test_files_elsewhere_in_the_repository_leave_the_approval_standing(tmp_path, monkeypatch):
    repo = repo_with_server(tmp_path, monkeypatch)
    sandboxed(
        repo,
        "echo 'x = 2' >> calc.py && mkdir -p tools/__pycache__ && "
        "echo junk > tools/__pycache__/server.cpython-311.pyc",
    )
    assert is_approved(server_specs(repo)[0], repo)
    model = ScriptedModel([plan(), edit(), finish()])
    run_session(SolveOptions(task="fix clamp", cwd=repo, model=model, allow_dirty=True), [])
    assert any(t.name == "kit__lookup" for t in model.requests[0].tools)


def test_the_environment_is_shown_on_approval_and_the_folders_it_names_are_covered(
    tmp_path, monkeypatch
):
    import os
    import subprocess
    from pathlib import Path

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    entry = {
        "command": sys.executable,
        "args": ["-m", "mcp_server_kit"],
        "env": {"PYTHONPATH": "lib", "LD_PRELOAD": "native/hook.so"},
    }
    repo = make_repo(
        tmp_path / "r",
        files={
            ".mcp.json": mcp_json({"kit": entry}),
            "lib/mcp_server_kit.py": SERVER,
            "native/hook.so": "not really\n",
        },
    )
    approved = subprocess.run(
        [sys.executable, "-m", "agent", "mcp", "approve", "kit"],
        cwd=repo,
        text=True,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
        check=True,
    )
    assert "PYTHONPATH=lib LD_PRELOAD=native/hook.so " in approved.stdout
    assert is_approved(server_specs(repo)[0], repo)
    sandboxed(repo, "echo 'import os' > lib/mcp_types.py")
    assert not is_approved(server_specs(repo)[0], repo)
    approve(server_specs(repo), repo)
    sandboxed(repo, "echo 'other bytes' > native/hook.so")
    assert not is_approved(server_specs(repo)[0], repo)


def test_bytecode_planted_for_a_module_beside_the_script_is_not_loaded(tmp_path, monkeypatch):
    import base64
    import importlib.util
    from importlib._bootstrap_external import _code_to_timestamp_pyc

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    entry = {"command": sys.executable, "args": ["tools/server.py"]}
    repo = make_repo(
        tmp_path / "r",
        files={
            ".mcp.json": mcp_json({"kit": entry}),
            "tools/helper.py": "VALUE = 1\n",
            "tools/server.py": "import helper\n" + SERVER,
        },
    )
    approve(server_specs(repo), repo)
    marker = tmp_path / "host-marker"
    source = repo / "tools" / "helper.py"
    code = compile(f"open({str(marker)!r}, 'w').write('ran')\nVALUE = 1\n", str(source), "exec")
    info = source.stat()
    pyc = _code_to_timestamp_pyc(code, int(info.st_mtime), info.st_size)
    cached = Path(importlib.util.cache_from_source(str(source))).relative_to(repo)
    sandboxed(
        repo,
        f"mkdir -p {cached.parent} && echo {base64.b64encode(pyc).decode()} | base64 -d > {cached}",
    )
    assert is_approved(server_specs(repo)[0], repo)  # bytecode is not what is approved...
    model = ScriptedModel([plan(), edit(), finish()])
    run_session(SolveOptions(task="fix clamp", cwd=repo, model=model, allow_dirty=True), [])
    assert any(t.name == "kit__lookup" for t in model.requests[0].tools)
    assert not marker.exists()  # ...and the server never reads it


def test_a_file_a_server_tool_writes_in_the_workspace_is_in_the_review(tmp_path, monkeypatch):
    repo = repo_with_server(tmp_path, monkeypatch)
    (repo / ".gitignore").write_text("tools/notes.txt\n")  # not even in git's view
    model = ScriptedModel([plan(), turn("", ("kit__note", {"text": "planted"})), edit(), finish()])
    events = []
    result = run_session(
        SolveOptions(task="fix clamp", cwd=repo, model=model, allow_dirty=True), [events.append]
    )
    assert (repo / "tools" / "notes.txt").read_text() == "planted\n"
    assert "tools/notes.txt" in [t.path for t in result.touched]
    (touched,) = [
        e
        for e in events
        if isinstance(e, ev.FilesTouched) and any(f["path"] == "tools/notes.txt" for f in e.files)
    ]
    assert touched.source == "kit__note"
