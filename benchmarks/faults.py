"""A fault sweep: private servers killed or paused at seeded random points of a run.

    nox -s faults [-- --runs 30 --seed 1 --out report/faults.json]

Each run starts a private server (PostgreSQL and MariaDB in turn, from the machine's
own binaries: tests/private_servers.py), runs one matrix cell against it, and sends
SIGKILL or SIGSTOP (chosen by the run's seed) to every process of the server when
the N-th statement reaches it (N drawn from the run's seed, up to about a whole
run's statements). Then, with the server back (restarted, or continued), it checks
what a user relies on: every selected scenario has a cell; a faulted configuration is
*failed* with one line; the run exits non-zero; and ``nox -s clean`` leaves no
namespace of the matrix behind. Each run's seed, fault, point and outcome go to
``--out`` (one JSON object per line); a summary is printed. A run whose point is
past its last statement finishes unfaulted, and must then pass and leave nothing.

Figures, not a test: it exits 1 when a run broke one of the rules above.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqla_matrix import backends
from tests.conftest import ROOT, all_scenarios, matrix_command
from tests.private_servers import private_server

#: About how many statements a whole run sends (tests/test_faults.py measured them).
STATEMENTS = {"postgresql": 6000, "mariadb": 1600}
FAULTS = (signal.SIGKILL, signal.SIGSTOP)
#: Seconds a paused server gets before the run gives it up (a scenario's deadline).
PAUSE_DEADLINE = 3
SELECTED = sum("cost" not in entry.tags for entry in all_scenarios())


def one(seed: int, backend: str, folder: Path) -> dict[str, Any]:
    """One run with one fault at the point the seed picks: what happened, and what broke."""
    rng = random.Random(seed)
    fault, point = rng.choice(FAULTS), rng.randint(1, STATEMENTS[backend])
    outcome: dict[str, Any] = {"seed": seed, "backend": backend, "fault": fault.name}
    outcome["at_statement"] = point
    results = folder / f"{seed}.json"
    with private_server(backend) as server:
        server.at_statement(fault, count=point)
        environ = {backends.get(backend).url_variable: server.url, "MATRIX_REQUIRE": backend}
        environ["MATRIX_SCENARIO_TIMEOUT"] = str(PAUSE_DEADLINE)
        command, environ = matrix_command(backend, results, environ)
        started = time.monotonic()
        done = subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True)
        outcome["seconds"] = round(time.monotonic() - started, 1)
        faulted = bool(server.killed)
        if fault == signal.SIGKILL and faulted:
            server.start()  # back up, as after a crash
        elif faulted:
            server.signal(signal.SIGCONT)
        document = json.loads(results.read_text()) if results.exists() else None
        left = server.leftovers()
        cleaned = server.clean()
        after_clean = server.leftovers()
    configuration = next(iter(document["configurations"].values())) if document else {}
    outcome.update(
        faulted=faulted,
        exit=done.returncode,
        status=configuration.get("status"),
        reason=configuration.get("reason"),
        cells=len(document["scenarios"]) if document else 0,
        left_before_clean=len(left),
        left_after_clean=len(after_clean),
    )
    problems = []
    if document is None:
        problems.append("no results file")
    elif outcome["cells"] != SELECTED:
        problems.append(f"{outcome['cells']} of {SELECTED} cells")
    if faulted and (
        configuration.get("status") != "failed" or "\n" in (configuration.get("reason") or "")
    ):
        problems.append(
            f"faulted configuration is {configuration.get('status')!r}, not failed in one line"
        )
    if faulted and done.returncode == 0:
        problems.append("a faulted run exited 0")
    if not faulted and (done.returncode != 0 or configuration.get("status") != "ran"):
        problems.append("an unfaulted run did not pass")
    if "Traceback" in done.stdout + done.stderr:
        problems.append("a traceback was printed")
    if after_clean or cleaned.returncode != 0:
        problems.append(f"left after nox -s clean: {after_clean} ({cleaned.stderr.strip()})")
    outcome["problems"] = problems
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nox -s faults --", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1, help="the first run's seed")
    parser.add_argument("--out", type=Path, default=Path("report/faults.json"))
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    folder = args.out.parent / "faults"
    folder.mkdir(exist_ok=True)
    outcomes = []
    with args.out.open("w") as out:
        for number in range(args.runs):
            seed, backend = args.seed + number, list(STATEMENTS)[number % len(STATEMENTS)]
            outcome = one(seed, backend, folder)
            outcomes.append(outcome)
            out.write(json.dumps(outcome) + "\n")
            out.flush()
            mark = "ok" if not outcome["problems"] else "; ".join(outcome["problems"])
            print(
                f"faults: seed {seed} {backend} {outcome['fault']} at statement "
                f"{outcome['at_statement']}: {outcome['status']}, {outcome['cells']} cells, "
                f"{outcome['left_before_clean']} left before clean, {outcome['seconds']} s: {mark}"
            )
    faulted = Counter((o["backend"], o["fault"]) for o in outcomes if o["faulted"])
    broken = [o for o in outcomes if o["problems"]]
    print(f"faults: {len(outcomes)} runs, {sum(faulted.values())} faulted: {dict(faulted)}")
    print(
        f"faults: cells recorded {min(o['cells'] for o in outcomes)}-"
        f"{max(o['cells'] for o in outcomes)} of {SELECTED}; namespaces left before clean "
        f"{sum(o['left_before_clean'] for o in outcomes)}, after clean "
        f"{sum(o['left_after_clean'] for o in outcomes)}; runs that broke a rule: {len(broken)}"
    )
    print(f"faults: seeds and outcomes in {args.out}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
