"""Which files the index covers: what git would track, minus what is not worth parsing.

`list_files` asks git (`ls-files -co --exclude-standard`, so .gitignore is respected);
`inspect` reads one file and decides whether to parse it. Both are plain functions so a
worker process can run `inspect` on its share of a cold build.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from agent.confine import LeavesWorkspace, read_bytes_inside
from agent.errors import UserError
from agent.gitops.pin import git_argv, git_env
from agent.index.parse import Facts, extract

MAX_BYTES = 1_000_000
VENDORED_DIRS = ("vendor", "third_party", "node_modules")
BINARY_EXTENSIONS = frozenset(
    ".png .jpg .jpeg .gif .bmp .ico .webp .tif .tiff .pdf .zip .gz .tgz .bz2 .xz .7z .tar "
    ".jar .war .whl .egg .so .dylib .dll .exe .o .a .lib .pyc .pyo .class .bin .dat .db "
    ".sqlite .woff .woff2 .ttf .otf .eot .mp3 .mp4 .wav .ogg .avi .mov .mkv .psd .npy .npz "
    ".pkl .parquet .mo".split()
)
_VENDORED = re.compile(r"(?:^|/)(?:{})/".format("|".join(VENDORED_DIRS)))
# A source file is "minified" when its lines average more than this many bytes.
MINIFIED_MEAN_LINE = 300


@dataclass
class Inspected:
    """The outcome of reading one file: `status` is ok, syntax (parsed with errors),
    unreadable, binary or minified; `facts` is set when the file was parsed; `same`
    means the content hash matched the cached one, so nothing was parsed."""

    path: str
    status: str
    digest: str = ""
    facts: Facts | None = None
    same: bool = False


def git_root(path: Path) -> tuple[Path, Path]:
    """The work-tree root and the common git dir for `path`, or a UserError."""
    if not Path(path).is_dir():
        raise UserError(f"not a directory: {path}")
    dot_git = Path(path) / ".git"
    if dot_git.is_dir() and (dot_git / "HEAD").is_file():  # the usual case, without a subprocess
        return Path(path).resolve(), dot_git.resolve()
    try:
        done = subprocess.run(
            [*git_argv(path), "rev-parse", "--show-toplevel", "--git-common-dir"],
            capture_output=True,
            text=True,
            env=git_env(),
            check=False,
        )
    except FileNotFoundError:
        raise UserError("git is not installed; install git to index a repository") from None
    lines = done.stdout.splitlines()
    if done.returncode != 0 or len(lines) < 2:
        raise UserError(f"not a git repository: {path} (run this inside a git work tree)")
    root = Path(lines[0])
    common = Path(lines[1])
    return root, common if common.is_absolute() else (Path(path) / common).resolve()


def list_files(root: Path) -> list[str]:
    """Every path git would track under `root` (tracked plus untracked, not ignored), sorted."""
    done = subprocess.run(
        [*git_argv(root), "ls-files", "-co", "--exclude-standard", "-z"],
        capture_output=True,
        env=git_env(),
        check=False,
    )
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UserError(f"git ls-files failed in {root}: {message[-1] if message else '?'}")
    names = done.stdout.decode("utf-8", "surrogateescape").split("\0")
    return sorted({name for name in names if name})


def path_skip_reason(path: str) -> str | None:
    """'vendored', 'binary' or 'minified' when the path alone says to skip the file."""
    if _VENDORED.search(path):
        return "vendored"
    name = path.rpartition("/")[2]
    dot = name.rfind(".")
    if dot > 0 and name[dot:].lower() in BINARY_EXTENSIONS:
        return "binary"
    if name.endswith((".min.js", ".min.css")):
        return "minified"
    return None


def content_digest(data: bytes) -> str:
    """A short content hash, to tell a touched file from a changed one."""
    import hashlib  # only needed when something changed; keeps warm start-up lean

    return hashlib.blake2b(data, digest_size=16).hexdigest()


def inspect(root: str, path: str, language: str, cached_digest: str) -> Inspected:
    """Read and (unless unchanged, binary or minified) parse one file."""
    try:
        data = read_bytes_inside(root, path)
    except (OSError, LeavesWorkspace):  # a link swapped in since the listing was checked
        return Inspected(path, "unreadable")
    if b"\0" in data[:8192]:
        return Inspected(path, "binary")
    if len(data) > 4096 and len(data) / (data.count(b"\n") + 1) > MINIFIED_MEAN_LINE:
        return Inspected(path, "minified")
    digest = content_digest(data)
    if digest == cached_digest:
        return Inspected(path, "same", digest, same=True)
    facts = extract(data, language)
    return Inspected(path, "syntax" if facts.errors else "ok", digest, facts)


def inspect_job(job: tuple[str, str, str, str]) -> Inspected:
    """`inspect` taking one tuple, for multiprocessing's map functions."""
    return inspect(*job)
