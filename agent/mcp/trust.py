"""The person's approval of the MCP servers a repository defines, kept outside the repository.

A cloned repository's `.mcp.json` (or `[mcp_servers]` table) is the repository's say-so, not
the person's, and a stdio server runs unsandboxed with the person's rights. So a server a
repository defines starts only after the person approved it with `agent mcp approve`. The
approval is recorded in the person's config folder, for this repository's path, as a
fingerprint of the definition and of every repository file its command line names. When a
sandboxed command (or a `git pull`) changes either, the fingerprint no longer matches and
the server stays stopped until approved again. Code the server loads by other means
(`python -m pkg` imports from the repository) is not in the fingerprint: the approval
prompt's advice is to approve only what you would run yourself.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from agent.errors import UserError
from agent.mcp.settings import ServerSpec, user_config_path


def approvals_path() -> Path:
    """Where approvals live: next to the person's config file, never in a repository."""
    return user_config_path().parent / "mcp-approved.json"


def fingerprint(spec: ServerSpec, root: Path) -> str:
    """A hash of what the server would run: its definition and the repository files it names."""
    digest = hashlib.sha256(json.dumps([spec.name, spec.transport, spec.definition()],
                                       sort_keys=True).encode())
    for word in (spec.command, *spec.args) if spec.transport == "stdio" else ():
        named = _repository_file(root, word)
        if named is not None:
            digest.update(named.encode() + b"\0" + hashlib.sha256(
                (Path(root) / named).read_bytes()).digest())
    return digest.hexdigest()


def _repository_file(root: Path, word: str) -> str | None:
    """`word` as a repo-relative path when it names a file inside the repository."""
    if not word or "\0" in word:
        return None
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(real_root, word.split("=", 1)[-1]))
    if not real.startswith(real_root + os.sep) or not os.path.isfile(real):
        return None
    return os.path.relpath(real, real_root)


def is_approved(spec: ServerSpec, root: Path) -> bool:
    """Whether the server may start: the person's own, or approved as it is now."""
    if not spec.from_repo:
        return True
    recorded = _read().get(_key(root), {})
    return recorded.get(spec.name) == fingerprint(spec, root)


def approve(specs: list[ServerSpec], root: Path) -> None:
    """Record the person's approval of `specs` (as they are now) for the repository at `root`."""
    from tools.fileio import atomic_write

    data = _read()
    entry = data.setdefault(_key(root), {})
    for spec in specs:
        entry[spec.name] = fingerprint(spec, root)
    path = approvals_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode(), mode=0o600)


def _key(root: Path) -> str:
    return os.path.realpath(root)


def _read() -> dict:
    path = approvals_path()
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as error:
        raise UserError(f"{path} could not be read ({error}); remove it and approve the "
                        "servers again") from error
    return data if isinstance(data, dict) else {}
