"""Task files: our JSONL tasks and SWE-bench's instance format, read as one; predictions out.

Two kinds of task share one format. A task from `agent bench synth` carries a `mutation`:
its `patch` *breaks* base_commit (the working copy is base_commit with the patch applied,
and the fix is that patch reversed). Every other task, mined from history (`agent bench
mine`) or a SWE-bench instance, is SWE-bench's: the working copy is base_commit itself, `patch`
is the gold fix and `test_patch` the tests that judge it, hidden from the agent until the
evaluation applies them.

SWE-bench files hold FAIL_TO_PASS and PASS_TO_PASS as JSON-encoded lists; both forms read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent.errors import UserError

Task = dict[str, Any]
TEST_LISTS = ("FAIL_TO_PASS", "PASS_TO_PASS")
PREDICTIONS_NAME = "predictions.jsonl"


def load_tasks(path: Path) -> list[Task]:
    """Tasks from a JSONL file (ours or SWE-bench's), with their test lists as lists."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UserError(f"cannot read tasks file {path}: {exc.strerror}") from None
    tasks = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            task = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}:{number} is not a JSON line: {exc.msg}") from None
        if not isinstance(task, dict):
            raise UserError(f"{path}:{number} is not a JSON object")
        tasks.append(normalized(task, f"{path}:{number}"))
    return tasks


def normalized(task: Task, where: str = "task") -> Task:
    """The task with FAIL_TO_PASS / PASS_TO_PASS as lists of test ids."""
    task = dict(task)
    for key in TEST_LISTS:
        value = task.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                value = None
        if not (isinstance(value, list) and all(isinstance(t, str) for t in value)):
            raise UserError(f"{where}: {key} must be a list of test ids (or one JSON-encoded)")
        task[key] = value
    return task


def as_swebench(task: Task) -> Task:
    """The task in SWE-bench's own instance format (test lists JSON-encoded)."""
    out = {
        "repo": task.get("repo", ""),
        "instance_id": task["instance_id"],
        "base_commit": task.get("base_commit", ""),
        "patch": task.get("patch", ""),
        "test_patch": task.get("test_patch", ""),
        "problem_statement": task.get("problem_statement", ""),
        "hints_text": task.get("hints_text", ""),
        "created_at": task.get("created_at", ""),
        "version": task.get("version", ""),
        "environment_setup_commit": task.get(
            "environment_setup_commit", task.get("base_commit", "")
        ),
    }
    for key in TEST_LISTS:
        out[key] = json.dumps(list(task.get(key, [])))
    extra = {k: v for k, v in task.items() if k not in out}
    return {**out, **extra}


def breaks_base(task: Task) -> bool:
    """True for a synthesized task, whose patch puts the bug in (rather than fixing it)."""
    return "mutation" in task


def kind_of(task: Task) -> str:
    """bug or feature (a synthesized bug is a bug; an instance that does not say: bug)."""
    return str(task.get("kind") or "bug")


def patch_paths(patch: str) -> set[str]:
    """The files a unified diff touches (both sides, /dev/null left out)."""
    paths = set()
    for line in patch.splitlines():
        if line.startswith(("--- ", "+++ ")):
            name = line[4:].split("\t")[0].strip()
            if name != "/dev/null":
                paths.add(name[2:] if name[:2] in ("a/", "b/") else name)
    return paths


def prediction(row: dict[str, Any], model: str) -> dict[str, str]:
    """One line of SWE-bench's predictions format for a results row."""
    return {
        "instance_id": row["instance_id"],
        "model_name_or_path": model,
        "model_patch": row.get("diff") or "",
    }


def write_predictions(out: Path, rows: list[dict[str, Any]], model: str) -> Path:
    """OUT/predictions.jsonl for every row, written whole (temp file + rename)."""
    from agent.atomic import atomic_write

    target = Path(out) / PREDICTIONS_NAME
    text = "".join(json.dumps(prediction(r, model)) + "\n" for r in rows)
    atomic_write(target, text.encode("utf-8"))
    return target
