"""Shared by the benchmarks on django's checkout (run as scripts, so imported by name)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

GET_REPOS = "/work/shared/bench/get-repos"


def django_copy(scratch: Path) -> Path:
    """A private django repository to change freely: a copy of the checkout named by the
    first argument, else one made with shared/bench's get-repos."""
    if len(sys.argv) > 1:
        repo = scratch / "django"
        shutil.copytree(Path(sys.argv[1]), repo, symlinks=True)
        return repo
    out = subprocess.run(
        [GET_REPOS, str(scratch), "django"], capture_output=True, text=True, check=True
    )
    return Path(out.stdout.split()[1])
