"""Ctrl-C or SIGTERM in the middle of a column: it is still torn down and recorded.

A terminal's Ctrl-C reaches nox and the cell's pytest at once, and nox waits
``TEARDOWN_SECONDS`` before it sends SIGTERM; a CI runner that cancels a job
sends SIGINT, then SIGTERM. Either signal stops the scenarios; the namespace
is dropped, every selected scenario has a cell (the ones not reached say
"interrupted"), and the run exits non-zero. Only namespaces the run made
itself are looked at on the shared servers.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from sqla_matrix import backends
from tests.conftest import finished_run, server_url, start_matrix
from tests.test_isolation import SERVERS, namespaces_of


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("admin_engine", SERVERS, indirect=True)
def test_an_interrupted_column_drops_its_namespace_and_records_every_scenario(
    admin_engine: Engine, signum: signal.Signals, tmp_path: Path
) -> None:
    backend = admin_engine.dialect.name
    variable = backends.get(backend).url_variable
    before = namespaces_of(admin_engine)
    results = tmp_path / "results.json"
    proc = start_matrix(backend, results, {variable: server_url(backend)})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not namespaces_of(admin_engine) - before:
        time.sleep(0.05)
    assert namespaces_of(admin_engine) - before, "the run never made its namespace"
    time.sleep(1)  # into the scenarios
    proc.send_signal(signum)
    output, _ = proc.communicate(timeout=60)
    run = finished_run(proc.returncode, output, results)

    assert proc.returncode != 0, output
    assert namespaces_of(admin_engine) - before == set(), output
    assert run.results is not None, output
    column = run.results["columns"][backend]
    assert column["left_behind"] is None
    cells = [entry["cells"][backend] for entry in run.results["scenarios"].values()]
    observed = [cell for cell in cells if cell["status"] in ("pass", "mismatch")]
    interrupted = [cell for cell in cells if "interrupted" in (cell.get("reason") or "")]
    assert observed and interrupted, output
