"""The report folder a matrix's nox sessions write into: ``results/<id>.json`` and
``junit/<id>.xml`` per configuration, ``results/history/`` for the release history.

One nox invocation's configurations replace an earlier invocation's: the first of them
to start clears what is there, under a lock, so that the report shows what this
invocation ran (``curves`` adds to the last run instead).
"""

from __future__ import annotations

import sys
from pathlib import Path


def clear_earlier_runs(report_dir: Path, invocation: str) -> None:
    """Remove the results of invocations other than ``invocation`` (once per invocation:
    configurations starting at once under ``nox -j`` agree on who clears, under a lock)."""
    folder = report_dir / "results"
    marker = folder / ".invocation"
    marker.parent.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as lock:
        if sys.platform != "win32":  # nox -j is for POSIX systems here
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and marker.read_text() == invocation:
            return
        stale_files = [
            *folder.glob("*.json"),
            *(folder / "history").glob("*.json"),  # the release history's configurations
            *(report_dir / "junit").glob("*.xml"),
        ]
        for stale in stale_files:
            stale.unlink(missing_ok=True)
        marker.write_text(invocation)
