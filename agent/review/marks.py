"""Files that run code later, when the person next uses pytest, Python, git, make or CI.

This is the one list: the report marks every touched file that matches it.
"""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import PurePosixPath

# file name -> what runs it
BY_NAME = {
    "conftest.py": "pytest imports it",
    "sitecustomize.py": "Python imports it at start-up",
    "usercustomize.py": "Python imports it at start-up",
    ".envrc": "direnv runs it on entering the folder",
    ".env": "loaded into the environment of tools that read it",
    "Makefile": "make runs its recipes",
    "makefile": "make runs its recipes",
    "GNUmakefile": "make runs its recipes",
    "setup.py": "building or installing runs it",
    "setup.cfg": "names entry points and build steps",
    "pyproject.toml": "names the build backend and entry points",
    "tox.ini": "tox runs its commands",
    "noxfile.py": "nox runs it",
    "pytest.ini": "pytest loads the plugins and options it names",
    ".pre-commit-config.yaml": "pre-commit runs its hooks",
    ".gitlab-ci.yml": "CI runs it",
    "azure-pipelines.yml": "CI runs it",
    "Jenkinsfile": "CI runs it",
    "package.json": "npm runs its scripts",
    "build.rs": "cargo compiles and runs it before building the crate",
    "Cargo.toml": "names cargo's build scripts, dependencies and their features",
    "rust-toolchain.toml": "chooses the toolchain rustup runs",
    "rust-toolchain": "chooses the toolchain rustup runs",
    ".gitattributes": "chooses git filters and diff drivers",
    ".agent.toml": "sets how the next agent session runs (model, tests, bounds)",
    ".mcp.json": "names MCP servers agents start (ours only once you approve them)",
    "AGENTS.md": "instructions the next agent session gives its model",
    "CLAUDE.md": "instructions the next agent session gives its model",
}
# glob on the whole repo-relative path -> what runs it
BY_PATTERN = (
    ("*.pth", "Python runs its import lines at start-up"),
    (".env.*", "loaded into the environment of tools that read it"),
    ("*.mk", "make runs its recipes"),
    (".github/workflows/*", "CI runs it"),
    (".circleci/*", "CI runs it"),
    (".cargo/config*", "sets cargo's runner, rustc wrapper and build flags"),
    ("*/.cargo/config*", "sets cargo's runner, rustc wrapper and build flags"),
    ("vitest.config.*", "vitest loads it before the tests"),
    ("vitest.workspace.*", "vitest loads it before the tests"),
    ("vite.config.*", "vite and vitest load it"),
    ("jest.config.*", "jest loads it before the tests"),
    ("*__pycache__/*.pyc", "Python runs bytecode in place of the source"),
    (".git/*", "git metadata: hooks, config and excludes change what git runs and shows"),
    (".git", "git metadata: hooks, config and excludes change what git runs and shows"),
    ("*/.git/*", "git metadata: hooks, config and excludes change what git runs and shows"),
)


def runs_code(path: str) -> str:
    """Why `path` (repo-relative, posix) runs code later, or "" when it does not."""
    name = PurePosixPath(path).name
    if name in BY_NAME:
        return BY_NAME[name]
    for pattern, reason in BY_PATTERN:
        if fnmatch(path, pattern) or fnmatch(name, pattern):
            return reason
    return ""
