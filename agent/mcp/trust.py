"""The person's approval of the MCP servers a repository defines, kept outside the repository.

A cloned repository's `.mcp.json` (or `[mcp_servers]` table) is the repository's say-so, not
the person's, and a stdio server runs unsandboxed with the person's rights. So a server a
repository defines starts only after the person approved it with `agent mcp approve`. The
approval is recorded in the person's config folder, for this repository's path, as a
fingerprint of the definition and of every repository file its command line names, with
everything in those files' folders (a script imports what lies beside it: a module a
sandboxed command plants there would run unsandboxed) and the node_modules and
package.json of the folders above them (where Node looks). When a sandboxed command (or a
`git pull`) changes any of it, the fingerprint no longer matches and the server stays
stopped until approved again; so does a server that writes beside its own script. Left
out: .git, .agent, __pycache__ (repository servers get their own PYTHONPYCACHEPREFIX) and
the environment folders the sandbox cannot write. Code the server loads by other means
(`python -m pkg` or `npx` from the repository) is not in the fingerprint: the approval
prompt's advice is to approve only what you would run yourself.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

from agent.errors import UserError
from agent.mcp.settings import ServerSpec, user_config_path


def approvals_path() -> Path:
    """Where approvals live: next to the person's config file, never in a repository."""
    return user_config_path().parent / "mcp-approved.json"


def fingerprint(spec: ServerSpec, root: Path) -> str:
    """A hash of what the server would run: its definition, and the repository files and
    folders its command line and `env` name with what lies beside them (`_covered_files`)."""
    digest = hashlib.sha256(
        json.dumps([spec.name, spec.transport, spec.definition()], sort_keys=True).encode()
    )
    words = [
        spec.command,
        *spec.args,
        *(part for value in spec.env.values() for part in value.split(os.pathsep)),
    ]
    named = [_repository_path(root, word) for word in words] if spec.transport == "stdio" else []
    for path in _covered_files(root, [n for n in named if n is not None]):
        digest.update(path.encode() + b"\0" + _content_digest(Path(root) / path))
    return digest.hexdigest()


_NOT_COVERED = {".git", ".agent", "__pycache__"}


def _covered_files(root: Path, named: list[str]) -> list[str]:
    """Repo-relative paths of what the named files' approval covers (see the module's
    docstring), sorted."""
    from agent.sandbox.envs import environment_folders

    real_root = os.path.realpath(root)
    skipped = {str(p) for p in environment_folders(Path(real_root))}
    folders, found = set(), {n for n in named if not os.path.isdir(os.path.join(real_root, n))}
    for path in named:
        full = os.path.normpath(os.path.join(real_root, path))
        folder = full if os.path.isdir(full) else os.path.dirname(full)
        folders.add(folder)
        while True:
            folders.add(os.path.join(folder, "node_modules"))
            found.add(os.path.relpath(os.path.join(folder, "package.json"), real_root))
            if folder == real_root:
                break
            folder = os.path.dirname(folder)
    for top in folders:
        for where, dirs, files in os.walk(top):
            dirs[:] = [
                d for d in dirs if d not in _NOT_COVERED and os.path.join(where, d) not in skipped
            ]
            links = [d for d in dirs if os.path.islink(os.path.join(where, d))]
            found.update(
                os.path.relpath(os.path.join(where, f), real_root) for f in (*files, *links)
            )
    return sorted(p for p in found if os.path.lexists(os.path.join(real_root, p)))


def _content_digest(path: Path) -> bytes:
    """A file's content hash; a link's target instead (never followed out); for a FIFO or
    socket a command left, its kind (reading it could hang)."""
    if path.is_symlink():
        return b"link\0" + os.readlink(path).encode()
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    kind = stat.S_IFMT(os.fstat(fd).st_mode)
    if kind != stat.S_IFREG:
        os.close(fd)
        return b"special\0" + str(kind).encode()
    with os.fdopen(fd, "rb") as handle:
        return hashlib.sha256(handle.read()).digest()


def _repository_path(root: Path, word: str) -> str | None:
    """`word` as a repo-relative path when it names a file or folder inside the repository
    (`--opt=PATH` too)."""
    if not word or "\0" in word:
        return None
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(real_root, word.split("=", 1)[-1]))
    if real == real_root:
        return "."
    if not real.startswith(real_root + os.sep) or not os.path.exists(real):
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
    from agent.atomic import atomic_write

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
        raise UserError(
            f"{path} could not be read ({error}); remove it and approve the servers again"
        ) from error
    return data if isinstance(data, dict) else {}
