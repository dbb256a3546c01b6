"""Where the tasks of a run execute: in this process, in local worker processes, or on Ray.

Each executor's `run(tasks, settings)` yields one results row per task as it finishes
(in finishing order). Closing the iterator (Ctrl-C) stops the work still running: local
workers are killed, Ray tasks cancelled; nothing of theirs is yielded.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from agent.bench.run import BenchSettings, empty_row, run_task, slug
from agent.errors import UserError

SETUP_GRACE_S = 300.0  # beyond the solve and evaluation limits, before a task is killed


class Executor(Protocol):
    """Runs tasks and yields their rows as they finish."""

    def run(self, tasks: list[dict[str, Any]], settings: BenchSettings) -> Iterator[dict[str, Any]]:
        """Rows of the tasks, in the order they finish."""
        ...


def hard_limit(settings: BenchSettings) -> float | None:
    """Seconds after which a task still running is killed (None: never)."""
    if settings.task_timeout_s is None:
        return None
    return settings.task_timeout_s + settings.eval_timeout_s + SETUP_GRACE_S


def killed_row(
    task: dict[str, Any], settings: BenchSettings, error: str, wall_s: float
) -> dict[str, Any]:
    """The row of a task that never reported back."""
    return {**empty_row(task, settings), "error": error, "wall_s": round(wall_s, 3)}


@dataclass
class InlineExecutor:
    """One task after another in this process, each with the model `model_for(task)` gives."""

    model_for: Callable[[dict[str, Any]], Any]

    def run(self, tasks: list[dict[str, Any]], settings: BenchSettings) -> Iterator[dict[str, Any]]:
        """Rows of the tasks, in order; after a session stops as interrupted (Ctrl-C), no more."""
        for task in tasks:
            row = run_task(task, settings, self.model_for(task))
            yield row
            if row["status"] == "interrupted":
                return


@dataclass
class _Job:
    task: dict[str, Any]
    process: subprocess.Popen
    started: float
    row_file: Path


@dataclass
class LocalExecutor:
    """Up to `workers` tasks at once, each in its own `python -m agent.bench.worker` process."""

    workers: int = 2
    log_dir: Path | None = None  # each task's worker output (stderr) goes to LOG_DIR/<id>.log

    def run(self, tasks: list[dict[str, Any]], settings: BenchSettings) -> Iterator[dict[str, Any]]:
        """Rows of the tasks as their workers finish."""
        scratch = Path(tempfile.mkdtemp(prefix="agent-bench-run-"))
        settings = replace(settings, work_dir=str(scratch / "copies"))
        queue, running = list(tasks), []
        limit = hard_limit(settings)
        try:
            while queue or running:
                while queue and len(running) < max(1, self.workers):
                    running.append(self._start(queue.pop(0), settings, scratch))
                time.sleep(0.1)
                for job in list(running):
                    late = limit is not None and time.monotonic() - job.started > limit
                    if job.process.poll() is None and not late:
                        continue
                    running.remove(job)
                    yield self._finish(job, settings, late)
        finally:
            _stop([job.process for job in running])
            shutil.rmtree(scratch, ignore_errors=True)

    def _start(self, task: dict[str, Any], settings: BenchSettings, scratch: Path) -> _Job:
        name = slug(task["instance_id"])
        job_file, row_file = scratch / f"{name}.job.json", scratch / f"{name}.row.json"
        job_file.write_text(
            json.dumps({"task": task, "settings": settings.to_dict()}), encoding="utf-8"
        )
        log = subprocess.DEVNULL
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            log = (self.log_dir / f"{name}.log").open("w", encoding="utf-8")
        try:  # a session of its own: Ctrl-C reaches only the parent, which stops the workers
            process = subprocess.Popen(
                [sys.executable, "-m", "agent.bench.worker", str(job_file), str(row_file)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        finally:
            if log is not subprocess.DEVNULL:
                log.close()
        return _Job(task, process, time.monotonic(), row_file)

    def _finish(self, job: _Job, settings: BenchSettings, late: bool) -> dict[str, Any]:
        wall = time.monotonic() - job.started
        if late:
            _stop([job.process])
            return killed_row(
                job.task,
                settings,
                f"killed after {wall:.0f} s (task time limit "
                f"{settings.task_timeout_s:g} s plus evaluation and set-up)",
                wall,
            )
        try:
            return json.loads(job.row_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            where = (
                f"; see {self.log_dir / (slug(job.task['instance_id']) + '.log')}"
                if self.log_dir
                else ""
            )
            return killed_row(
                job.task,
                settings,
                f"the worker exited with code {job.process.returncode} before reporting{where}",
                wall,
            )


def _stop(processes: list[subprocess.Popen], grace_s: float = 10.0) -> None:
    """Stop workers and the commands they started: SIGTERM (the session inside ends as
    interrupted and a bridge takes back its pending request), then SIGKILL after `grace_s`."""
    for process in processes:
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for process in processes:
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        _signal_group(process, signal.SIGKILL)
        process.wait()


def _signal_group(process: subprocess.Popen, number: int) -> None:
    try:
        os.killpg(process.pid, number)
    except (ProcessLookupError, PermissionError):
        pass


@dataclass
class RayExecutor:
    """The same `run_task`, as Ray tasks (one CPU each), at most `workers` in flight.

    `address` joins a running cluster ("auto", "ray://host:10001", ...); without it a
    local Ray instance with `workers` CPUs is started for the run and stopped after.
    Settings in AGENT_* environment variables travel with the tasks.
    """

    workers: int = 2
    address: str | None = None

    def run(self, tasks: list[dict[str, Any]], settings: BenchSettings) -> Iterator[dict[str, Any]]:
        """Rows of the tasks as Ray reports them finished (ray.wait)."""
        ray = _import_ray()
        started_here = not ray.is_initialized()
        if started_here:
            env = {k: v for k, v in os.environ.items() if k.startswith("AGENT_")}
            ray.init(
                address=self.address,
                num_cpus=None if self.address else self.workers,
                include_dashboard=False,
                log_to_driver=False,
                runtime_env={"env_vars": env} if env else None,
            )
        remote = ray.remote(num_cpus=1, max_retries=0)(run_task)
        try:
            yield from self._stream(ray, remote, list(tasks), settings)
        finally:
            if started_here:
                ray.shutdown()

    def _stream(self, ray, remote, queue, settings) -> Iterator[dict[str, Any]]:
        pending: dict[Any, tuple[dict[str, Any], float]] = {}
        limit = hard_limit(settings)
        try:
            while queue or pending:
                while queue and len(pending) < max(1, self.workers):
                    task = queue.pop(0)
                    pending[remote.remote(task, settings)] = (task, time.monotonic())
                ready, _ = ray.wait(list(pending), num_returns=1, timeout=1.0)
                for ref in ready:
                    task, started = pending.pop(ref)
                    yield self._collect(ray, ref, task, settings, started)
                for ref, (task, started) in list(pending.items()):
                    if limit is not None and time.monotonic() - started > limit:
                        ray.cancel(ref, force=True)
                        del pending[ref]
                        yield killed_row(
                            task,
                            settings,
                            f"cancelled after {limit:g} s",
                            time.monotonic() - started,
                        )
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)

    @staticmethod
    def _collect(ray, ref, task, settings, started) -> dict[str, Any]:
        try:
            return ray.get(ref)
        except Exception as problem:  # the Ray worker died or could not run it
            return killed_row(
                task,
                settings,
                f"ray: {type(problem).__name__}: {str(problem).strip().splitlines()[0][:300]}",
                time.monotonic() - started,
            )


def _import_ray():
    try:
        import ray
    except ImportError:
        raise UserError(
            "--executor ray needs Ray: pip install 'agent[ray]' (or pip install ray)"
        ) from None
    return ray
