"""Loading our `agent_helper_asserts` pytest plugin into the project's pytest run, so asserts
in the tests' helper modules explain themselves (see `tools/pytest_plugin/`).

The plugin reaches the project's interpreter through PYTHONPATH (its folder holds nothing
else). It is loaded only when the command surely passes PYTHONPATH on to pytest: a missing
`-p` plugin would stop the run, so a launcher we do not know (tox, make, a script) or a
Python started with -I or -E runs as before, without it.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

PLUGIN = "agent_helper_asserts"
PLUGIN_DIR = Path(__file__).absolute().with_name("pytest_plugin")
_LAUNCHERS = re.compile(r"^(python[\d.]*|pytest|py\.test|uv|poetry|pdm|hatch|pipenv|rye)$")
_ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*=")
_PYTHONPATH_SET = re.compile(r"(?:^|(?<=\s))PYTHONPATH=")


def with_helper_asserts(base: str, env: dict | None) -> tuple[str, dict | None]:
    """The command and environment that load the plugin; unchanged when it could not load."""
    if not _passes_pythonpath(base):
        return base, env
    folder = str(PLUGIN_DIR)
    # An assignment in the command wins over the environment: our folder goes into it too.
    base = _PYTHONPATH_SET.sub(lambda m: "PYTHONPATH=" + shlex.quote(folder + ":"), base)
    env = dict(env or {})
    inherited = env.get("PYTHONPATH", os.environ.get("PYTHONPATH", ""))
    env["PYTHONPATH"] = ":".join([p for p in inherited.split(":") if p] + [folder])
    return f"{base} -p {PLUGIN}", env


def _passes_pythonpath(base: str) -> bool:
    if any(c in base for c in ";&|`\n") or "$(" in base:
        return False
    try:
        words = shlex.split(base)
    except ValueError:
        return False
    if any(w.startswith(("-I", "-E")) for w in words):
        return False
    words = [w for w in words if not _ASSIGNMENT.match(w)]
    if words[:1] == ["env"]:
        words = [w for w in words[1:] if not w.startswith("-")]
    return bool(words) and bool(_LAUNCHERS.match(Path(words[0]).name))
