"""Credentials that neither sandboxed commands nor the agent's host-side reads may see.

A home folder's secrets are hidden whole. Inside the workspace (a repository that is, or
holds, a home, or a project that keeps a token in `.npmrc`), folders that projects also
use for ordinary settings (`.claude`, `.gemini`, `.docker`, ...) are narrowed to the files
that hold the credentials.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

HOME_SECRETS = (
    ".ssh",
    ".aws",
    ".config/gcloud",
    ".gnupg",
    ".netrc",
    ".docker",
    ".kube",
    ".pypirc",
    ".git-credentials",
    ".config/git/credentials",
    ".config/gh",
    ".azure",
    ".npmrc",
    ".cargo/credentials.toml",
    ".cargo/credentials",
    ".password-store",
    # agent CLIs and model providers
    ".claude",
    ".claude.json",
    ".codex",
    ".gemini",
    ".config/anthropic",
    ".config/openai",
    ".config/github-copilot",
    ".aider.conf.yml",
    ".huggingface",
    ".cache/huggingface/token",
    # other tokens people keep in a home
    ".vault-token",
    ".terraform.d",
    ".pgpass",
    ".my.cnf",
    ".s3cfg",
    ".boto",
    ".config/rclone",
    ".local/share/keyrings",
)
_NARROWED = {
    ".docker": (".docker/config.json",),
    ".claude": (".claude/.credentials.json",),
    ".codex": (".codex/auth.json",),
    ".gemini": (".gemini/oauth_creds.json", ".gemini/google_accounts.json", ".gemini/.env"),
    ".terraform.d": (".terraform.d/credentials.tfrc.json",),
    ".aider.conf.yml": (),
}
WORKSPACE_SECRETS = tuple(
    narrow for name in HOME_SECRETS for narrow in _NARROWED.get(name, (name,))
)


@cache
def _secret_pattern() -> re.Pattern[str]:
    names = "|".join(re.escape(name) for name in WORKSPACE_SECRETS)
    return re.compile(rf"(?:^|/)(?:{names})(?:/|$)")


def secret_in(relative_path: str) -> str | None:
    """The secret a repo-relative posix path is, or lies inside, at any depth; else None."""
    if "/." not in "/" + relative_path:  # every secret's name starts with a dot
        return None
    found = _secret_pattern().search(relative_path)
    return found.group(0).strip("/") if found else None


def workspace_secrets(workspace: Path) -> list[Path]:
    """Secrets present at the workspace's top level and in each folder directly under it
    (a workspace that holds homes), as real paths inside the workspace."""
    firsts = {name.split("/", 1)[0] for name in WORKSPACE_SECRETS}
    found: list[Path] = []
    folders = [workspace]
    try:
        with os.scandir(workspace) as entries:
            folders += [
                Path(e.path)
                for e in entries
                if e.name != ".git" and e.is_dir(follow_symlinks=False)
            ]
    except OSError:
        return []
    for folder in folders:
        try:
            with os.scandir(folder) as entries:
                present = {e.name for e in entries if e.name in firsts}
        except OSError:
            continue
        for name in WORKSPACE_SECRETS:
            if name.split("/", 1)[0] in present:
                found += _real_inside(folder / name, workspace)
    return found


def _real_inside(path: Path, workspace: Path) -> list[Path]:
    if not os.path.lexists(path):
        return []
    real = Path(os.path.realpath(path))
    # A link to elsewhere is covered by the sandbox's own view of the outside.
    return [real] if real != workspace and real.is_relative_to(workspace) else []
