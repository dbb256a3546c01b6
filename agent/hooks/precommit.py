"""The pre-commit entry points: `check` (tests the change affects, optional repair) and `review`.

Both look only at the staged content (or the commits being pushed), keep their verdict by
its git tree id so the same content is answered instantly, honour SKIP, and never let a
missing key or network block a commit: model steps skip with one line unless `strict`.
Each returns the process exit code; every line of output goes through `out`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agent import __version__
from agent.confine import refuse_home_workspace
from agent.hooks import cache
from agent.hooks.fix import FixBudget
from agent.hooks.target import Target, find_target, skipped

Out = Callable[[str], None]


@dataclass(frozen=True)
class CheckOptions:
    """How `agent hook check` runs."""

    files: Sequence[str] = ()
    timeout_s: float = 300.0
    suite_limit_s: float = 60.0
    fix: bool = False
    model: str | None = None
    budget: FixBudget = field(default_factory=FixBudget)
    strict: bool = False
    use_cache: bool = True
    allow_home: bool = False


@dataclass(frozen=True)
class ReviewOptions:
    """How `agent hook review` runs."""

    files: Sequence[str] = ()
    fail_on: str = "high"
    model: str | None = None
    timeout_s: float = 120.0
    strict: bool = False
    use_cache: bool = True
    allow_home: bool = False


def check(cwd: Path, options: CheckOptions, out: Out) -> int:
    """Run the tests the change affects in the sandbox; 1 when they fail (after any repair)."""
    if skipped("agent-check"):
        out("agent-check: skipped (SKIP names agent-check)")
        return 0
    target = find_target(cwd, options.files)
    refuse_home_workspace(target.root, options.allow_home)
    if not [f for f in target.files if f.endswith(".py")]:
        out(f"agent-check: no {target.label} Python files; nothing to test")
        return 0
    model, reason = _fix_model(target, options) if options.fix else (None, "")
    if reason and options.strict:
        out(f"agent-check: --fix cannot run: {reason} (failing because of --strict)")
        return 1
    key = cache.cache_key(
        "check", __version__, target.tree, sorted(target.files), options.fix, options.suite_limit_s
    )
    verdict = _cached(target, key, options.use_cache, "agent-check", out)
    if verdict is None:
        from agent.hooks.testing import run_affected

        verdict = run_affected(target, options.timeout_s, options.suite_limit_s)
        if verdict["failing"] and options.fix:  # not for a timeout: nothing to go on
            verdict["lines"] += _repair(target, model, reason, options, verdict)
            verdict["keep"] = verdict["keep"] and model is not None
        if verdict.pop("keep"):
            cache.save(_agent_dir(target), key, verdict)
    elif verdict["code"] == 1 and options.fix:
        out("agent-check: the repair below was tried on that run; --no-cache tries again")
    for line in verdict["lines"]:
        out(line)
    return verdict["code"]


def _fix_model(target: Target, options: CheckOptions) -> tuple[object | None, str]:
    """The model for --fix, or None and the reason there is none (no key, bad spec)."""
    from agent.hooks.model import hook_model, missing_key
    from agent.models import ModelError

    spec = _model_spec(target, options.model)
    reason = missing_key(spec)
    if reason:
        return None, reason
    try:
        return hook_model(spec), ""
    except ModelError as error:
        return None, str(error)


def _repair(target: Target, model, reason: str, options: CheckOptions, verdict: dict) -> list[str]:
    """The repair step's lines; without a model it is skipped (the check still fails)."""
    from agent import prompts
    from agent.hooks.fix import repair

    if model is None:
        return [f"agent-check: --fix skipped: {reason}"]
    task = prompts.render(
        "hook_fix",
        label=target.label,
        files=list(target.files),
        tests=verdict["failing"],
        report=verdict["report"],
    )
    return repair(target, model, task, options.budget, allow_home=options.allow_home)


def review(cwd: Path, options: ReviewOptions, out: Out) -> int:
    """One model call over the change's diff; 1 when a finding reaches `fail_on`."""
    from agent.hooks.review import Finding

    if skipped("agent-review"):
        out("agent-review: skipped (SKIP names agent-review)")
        return 0
    target = find_target(cwd, options.files)
    refuse_home_workspace(target.root, options.allow_home)
    if not target.files:
        out(f"agent-review: no {target.label} files; nothing to review")
        return 0
    spec = _model_spec(target, options.model)
    key = cache.cache_key(
        "review", __version__, target.tree, target.base, sorted(target.files), spec
    )
    kept = _cached(target, key, options.use_cache, "agent-review", out)
    if kept is None:
        kept = _reviewed(target, spec, options)
        if kept.get("skipped"):
            out(kept["skipped"])
            return 1 if options.strict else 0
        cache.save(_agent_dir(target), key, kept)
    findings = [Finding(**item) for item in kept["findings"]]
    failing = [f for f in findings if f.at_least(options.fail_on)]
    for finding in findings:
        out(finding.render())
    out(
        f"agent-review: {len(findings)} finding(s), {len(failing)} at or above "
        f"{options.fail_on} in the {target.label} change ({kept['seconds']:.1f}s)"
    )
    return 1 if failing else 0


def _reviewed(target: Target, spec: str, options: ReviewOptions) -> dict:
    """The model's findings as a cacheable dict, or {"skipped": line} when it could not run."""
    from dataclasses import asdict

    from agent.hooks.model import DeadlinePassed, hook_model, missing_key, within
    from agent.hooks.review import parse_findings, review_request
    from agent.hooks.target import change_diff
    from agent.models import ModelError

    reason = missing_key(spec)
    if reason:
        return {"skipped": f"agent-review: skipped: {reason}"}
    started = time.monotonic()
    request = review_request(change_diff(target), list(target.files), pushed=bool(target.ref))
    try:
        model = hook_model(spec)
        response = within(options.timeout_s, lambda: model.complete(request))
    except DeadlinePassed as late:
        return {"skipped": f"agent-review: skipped: {spec} gave {late} (--timeout)"}
    except ModelError as error:
        return {"skipped": f"agent-review: skipped: {error}"}
    findings = parse_findings(response.message.text)
    return {"findings": [asdict(f) for f in findings], "seconds": time.monotonic() - started}


def _cached(target: Target, key: str, use: bool, hook_id: str, out: Out) -> dict | None:
    if not use:
        return None
    kept = cache.load(_agent_dir(target), key)
    if kept is not None:
        out(
            f"{hook_id}: cache hit: same {target.label} content (tree {target.tree[:12]}) "
            "as an earlier run; its result follows"
        )
    return kept


def _model_spec(target: Target, chosen: str | None) -> str:
    if chosen:
        return chosen
    from agent.config import load_config

    return load_config(target.root).model


def _agent_dir(target: Target) -> Path:
    return target.root / ".agent"
