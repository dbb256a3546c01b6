"""What a hook run looks at: the staged content (or the commits being pushed), as git sees it.

Under the pre-commit framework (PRE_COMMIT=1) the framework has already stashed unstaged
changes, so the working tree is the staged content and is tested in place. Run any other
way (the plain git hook, by hand) the index is exported to a temporary directory with
`git checkout-index`, so unstaged edits are never seen. At the pre-push stage
(PRE_COMMIT_FROM_REF / PRE_COMMIT_TO_REF) the pushed commit's tree is exported instead.
GIT_INDEX_FILE, which git sets for hooks (e.g. for `git commit -a`), is honoured throughout.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from agent.errors import UserError
from agent.gitops.pin import STATUS_SAFE
from agent.gitops.plumbing import run_git, temp_index


@dataclass(frozen=True)
class Target:
    """The content a hook run checks.

    `tree` is its git tree id (the cache key); `files` the changed paths, repo-relative;
    `base` the tree-ish it changes (HEAD or the push's from-ref), None before the first
    commit; `ref` the commit being pushed, None for staged content; `in_place` is true
    when the working tree already is the content.
    """

    root: Path
    tree: str
    files: tuple[str, ...]
    base: str | None
    ref: str | None
    in_place: bool

    @property
    def label(self) -> str:
        """ "staged" or "pushed", for messages."""
        return "pushed" if self.ref else "staged"


def repo_root(cwd: Path) -> Path:
    """The top of the git work tree holding `cwd`; a UserError outside one."""
    out = run_git(cwd, "rev-parse", "--show-toplevel", check=False).decode().strip()
    if not out:
        raise UserError(f"{cwd} is not inside a git work tree; run the hook in a repository")
    return Path(out).resolve()


def find_target(cwd: Path, files: Sequence[str] = (), env: dict | None = None) -> Target:
    """The content this run checks, from the environment pre-commit (or git) set."""
    env = os.environ if env is None else env
    root = repo_root(cwd)
    named = tuple(_relative(root, cwd, f) for f in files)
    to_ref, from_ref = env.get("PRE_COMMIT_TO_REF"), env.get("PRE_COMMIT_FROM_REF")
    if to_ref and from_ref:
        tree = run_git(root, "rev-parse", f"{to_ref}^{{tree}}").decode().strip()
        base = None if set(from_ref) == {"0"} else from_ref  # a new branch: all of it is new
        changed = named or (
            _changed(root, "diff", "--name-only", "--diff-filter=ACMR", "-z", f"{base}...{to_ref}")
            if base
            else _changed(root, "ls-tree", "-r", "-z", "--name-only", to_ref)
        )
        return Target(root, tree, changed, base, to_ref, in_place=False)
    tree = run_git(root, "write-tree").decode().strip()
    head = run_git(root, "rev-parse", "-q", "--verify", "HEAD^{commit}", check=False)
    base = head.decode().strip() or None
    changed = named or _changed(root, "diff", "--cached", "--name-only", "--diff-filter=ACMR", "-z")
    in_place = env.get("PRE_COMMIT") == "1" and _tree_matches_index(root)
    return Target(root, tree, changed, base, None, in_place)


def _changed(root: Path, *args: str) -> tuple[str, ...]:
    return tuple(p for p in run_git(root, *args).decode().split("\0") if p)


def _tree_matches_index(root: Path) -> bool:
    """True when no tracked file differs from the index (pre-commit stashed the rest)."""
    return not run_git(root, "diff", "--name-only", "-z", STATUS_SAFE, check=False).strip(b"\0")


def _relative(root: Path, cwd: Path, name: str) -> str:
    path = Path(name)
    full = path if path.is_absolute() else (cwd / path)
    try:
        return full.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


@contextlib.contextmanager
def content_dir(target: Target) -> Iterator[Path]:
    """A directory holding exactly the checked content: the work tree, or an export of it."""
    if target.in_place:
        yield target.root
        return
    with tempfile.TemporaryDirectory(prefix="agent-hook-") as tmp:
        prefix = str(Path(tmp).resolve()) + "/"
        if target.ref:
            with temp_index() as private:
                run_git(target.root, "read-tree", target.ref, env=private)
                run_git(target.root, "checkout-index", "-a", f"--prefix={prefix}", env=private)
        else:
            run_git(target.root, "checkout-index", "-a", f"--prefix={prefix}")
        yield Path(prefix)


def change_diff(target: Target, context: int = 3) -> str:
    """The unified diff of the checked change, limited to its files."""
    paths = ["--", *target.files] if target.files else []
    common = ["--no-color", "--no-ext-diff", "--no-textconv", f"-U{context}"]
    if target.ref:
        base = target.base or _empty_tree(target.root)
        spec = f"{base}...{target.ref}" if target.base else f"{base}..{target.ref}"
        out = run_git(target.root, "diff", *common, spec, *paths)
    else:  # against HEAD; before the first commit, against nothing
        out = run_git(target.root, "diff", "--cached", *common, *paths)
    return out.decode(errors="replace")


def _empty_tree(root: Path) -> str:
    return run_git(root, "hash-object", "-t", "tree", "/dev/null").decode().strip()


def skipped(hook_id: str, env: dict | None = None) -> bool:
    """True when SKIP (comma-separated hook ids, pre-commit's convention) names `hook_id`."""
    env = os.environ if env is None else env
    return hook_id in {part.strip() for part in env.get("SKIP", "").split(",")}
