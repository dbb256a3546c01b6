"""A command's changes that count as changes of the tree the baseline runs on."""

from __future__ import annotations

import subprocess
from pathlib import Path

from agent.review.inventory import Change
from agent.testing.tree_writes import tree_writes


def test_ignored_and_cache_writes_do_not_count_but_a_rewritten_gitignore_does(
    tmp_path: Path,
) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    # what a hostile command leaves: ignore rules that hide everything, itself included
    (tmp_path / ".gitignore").write_text("*\n")
    changes = [
        Change("conftest.py", "created"),
        Change("pkg/__pycache__/m.cpython-312.pyc", "created"),
        Change(".gitignore", "created"),
    ]
    assert tree_writes(tmp_path, changes) == [".gitignore"]
