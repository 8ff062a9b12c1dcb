"""The matrix fanned out: one process (a CI job or one here) per configuration, one report.

    python -m sqla_matrix.fanout plan [NOX SELECTION]    # the configurations, as a job matrix
    python -m sqla_matrix.fanout run --out DIR [--jobs N] [NOX SELECTION]   # the same, here
    python -m sqla_matrix.fanout combine --plan PLAN.json --configurations DIR --out report
    python -m sqla_matrix.fanout report --plan PLAN.json --configurations DIR --out report \
        [--baseline OLD.json] [--fail-on-change] [--summary $GITHUB_STEP_SUMMARY]

The configurations come from ``nox -l --json`` with the selection given (``-t axes``,
``-s matrix``...), the pattern of nox's own documentation for GitHub
Actions. ``plan`` adds to each configuration what its CI job needs: the official
image of its server at the configuration's version, run as a service container, and
the URL variable pointing at it. Each configuration's job writes its own results file;
``combine`` builds one report from all of them, and a planned configuration whose job
left no results file (the server never became ready, nox failed) becomes a
*failed* configuration saying so, beside the configurations that ran. ``run`` does here
what the workflow does on GitHub: every configuration in its own nox process, its own
report folder, at most ``--jobs`` at once, then ``combine``. ``report`` is the
workflow's report job: ``combine``, compared with the last scheduled run's
results when there is one, the report appended to the job summary; it exits 1
only for a behaviour change under ``--fail-on-change`` (a failed configuration is in
the report, and its own job has failed already), 2 for bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqla_matrix import results
from sqla_matrix.backends import BACKENDS
from sqla_matrix.backends.server import ServerBackend
from sqla_matrix.errors import MatrixError
from sqla_matrix.report import summary
from sqla_matrix.report.build import write

#: The password of every service container in CI (a throwaway server, never a secret).
#: Not a word: every password is redacted wherever it appears, and "matrix" (its value
#: before) turned "sqla-matrix/results" in each configuration's results file into
#: "sqla-***/results".
SERVICE_PASSWORD = "ci-not-a-secret-52e1"
#: What each server backend's service container needs in CI: port and health check.
SERVICES = {
    "postgresql": ("5432", '--health-cmd "pg_isready -U postgres"'),
    "mysql": (
        "3306",
        f'--health-cmd "mysqladmin ping -h 127.0.0.1 -uroot -p{SERVICE_PASSWORD}"',
    ),
    "mariadb": ("3306", '--health-cmd "healthcheck.sh --connect --innodb_initialized"'),
}
HEALTH_TIMING = "--health-interval 5s --health-timeout 5s --health-retries 30"


def sessions(selection: list[str]) -> list[dict[str, Any]]:
    """The configurations' sessions nox lists for ``selection`` (e.g. ``["-t", "axes"]``)."""
    command = [sys.executable, "-m", "nox", "-l", "--json", *selection]
    listed = subprocess.run(command, capture_output=True, text=True, check=False)
    if listed.returncode != 0:
        raise MatrixError(f"nox -l --json {' '.join(selection)} failed: {listed.stderr.strip()}")
    sessions = json.loads(listed.stdout or "[]")
    return [entry for entry in sessions if entry["name"] == "matrix"]


def job(entry: dict[str, Any]) -> dict[str, str]:
    """One configuration as a CI job: its nox session and its server as a service container."""
    spec = entry["call_spec"]
    backend, server = spec["backend"], spec["server"]
    planned = {
        "configuration": entry["session"].removeprefix("matrix(").removesuffix(")"),
        "session": entry["session"],
        "backend": backend,
        "server": server or "",
        "driver": spec["driver"],
        "image": "",
        "port": "",
        "health": "",
        "url_variable": "",
        "url": "",
    }
    definition = BACKENDS[backend]
    if isinstance(definition, ServerBackend):
        port, health = SERVICES[backend]
        user = "postgres" if backend == "postgresql" else "root"
        planned.update(
            image=definition.images({}, server)[-1],  # the official image at that version
            port=port,
            health=f"{health} {HEALTH_TIMING}",
            url_variable=definition.variable("URL", server),
            url=f"{definition.dialects[0]}://{user}:{SERVICE_PASSWORD}@127.0.0.1:{port}/matrix",
        )
    return planned


def plan(selection: list[str]) -> dict[str, list[dict[str, str]]]:
    """The GitHub Actions ``strategy.matrix`` for the selected configurations."""
    return {"include": [job(entry) for entry in sessions(selection)]}


