"""The installed package claims only the name `agent`: nothing a repository holds shadows it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_installs_everything_under_agent_only(tmp_path):
    source = tmp_path / "source"  # pip builds in the tree: keep build/ out of the checkout
    shutil.copytree(
        ROOT,
        source,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git", "build", "*.egg-info", "__pycache__", ".agent", "snapshots"
        ),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(source), "-w", str(tmp_path)],
        check=True,
        capture_output=True,
        cwd=tmp_path,
        timeout=240,
    )
    (wheel,) = tmp_path.glob("agent-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert {top for top in tops if not top.endswith(".dist-info")} == {"agent"}
    for needed in (
        "agent/tools/registry.py",
        "agent/tools/node_reporter.mjs",
        "agent/tools/pytest_plugin/agent_helper_asserts.py",
        "agent/sandbox/bwrap.py",
        "agent/prompts/system.j2",
    ):
        assert needed in names


def test_a_repositorys_own_tools_sandbox_and_prompts_do_not_shadow_ours(tmp_path):
    # `python -m` puts the working directory first on the import path.
    for name in ("tools", "sandbox", "prompts"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("raise SystemExit('shadowed')\n")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    done = subprocess.run(
        [sys.executable, "-m", "agent", "tools", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "shadowed" not in done.stdout + done.stderr and '"read_file"' in done.stdout
