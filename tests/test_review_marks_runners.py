"""Files the new runners' tools run later (cargo, Node's test runners, rustup) are marked in
the review when a sandboxed command plants them. Real loop, real sandbox."""

from __future__ import annotations

from agent.models.scripted import ScriptedModel
from agent.runner import SolveOptions, run_session
from tests.solve_kit import finish, make_repo, plan, turn

PLANTED = (
    "build.rs",
    "crates/core/build.rs",
    ".cargo/config.toml",
    "crates/core/.cargo/config",
    "Cargo.toml",
    "rust-toolchain.toml",
    "vitest.config.ts",
    "jest.config.js",
    "vite.config.mjs",
    "src/lib.rs",
)


def test_build_scripts_and_runner_configs_a_command_plants_are_marked(tmp_path):
    repo = make_repo(tmp_path / "r")
    script = " && ".join(f"mkdir -p $(dirname {p}) && echo x > {p}" for p in PLANTED)
    model = ScriptedModel([plan(), turn("", ("run_command", {"command": script})), finish()])
    result = run_session(SolveOptions(task="fix clamp", cwd=repo, model=model), [])
    marks = {t.path: t.runs_code for t in result.touched}
    assert all(marks[p] for p in PLANTED[:-1]) and not marks["src/lib.rs"], marks
    assert "cargo" in marks["build.rs"] and "vitest" in marks["vitest.config.ts"]