def missing(planned: dict[str, str], reason: str, scenario_ids: list[str]) -> results.Results:
    """A results document for a configuration whose job wrote none: failed, each of its
    cells not run."""
    document = results.absent_configuration(
        planned["configuration"],
        planned["backend"],
        planned["server"] or None,
        planned["driver"],
        results.FAILED,
        reason,
    )
    for scenario_id in scenario_ids:
        cell = {**results.EMPTY_CELL, "status": results.NOT_RUN, "reason": reason}
        document["scenarios"][scenario_id] = {"cells": {planned["configuration"]: cell}}
    return document


def read_plan(path: Path) -> list[dict[str, str]]:
    """The planned configurations: the workflow's plan.json (``plan``'s ``{"include": [...]}``),
    or the list ``run`` writes."""
    planned = json.loads(path.read_text())
    if isinstance(planned, dict):
        planned = planned.get("include")
    if not isinstance(planned, list) or not all(
        isinstance(p, dict) and "configuration" in p for p in planned
    ):
        raise MatrixError(f"{path}: not a plan (python -m sqla_matrix.fanout plan writes one)")
    return planned


def combine(planned: list[dict[str, str]], folder: Path) -> results.Results:
    """Every configuration's results found under ``folder``, and a failed configuration per
    planned configuration that has none."""
    found = [results.load(path) for path in sorted(folder.rglob("results/*.json"))]
    merged = results.merge(found)
    scenario_ids = list(merged["scenarios"])
    absent = [p for p in planned if p["configuration"] not in merged["configurations"]]
    reason = "its job left no results file (the server never became ready, or nox failed)"
    return results.merge(
        [merged, *(missing(p, f"{reason}; see its log", scenario_ids) for p in absent)]
    )


def run(selection: list[str], out: Path, jobs: int) -> list[str]:
    """Each selected configuration in its own nox process and report folder
    (``out/configurations/<id>``), at most ``jobs`` at once; one line per configuration."""
    planned = plan(selection)["include"]
    (out / "plan.json").parent.mkdir(parents=True, exist_ok=True)
    (out / "plan.json").write_text(json.dumps(planned, indent=1))

    def one(configuration: dict[str, str]) -> str:
        folder = out / "configurations" / configuration["configuration"]
        folder.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "MATRIX_REPORT_DIR": str(folder)}
        env.pop("MATRIX_INVOCATION", None)
        start = time.perf_counter()
        with (folder / "nox.log").open("w") as log:
            done = subprocess.run(
                [sys.executable, "-m", "nox", "-s", configuration["session"]],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=False,
            )
        seconds = time.perf_counter() - start
        return f"{configuration['configuration']}: nox exited {done.returncode} in {seconds:.1f} s"

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, planned))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sqla_matrix.fanout", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("plan", help="the selected configurations as a GitHub Actions matrix")
    runner = commands.add_parser(
        "run", help="every selected configuration in its own process, then combine"
    )
    runner.add_argument("--out", type=Path, default=Path("report/fanout"))
    runner.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    joiner = commands.add_parser("combine", help="one report from every configuration's results")
    job = commands.add_parser("report", help="the CI report job: combine, compare, summary")
    job.add_argument("--summary", type=Path, help="append report.md here (the job summary)")
    for command in (joiner, job):
        command.add_argument("--plan", type=Path, required=True)
        # --cells: its name before results schema 5
        command.add_argument("--configurations", "--cells", type=Path, required=True)
        command.add_argument("--out", type=Path, default=Path("report"))
    for command in (runner, joiner, job):
        command.add_argument("--baseline", type=Path, help="an earlier results.json")
        command.add_argument("--fail-on-change", action="store_true", help="exit 1 if it differs")
    args, selection = parser.parse_known_args(argv)
    try:
        if args.command == "plan":
            print(json.dumps(plan(selection), separators=(",", ":")))
            return 0
        if args.command == "run":
            for line in run(selection, args.out, args.jobs):
                print(f"fanout: {line}")
            args.plan, args.configurations = args.out / "plan.json", args.out / "configurations"
        merged = combine(read_plan(args.plan), args.configurations)
        baseline = results.load(args.baseline) if args.baseline else None
    except (MatrixError, OSError, json.JSONDecodeError) as error:
        print(f"fanout: {error}", file=sys.stderr)
        return 2
    changes = write(merged, args.out, baseline)
    if args.command == "report" and args.summary is not None:
        with args.summary.open("a") as job_summary:
            job_summary.write((args.out / "report.md").read_text())
    print(summary.render(merged))
    configurations = merged["configurations"]
    failed = [
        name
        for name, configuration in configurations.items()
        if configuration["status"] == results.FAILED
    ]
    print(
        f"fanout: {len(configurations)} configurations combined into {args.out}; "
        f"failed: {len(failed)}"
    )
    if changes is not None:
        print(f"fanout: changes since {args.baseline}: {len(changes.lines()) or 'none'}")
        if args.fail_on_change and changes.behaviour_changed:
            return 1
    if args.command == "report":
        return 0  # a failed configuration is in the report; its own job has failed already
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
