"""`python -m agent.bench.worker JOB.json ROW.json`: one benchmark task in its own process.

JOB.json holds {"task": ..., "settings": ...}; the results row is written to ROW.json
(atomically) when the task is done. A worker that dies leaves no ROW.json, which the
parent reports as an error row. SIGTERM stops it as Ctrl-C would.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Run the job in argv[0] and write its row to argv[1]."""
    from agent.bench.run import BenchSettings, run_task

    signal.signal(signal.SIGTERM, _interrupt)
    job_file, row_file = Path(argv[0]), Path(argv[1])
    job = json.loads(job_file.read_text(encoding="utf-8"))
    row = run_task(job["task"], BenchSettings(**job["settings"]))
    partial = row_file.with_name(f".{row_file.name}.{os.getpid()}")
    partial.write_text(json.dumps(row, ensure_ascii=False), encoding="utf-8")
    partial.replace(row_file)
    return 0


def _interrupt(signum, frame) -> None:
    """SIGTERM from the parent: stop like Ctrl-C, so the session ends cleanly."""
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
