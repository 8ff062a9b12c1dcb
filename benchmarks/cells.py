"""How long the matrix takes, and where the time goes: nox -s bench [-- --full].

Runs the default cells twice, one at a time (``nox -j 1``) and at once (as
``nox`` runs them: the noxfile's ``nox.options.parallel``, or ``--jobs N``), each
into a report folder of its own, and prints:

- per cell: the nox session's duration, the time its scenarios took, their
  teardown (dropping each scenario's tables, emptying the shared ones: it grows
  with the scenarios), and the rest, the harness's own overhead (nox, the
  install check, interpreter and pytest start, collection, the namespace's
  setup and removal, the results file);
- per backend: the scenario time, and its three slowest scenarios;
- per cell, the CPU time (user + system) of its pytest process; the wall time
  of both runs, their ratio, and the CPU time of every process each run started
  (nox, uv, pytest, the report; not the servers);
- the floor of the scenarios: the sum of their deliberate pauses (``ctx.pause``,
  a statement that sleeps on the server) and of their statements' round trips
  (each configuration measures one ``SELECT 1``), what no harness could go below.

``--full`` does the same for every cell (``nox -s matrix``): that takes
many minutes. Figures, not assertions: nothing here fails on a number.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any


def _nox(
    selection: list[str], jobs: str | None, folder: Path
) -> tuple[float, float, dict[str, float]]:
    """Run ``nox SELECTION [-j JOBS]`` into ``folder``: wall seconds, CPU seconds of every
    process it started (user + system, children waited for), session durations."""
    status = folder / "nox-status.json"
    env = {**os.environ, "MATRIX_REPORT_DIR": str(folder)}
    env.pop("MATRIX_INVOCATION", None)
    parallel = ["-j", jobs] if jobs else []  # else the noxfile's own
    command = [sys.executable, "-m", "nox", *selection, *parallel, "--report", str(status)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    sessions = json.loads(status.read_text())["sessions"] if status.exists() else []
    durations = {s["signatures"][0]: s["duration"] for s in sessions if s.get("duration")}
    return wall, cpu, durations


def _configurations(folder: Path) -> dict[str, dict[str, Any]]:
    """Each configuration's scenario time and slowest scenarios, from its results file."""
    configurations = {}
    for path in sorted((folder / "results").glob("*.json")):
        document = json.loads(path.read_text())
        for name, configuration in document["configurations"].items():
            ran = {
                scenario_id: cell
                for scenario_id, entry in document["scenarios"].items()
                for cell in [entry["cells"].get(name)]
                if cell and cell["status"] != "not run"
            }
            timed = [(cell["duration_s"], scenario_id) for scenario_id, cell in ran.items()]
            statements = sum(len(c["statements"]) + c["statements_omitted"] for c in ran.values())
            paused = sum(c.get("paused_s", 0.0) for c in ran.values())
            configurations[name] = {
                "backend": configuration["backend"],
                "status": configuration["status"],
                "scenarios": sum(seconds for seconds, _ in timed),
                "teardown": sum(c.get("teardown_s", 0.0) for c in ran.values()),
                "cpu": configuration.get("cpu_s"),
                "slowest": sorted(timed, reverse=True)[:3],
                "floor": paused + statements * (configuration.get("round_trip_s") or 0.0),
                "paused": paused,
                "statements": statements,
            }
    return configurations


def _report(title: str, selection: list[str], jobs: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="sqla-matrix-bench-") as tmp:
        serial_wall, serial_cpu, sessions = _nox(selection, "1", Path(tmp) / "serial")
        parallel_wall, parallel_cpu, _ = _nox(selection, jobs, Path(tmp) / "parallel")
        configurations = _configurations(Path(tmp) / "serial")
    print(f"\n== {title}: nox {' '.join(selection)}")
    print(
        f"{'cell':<40} {'session':>8} {'scenarios':>10} {'teardown':>9} {'overhead':>9} "
        f"{'floor':>7} {'cpu':>6}"
    )
    per_backend: dict[str, float] = defaultdict(float)
    slowest: dict[str, list[tuple[float, str]]] = defaultdict(list)
    overheads = []
    for name, configuration in configurations.items():
        session = sessions.get(f"matrix({name})")
        if session is None or configuration["status"] != "ran":
            print(
                f"{name:<40} {configuration['status']:>8}  (cpu {configuration['cpu'] or 0:.2f} s)"
            )
            continue
        overhead = session - configuration["scenarios"] - configuration["teardown"]
        overheads.append(overhead)
        per_backend[configuration["backend"]] += configuration["scenarios"]
        slowest[configuration["backend"]] += configuration["slowest"]
        print(
            f"{name:<40} {session:>7.2f}s {configuration['scenarios']:>9.2f}s "
            f"{configuration['teardown']:>8.2f}s {overhead:>8.2f}s {configuration['floor']:>6.2f}s "
            f"{configuration['cpu'] or 0:>5.2f}s  ({configuration['paused']:.2f} s paused, "
            f"{configuration['statements']} statements)"
        )
    if overheads:
        mean = sum(overheads) / len(overheads)
        print(f"overhead per cell that ran: mean {mean:.2f} s, max {max(overheads):.2f} s")
    print("scenario time per backend (slowest three):")
    for backend, seconds in per_backend.items():
        top = ", ".join(f"{sid} {s:.1f}s" for s, sid in sorted(slowest[backend], reverse=True)[:3])
        print(f"  {backend:<11} {seconds:6.1f} s   {top}")
    ratio = serial_wall / parallel_wall if parallel_wall else float("nan")
    print(
        f"wall: serial (-j 1) {serial_wall:.1f} s, parallel (-j {jobs or 'as nox'}) "
        f"{parallel_wall:.1f} s, ratio {ratio:.2f}"
    )
    print(f"cpu (user + system): serial {serial_cpu:.1f} s, parallel {parallel_cpu:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="also every cell (many minutes)")
    parser.add_argument("--jobs", help="nox -j for the parallel run (default: the noxfile's)")
    args = parser.parse_args(argv)
    print(f"bench: {os.cpu_count()} cores; environments reused (run the cells once before)")
    _report("default cells", ["-t", "default"], args.jobs)
    if args.full:
        _report("every cell", ["-s", "matrix"], args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
