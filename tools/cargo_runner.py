"""`cargo test` as a test runner: one id, several, or the whole suite, read by
`agent.tools.cargo_report` from libtest's stable console format.

An id's source picks the test target (`src/lib.rs` -> `--lib`, `tests/api.rs` -> `--test
api`, `doc::...` -> `--doc`) and its path runs with `--exact`. Build output goes to the test
runs' own folder beside the session's scratch folder (not the workspace the review watches,
not a folder another command can write), offline. A rustup proxy is bypassed for the default
toolchain's own binaries, as the sandbox hides rustup's settings.
A cargo workspace of several packages is run as one: ids do not name the package.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from pathlib import Path

from agent.tools.cargo_report import DOC, cargo_cases, listed_ids
from agent.tools.pytest_runner import nearest_ids
from agent.tools.run_folders import runs_root
from agent.tools.testrun import TestRun

CARGO_ENV = {"CARGO_NET_OFFLINE": "true", "CARGO_TERM_COLOR": "never", "RUST_BACKTRACE": "0"}
TARGET_DIR, HOME_DIR = "cargo-target", "cargo-home"  # under the test runs' own folder


def run_cargo(ctx, command: str, targets: list[str], timeout: int, env: dict | None) -> TestRun:
    """Run `cargo test` on the targets (the whole suite when none); missing ids reported."""
    flags = list(dict.fromkeys(f for t in targets for f in target_flags(t)))
    names = [t.split("::", 1)[1] for t in targets if "::" in t]
    words = shlex.split(command) + flags + ["--no-fail-fast"]
    if names and len(names) == len(targets):
        words += ["--", "--exact", *names]
    shown = shlex.join(words)
    env = {**CARGO_ENV, **cargo_paths(ctx), **(env or {})}
    result = ctx.sandbox.run(
        ["bash", "-c", shown + " 2>&1"],
        cwd=ctx.root,
        timeout=max(timeout, 1),
        env=env,
        writable=cargo_folders(ctx),
    )
    run = TestRun(
        shown,
        result.exit_code,
        runner="cargo",
        output=result.stdout + result.stderr,
        duration_s=result.duration_s,
        timed_out=result.timed_out,
        killed_by=result.killed_by,
    )
    cases = cargo_cases(result.stdout)
    if not result.timed_out and (cases or result.exit_code == 0):
        run.cases, run.source = _requested(cases, targets), "report"
        run.narrowed = len(run.cases) < len(cases)
    ran = {c.test_id for c in run.cases}
    wanted = [t for t in targets if "::" in t and t not in ran]
    if wanted and run.source == "report" and not any(c.collection for c in cases):
        known = _listed(ctx, command, flags, timeout, env)
        run.missing = {t: nearest_ids(t, known) for t in wanted}
    return run


def target_flags(target: str) -> list[str]:
    """cargo's options selecting the test target an id or path belongs to."""
    source = target.split("::")[0]
    if source == DOC:
        return ["--doc"]
    if source == "src/lib.rs":
        return ["--lib"]
    if source == "src/main.rs":
        return ["--bins"]
    found = re.fullmatch(r"(tests|benches|examples|src/bin)/([^/]+?)(?:\.rs|/main\.rs)", source)
    if found:
        kind = {
            "tests": "--test",
            "benches": "--bench",
            "examples": "--example",
            "src/bin": "--bin",
        }[found.group(1)]
        return [kind, found.group(2)]
    return []


def _requested(cases: list, targets: list[str]) -> list:
    """The cases the targets name (all when none); build failures and crashes always."""
    if not targets:
        return cases
    return [
        c
        for c in cases
        if "::" not in c.test_id
        or any(c.test_id == t or c.test_id.split("::")[0] == t for t in targets)
    ]


def _listed(ctx, command: str, flags: list[str], timeout: int, env: dict) -> list[str]:
    words = shlex.split(command) + flags + ["--", "--list"]
    result = ctx.sandbox.run(
        ["bash", "-c", shlex.join(words) + " 2>&1"],
        cwd=ctx.root,
        timeout=max(timeout, 1),
        env=env,
        writable=cargo_folders(ctx),
    )
    return listed_ids(result.stdout)


def cargo_folders(ctx) -> tuple[Path, ...]:
    """The build and home folders a run binds writable for itself (made if need be); none
    without a scratch folder, when they are under /tmp, which each command has of its own."""
    root = runs_root(ctx)
    if root is None:
        return ()
    folders = (root / TARGET_DIR, root / HOME_DIR)
    for folder in folders:
        folder.mkdir(exist_ok=True)
    return folders


def cargo_paths(ctx) -> dict[str, str]:
    """Where builds go, cargo's home, and PATH with the real toolchain first. Builds and home
    are the test runs' own (`agent.tools.run_folders`): a command beside the baseline must not
    swap a test binary or a crate's source between its build and its run."""
    root = runs_root(ctx)
    folder = root if root is not None else Path("/tmp")
    paths = {
        "CARGO_TARGET_DIR": str(folder / TARGET_DIR),
        "CARGO_HOME": str(folder / HOME_DIR),
    }
    toolchain = toolchain_bin()
    if toolchain:
        paths["PATH"] = f"{toolchain}:{os.environ.get('PATH', '/usr/bin:/bin')}"
    return paths


def toolchain_bin() -> str | None:
    """The default rustup toolchain's bin folder, when `cargo` is rustup's proxy."""
    cargo = shutil.which("cargo")
    if cargo is None or Path(cargo).resolve().name != "rustup":
        return None
    home = Path(os.environ.get("RUSTUP_HOME") or Path.home() / ".rustup")
    name = os.environ.get("RUSTUP_TOOLCHAIN")
    if not name:
        try:
            settings = (home / "settings.toml").read_text(encoding="utf-8")
        except OSError:
            return None
        found = re.search(r'^default_toolchain\s*=\s*"([^"]+)"', settings, re.MULTILINE)
        name = found.group(1) if found else None
    folder = home / "toolchains" / name / "bin" if name else None
    return str(folder) if folder is not None and (folder / "cargo").is_file() else None
