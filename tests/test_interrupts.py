"""Ctrl-C or SIGTERM in the middle of a configuration: it is still torn down and recorded.

A terminal's Ctrl-C reaches nox and the cell's pytest at once, and nox waits
``TEARDOWN_SECONDS`` before it sends SIGTERM; a CI runner that cancels a job
sends SIGINT, then SIGTERM. Either signal stops the scenarios; the namespace
is dropped, every selected scenario has a cell (the ones not reached say
"interrupted"), and the run exits non-zero. Only namespaces the run made
itself are looked at on the shared servers.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from sqla_matrix import backends
from sqla_matrix.backends.containers import docker_unavailable
from sqla_matrix.nox import turned_off
from tests.conftest import (
    LEFT_OUT,
    NO_DOCKER,
    all_scenarios,
    finished_run,
    server_url,
    start_matrix,
    start_signalable,
    wait_for_an_observed_scenario,
)
from tests.test_isolation import SERVERS, namespaces_of

#: The scenarios of a cell (every one but the cost curves): each gets a cell.
SELECTED = sum(not set(LEFT_OUT) & set(entry.tags) for entry in all_scenarios())


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("admin_engine", SERVERS, indirect=True)
def test_an_interrupted_column_drops_its_namespace_and_records_every_scenario(
    admin_engine: Engine, signum: signal.Signals, tmp_path: Path
) -> None:
    backend = admin_engine.dialect.name
    variable = backends.get(backend).url_variable
    before = namespaces_of(admin_engine)
    results, progress = tmp_path / "results.json", tmp_path / "progress"
    env = {variable: server_url(backend), "MATRIX_PROGRESS": str(progress)}
    proc = start_matrix(backend, results, env)
    wait_for_an_observed_scenario(progress, proc)
    assert namespaces_of(admin_engine) - before, "the run never made its namespace"
    proc.send_signal(signum)
    output, _ = proc.communicate(timeout=60)
    run = finished_run(proc.returncode, output, results)

    assert proc.returncode != 0, output
    assert namespaces_of(admin_engine) - before == set(), output
    assert run.results is not None, output
    configuration = run.results["configurations"][backend]
    assert configuration["left_behind"] is None
    cells = [entry["cells"][backend] for entry in run.results["scenarios"].values()]
    observed = [cell for cell in cells if cell["status"] in ("pass", "mismatch")]
    interrupted = [cell for cell in cells if "interrupted" in (cell.get("reason") or "")]
    assert observed and interrupted, output


# -- through nox, as a user's Ctrl-C or a CI runner's cancel reaches it -------------------

#: A cell, where its server comes from, and the signals sent to its nox process (the
#: second one 0.3 s after the first).
THROUGH_NOX = [
    ("sqla21-postgresql-psycopg", "embedded", [signal.SIGINT]),
    ("sqla21-postgresql-psycopg", "embedded", [signal.SIGTERM]),
    ("sqla21-postgresql-psycopg", "embedded", [signal.SIGTERM, signal.SIGTERM]),
    ("sqla21-mariadb10.11-pymysql", "container", [signal.SIGTERM]),
    ("sqla21-mysql9.7-pymysql", "container", [signal.SIGINT]),
]


def _containers() -> set[str]:
    listed = subprocess.run(["docker", "ps", "-q"], capture_output=True, text=True)
    return set(listed.stdout.split())


def _embedded_servers() -> set[str]:
    """The embedded PostgreSQL servers running now (their data folders)."""
    found = set()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"pginstall/bin/postgres") and b"-D" in argv:
            found.add(argv[argv.index(b"-D") + 1].decode())
    return found


def _left(before: tuple[set[str], set[str], set[str]]) -> list[str]:
    containers, servers, folders = before
    embedded = set(map(str, Path(tempfile.gettempdir()).glob("sqla-matrix-embedded-*")))
    return [
        *(f"container {c}" for c in _containers() - containers),
        *(f"embedded server {s}" for s in _embedded_servers() - servers),
        *(f"folder {f}" for f in embedded - folders),
    ]


@pytest.mark.parametrize(
    ("cell", "server", "signals"),
    THROUGH_NOX,
    ids=[f"{c}-{'-'.join(s.name for s in signals)}" for c, _, signals in THROUGH_NOX],
)
def test_a_signal_to_nox_tears_the_cell_down_and_writes_its_results(
    cell: str, server: str, signals: list[signal.Signals], tmp_path: Path
) -> None:
    """Sent to the nox process of a real cell once it has observed a scenario: nothing is
    left (container, embedded server, its folder), and the results are written, with
    the scenarios not reached marked interrupted. nox forwards the signal to the cell;
    after SIGTERM it exits at once, and the cell finishes its teardown on its own."""
    if server == "container" and docker_unavailable() is not None:
        pytest.skip("no Docker engine is reachable")
    if cell.split("-")[1].startswith("mysql") and turned_off("mysql", None):
        pytest.skip("no MySQL: turned off on purpose (MATRIX_OFF)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATRIX_")}
    env.update(MATRIX_REPORT_DIR=str(tmp_path / "report"), MATRIX_PROGRESS=str(tmp_path / "p"))
    if server == "embedded":
        env.update(NO_DOCKER)
    before = (
        _containers(),  # others may run (conftest.mysql_server): only new ones count
        _embedded_servers(),
        set(map(str, Path(tempfile.gettempdir()).glob("sqla-matrix-embedded-*"))),
    )
    proc = start_signalable([sys.executable, "-m", "nox", "-s", f"matrix({cell})"], env)
    try:
        wait_for_an_observed_scenario(tmp_path / "p", proc)
        for number, signum in enumerate(signals):
            time.sleep(0.3 if number else 0)
            proc.send_signal(signum)
        output, _ = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    results = tmp_path / "report" / "results" / f"{cell}.json"
    deadline = time.monotonic() + 90  # the cell may still be tearing down after nox exited
    while time.monotonic() < deadline and (_left(before) or not results.exists()):
        time.sleep(0.2)
    assert proc.returncode != 0, output
    assert _left(before) == [], output
    assert results.exists(), output
    document = json.loads(results.read_text())
    cells = [entry["cells"][cell] for entry in document["scenarios"].values()]
    assert len(cells) == SELECTED
    assert any(c["status"] == "pass" for c in cells)
    assert any("interrupted" in (c.get("reason") or "") for c in cells), output
