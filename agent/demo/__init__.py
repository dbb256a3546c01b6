"""`agent demo`: a small buggy project and a recorded model session, replayed offline.

Everything but the model is real: the index, the sandboxed pytest runs, the edits, the git
checkpoints. The recording (session/) was made by `python -m agent.demo.record`.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
PROJECT = HERE / "project"
RECORDING = HERE / "session"
DEMO_TASK = (
    "median() is wrong for an even number of values: median([1, 2, 3, 4]) returns 3, "
    "but it should be 2.5, the mean of the two middle values."
)


def prepare_demo(directory: Path | None = None) -> tuple[Path, str]:
    """Copy the demo project into a fresh git repository; returns it and the model spec."""
    from agent.errors import UserError

    target = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="agent-demo-"))
    if target.exists() and any(target.iterdir()):
        raise UserError(f"{target} is not empty; give --dir a new or empty folder")
    shutil.copytree(
        PROJECT,
        target,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"),
    )
    for argv in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        [
            "-c",
            "user.name=demo",
            "-c",
            "user.email=demo@localhost",
            "commit",
            "-q",
            "-m",
            "shop-stats 0.1.0",
        ],
    ):
        subprocess.run(["git", *argv], cwd=target, check=True, capture_output=True)
    return target.resolve(), f"replay:{RECORDING}"
