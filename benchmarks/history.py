"""What the SQLAlchemy release history costs: nox -s bench_history [-- --tags ... --cold].

Runs ``nox -t history`` (or ``--tags history-sqlite history-postgresql``, CI's part)
into a report folder of its own and prints: the releases and configurations, the wall time
and the CPU time of every process it started (nox, uv, pytest, the report; not the
servers), the whole machine's busy and idle core-seconds over the run (the servers'
work included: what a 2-core target is measured against; busy less our CPU is the part
that is not ours), the results' sizes (the history's compact file, the merged
results.json), then builds the report once more on its own and prints that time and
report.md's and report.html's sizes. ``--cold`` first removes the releases' environments
(``.nox/.cache/history``: as a fresh clone has none; uv's own cache stays, as on a
machine that has installed these wheels before).
Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _machine() -> tuple[float, float] | None:
    """The whole machine's busy and idle (with I/O wait) core-seconds so far, from
    /proc/stat: the busy part includes the servers' work, which no rusage of ours counts."""
    try:
        fields = [float(f) for f in Path("/proc/stat").read_text().split("\n")[0].split()[1:8]]
    except (OSError, ValueError, IndexError):
        return None
    user, nice, system, idle, iowait, irq, softirq = fields
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, (idle + iowait) / tick


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/history.py", description=__doc__)
    parser.add_argument("--tags", nargs="+", default=["history"])
    parser.add_argument("--cold", action="store_true", help="no release environment at first")
    parser.add_argument("--out", type=Path, help="the report folder (default: a temporary one)")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="matrix-bench-history-"))
    if args.cold:
        shutil.rmtree(ROOT / ".nox" / ".cache" / "history", ignore_errors=True)
    env = {**os.environ, "MATRIX_REPORT_DIR": str(out)}
    with open(os.devnull, "rb") as nothing:
        load = (
            Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
        )
        wall, cpu, machine = time.perf_counter(), _cpu(), _machine()
        done = subprocess.run(
            ["nox", "-t", *args.tags], cwd=ROOT, env=env, stdin=nothing, capture_output=True,
            text=True,
        )  # fmt: skip
        wall, cpu = time.perf_counter() - wall, _cpu() - cpu
        after = _machine()
    if done.returncode != 0:
        print(done.stdout[-3000:] + done.stderr[-3000:])
        print(f"bench: nox -t {' '.join(args.tags)} exited with {done.returncode}")
    history = out / "results" / "history.json"
    merged = out / "results.json"
    configurations = json.loads(history.read_text())["configurations"] if history.exists() else {}
    ran = sum(1 for c in configurations.values() if c.get("status") == "ran")
    releases = {c.get("sqlalchemy") for c in configurations.values()}
    # The report session's interpreter (Jinja2 is there), else this one.
    python = ROOT / ".nox" / "report" / "bin" / "python"
    report_wall = time.perf_counter()
    subprocess.run(
        [str(python if python.exists() else sys.executable), "-m", "sqla_matrix.report",
         f"--results-dir={out / 'results'}", f"--out={out / 'rebuilt'}"],
        cwd=ROOT, capture_output=True, check=False,
    )  # fmt: skip
    report_wall = time.perf_counter() - report_wall

    def size(path: Path) -> str:
        return f"{path.stat().st_size / 1e6:.2f} MB" if path.exists() else "absent"

    cold = " (cold: no release environment)" if args.cold else ""
    print(f"bench: nox -t {' '.join(args.tags)}{cold}")
    print(f"bench: load average before: {' '.join(load) or 'unknown'}; {os.cpu_count()} cores")
    print(f"bench: {len(releases)} releases, {len(configurations)} configurations ({ran} ran)")
    print(f"bench: wall {wall:.0f} s, CPU {cpu:.0f} s (every process it started)")
    if machine is not None and after is not None:
        busy, idle = after[0] - machine[0], after[1] - machine[1]
        print(
            f"bench: the machine: {busy:.0f} core-s busy (the servers' work included), "
            f"{idle:.0f} core-s idle or waiting for I/O; {busy - cpu:.0f} core-s of the busy "
            "ones not ours (the servers, the Docker engine, the kernel, anything else running)"
        )
    print(f"bench: results: history.json {size(history)}, results.json {size(merged)}")
    rebuilt = out / "rebuilt"
    print(
        f"bench: the report alone: {report_wall:.1f} s; report.md "
        f"{size(rebuilt / 'report.md')}, report.html {size(rebuilt / 'report.html')}"
    )
    print(f"bench: report folder {out}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
