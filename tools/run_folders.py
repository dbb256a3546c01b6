"""Where a test run writes what the loop reads back: folders no other command can write.

The session's scratch folder is every command's to write, a command the model runs beside
the baseline included. So a run's report, and cargo's builds and sources, go under
`<scratch>.runs/` beside it, which a command's sandbox binds only when the run asks for its
own folders (`Sandbox.run(writable=...)`): what the run leaves there is its own. Without a
scratch folder, a report is a hidden file in the workspace.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path


def runs_root(ctx) -> Path | None:
    """`<scratch>.runs/` (made if need be), or None when the session has no scratch folder."""
    scratch = getattr(ctx, "scratch", None)
    if scratch is None:
        return None
    root = Path(scratch).with_name(Path(scratch).name + ".runs")
    root.mkdir(mode=0o700, exist_ok=True)
    return root


@contextlib.contextmanager
def report_place(ctx, suffix: str) -> Iterator[tuple[Path, tuple[Path, ...]]]:
    """(where the run's report goes, the folders to bind writable for that run alone); the
    report's folder is removed after the block."""
    root = runs_root(ctx)
    if root is None:
        report = Path(ctx.root) / f".agent-report-{uuid.uuid4().hex[:12]}{suffix}"
        try:
            yield report, ()
        finally:
            report.unlink(missing_ok=True)
        return
    folder = Path(tempfile.mkdtemp(prefix="run-", dir=root))
    try:
        yield folder / f"report{suffix}", (folder,)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
