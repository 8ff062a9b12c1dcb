"""A server that dies or stops answering mid-run: no lost cell, no traceback, no
namespace left behind unreported.

Each test starts its own private server (tests/private_servers.py), runs one
cell of the matrix against it, and kills (SIGKILL) or pauses (SIGSTOP) every
process of that server by PID at a chosen point of the run: before it, when
the namespace is being made, or after a number of the run's statements (a
full run sends about 6,000 statements to PostgreSQL and 1,600 to MariaDB).
Then each test checks what a user would: every selected scenario has a cell, the
configuration is *failed* with one line, the exit status, and — with the server
back — that every namespace the run left is the one it named, and that
``nox -s clean`` (python -m sqla_matrix.namespaces) removes it. A lock held by
another session is the other kind of stall: the server's own lock timeout
ends that scenario alone.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from sqla_matrix import backends
from sqla_matrix.scenario import Context
from tests.conftest import (
    LEFT_OUT,
    ROOT,
    MatrixRun,
    adhoc_scenario,
    all_scenarios,
    finished_run,
    matrix_command,
    mysql_container,
    run_alone,
    server_url,
    start_matrix,
    wait_for_an_observed_scenario,
)
from tests.private_servers import PrivateServer, private_server

SELECTED = sum(not set(LEFT_OUT) & set(entry.tags) for entry in all_scenarios())

#: Where the server is killed: a statement pattern, or a count of statements.
KILL_POINTS: dict[str, dict[str, dict[str, Any]]] = {
    "postgresql": {
        "namespace being made": {"pattern": r"CREATE SCHEMA"},
        "a quarter in": {"count": 1500},
        "half way": {"count": 3000},
        "near the end": {"count": 5400},
    },
    "mariadb": {
        "namespace being made": {"pattern": r"CREATE DATABASE"},
        "a quarter in": {"count": 400},
        "half way": {"count": 800},
        "near the end": {"count": 1450},
    },
}
POINTS = [(backend, point) for backend, points in KILL_POINTS.items() for point in points]


def _run_with_fault(
    server: PrivateServer, tmp_path: Path, *, env: dict[str, str] | None = None
) -> tuple[MatrixRun, float]:
    """One cell on ``server`` (required), and the seconds it took after the first fault."""
    variable = backends.get(server.backend).url_variable
    results = tmp_path / "results.json"
    environ = {variable: server.url, "MATRIX_REQUIRE": server.backend, **(env or {})}
    command, environ = matrix_command(server.backend, results, environ)
    proc = subprocess.Popen(
        command, cwd=ROOT, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output, _ = proc.communicate(timeout=300)
    ended = time.monotonic()
    faulted_at = server.fault_times[0] if server.fault_times else ended
    return finished_run(proc.returncode, output, results), ended - faulted_at


def _figures(backend: str, fault: str, run: MatrixRun, left: list[str], after: float) -> None:
    """One line for the record (pytest -s shows it): what the fault cost."""
    recorded = len(run.results["scenarios"]) if run.results else 0
    print(
        f"\nfault {backend}, {fault}: cells recorded {recorded}/{SELECTED}, namespaces left "
        f"{len(left)} (each named), run ended {after:.1f} s after the fault"
    )


def _check_the_run(run: MatrixRun, backend: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """What must hold after any fault: every cell, failed in one line, non-zero exit.
    Returns the configuration and the cells by scenario id."""
    assert run.results is not None, run.output
    (configuration,) = run.results["configurations"].values()
    cells = {key: entry["cells"][backend] for key, entry in run.results["scenarios"].items()}
    assert len(cells) == SELECTED
    assert configuration["status"] == "failed"
    assert "\n" not in configuration["reason"]
    assert run.returncode != 0
    assert "Traceback" not in run.output, run.output
    assert f"matrix: {backend} FAILED: " in run.output
    return configuration, cells


def _check_leftovers_are_named_and_cleaned(
    server: PrivateServer, run: MatrixRun, configuration: dict[str, Any]
) -> None:
    left = server.leftovers()
    for name in left:  # a namespace left behind is one the run told the user about
        assert configuration["left_behind"] is not None and name in configuration["left_behind"]
        assert f"remove it with: nox -s clean -- {server.backend}" in run.output
    cleaned = server.clean()
    assert cleaned.returncode == 0, cleaned.stderr
    assert all(f" {name} " in cleaned.stdout for name in left)
    assert server.leftovers() == []


@pytest.mark.parametrize("backend", list(KILL_POINTS))
def test_a_server_down_before_the_run_fails_the_column_and_every_cell_says_not_run(
    backend: str, tmp_path: Path
) -> None:
    with private_server(backend) as server:
        server.signal(signal.SIGKILL)
        run, _ = _run_with_fault(server, tmp_path)
        configuration, cells = _check_the_run(run, backend)
        assert "cannot use" in configuration["reason"]
        assert {cell["status"] for cell in cells.values()} == {"not run"}


@pytest.mark.parametrize(("backend", "point"), POINTS)
def test_a_server_killed_mid_run_leaves_every_cell_recorded_and_its_namespace_named(
    backend: str, point: str, tmp_path: Path
) -> None:
    with private_server(backend) as server:
        server.at_statement(signal.SIGKILL, **KILL_POINTS[backend][point])
        run, after = _run_with_fault(server, tmp_path)
        assert server.killed == ["SIGKILL"], "the kill point was never reached"
        configuration, cells = _check_the_run(run, backend)
        lost = re.match(r"server lost during (\S+): ", configuration["reason"])
        if point == "namespace being made":  # the configuration never started
            assert lost is None
        else:
            assert lost is not None, configuration["reason"]
            order = list(cells)
            for scenario_id in order[order.index(lost[1]) + 1 :]:
                cell = cells[scenario_id]
                assert cell == {**cell, "status": "not run", "reason": lost[0].rstrip(": ")}
        server.start()  # back up, as after a crash: recovery, then connections
        left = server.leftovers()
        _figures(backend, f"SIGKILL {point}", run, left, after)
        _check_leftovers_are_named_and_cleaned(server, run, configuration)


@pytest.mark.parametrize("backend", list(KILL_POINTS))
def test_a_paused_server_ends_the_run_within_the_scenario_timeout(
    backend: str, tmp_path: Path
) -> None:
    timeout = 3
    with private_server(backend) as server:
        server.at_statement(signal.SIGSTOP, **KILL_POINTS[backend]["half way"])
        run, after = _run_with_fault(
            server, tmp_path, env={"MATRIX_SCENARIO_TIMEOUT": str(timeout)}
        )
        assert server.killed == ["SIGSTOP"], "the pause point was never reached"
        configuration, _ = _check_the_run(run, backend)
        assert "the server stopped answering" in configuration["reason"]
        assert f"no answer within {timeout} s" in configuration["reason"]
        assert after < timeout + 30  # the scenario's deadline, then no further waiting
        server.signal(signal.SIGCONT)
        _figures(backend, "SIGSTOP half way", run, server.leftovers(), after)
        _check_leftovers_are_named_and_cleaned(server, run, configuration)


def test_a_mysql_server_killed_mid_run_fails_the_column_and_records_every_cell(
    tmp_path: Path,
) -> None:
    """MySQL in a container of its own: its server killed (``docker kill``: SIGKILL to
    mysqld) once the run has observed a scenario. Nothing is left to clean: the
    namespace went with the container."""
    with mysql_container() as (url, name):
        results, progress = tmp_path / "results.json", tmp_path / "progress"
        env = {"MATRIX_MYSQL_URL": url, "MATRIX_REQUIRE": "mysql"}
        env["MATRIX_PROGRESS"] = str(progress)
        proc = start_matrix("mysql", results, env)
        wait_for_an_observed_scenario(progress, proc)
        subprocess.run(["docker", "kill", name], capture_output=True, check=True)
        output, _ = proc.communicate(timeout=300)
    configuration, cells = _check_the_run(finished_run(proc.returncode, output, results), "mysql")
    assert re.match(r"server lost during \S+: ", configuration["reason"]), configuration["reason"]
    assert any(cell["status"] == "pass" for cell in cells.values())


def _blocked_by_another_session(ctx: Context) -> dict[str, Any]:
    """Another session holds a lock on ``users`` while this one reads it."""
    lock = (
        "LOCK TABLE users IN ACCESS EXCLUSIVE MODE"
        if ctx.backend == "postgresql"
        else "LOCK TABLES users WRITE"
    )
    with ctx.engine.connect() as holder, ctx.engine.connect() as reader:
        holder.exec_driver_sql(lock)
        started = time.monotonic()
        try:
            reader.exec_driver_sql("SELECT count(*) FROM users").scalar()
        finally:
            waited = time.monotonic() - started
            holder.rollback()
            if ctx.backend != "postgresql":
                holder.exec_driver_sql("UNLOCK TABLES")
    return {"waited": waited}


@pytest.mark.parametrize("backend", ["postgresql", "mariadb", "mysql"])
def test_a_lock_held_by_another_session_fails_that_scenario_alone_within_the_lock_bound(
    backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's own lock timeout (MATRIX_LOCK_TIMEOUT, here 2 s; 10 s by default)
    ends the wait: the scenario fails with the server's error, the configuration goes on."""
    if backend == "mysql":
        request.getfixturevalue("mysql_server")
    server_url(backend)  # skipped (or failed when required) without the server
    monkeypatch.setenv("MATRIX_LOCK_TIMEOUT", "2")
    cell, run = run_alone(backend, adhoc_scenario(_blocked_by_another_session))
    assert cell["status"] == "error"
    assert re.search(r"lock timeout|Lock wait timeout exceeded", cell["error"]), cell["error"]
    assert 1.9 <= cell["duration_s"] < 6, cell["duration_s"]
    assert run.status == "ran"  # the server answered: the configuration goes on


#: A statement that runs for longer than the bound: a sleep where it is interrupted with an
#: error, a cross join where a sleep would return 1 (MySQL's max_execution_time).
LONG_STATEMENTS = {
    "postgresql": "SELECT pg_sleep(20)",
    "mariadb": "SELECT SLEEP(20)",
    "mysql": "SELECT COUNT(*) FROM information_schema.columns a, information_schema.columns b,"
    " information_schema.columns c",
}


def _long_statement(ctx: Context) -> dict[str, Any]:
    with ctx.engine.connect() as conn:
        return {"result": str(conn.exec_driver_sql(LONG_STATEMENTS[ctx.backend]).scalar())}


@pytest.mark.parametrize("backend", ["postgresql", "mariadb", "mysql"])
def test_a_statement_longer_than_the_statement_bound_is_cancelled_by_the_server(
    backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's statement limit (statement_timeout, max_statement_time,
    max_execution_time: MATRIX_STATEMENT_TIMEOUT, here 2 s; 60 s by default) cancels
    it: that scenario fails with the server's error, the configuration goes on."""
    if backend == "mysql":
        request.getfixturevalue("mysql_server")
    server_url(backend)
    monkeypatch.setenv("MATRIX_STATEMENT_TIMEOUT", "2")
    cell, run = run_alone(backend, adhoc_scenario(_long_statement))
    assert cell["status"] == "error", cell["observed"]
    assert re.search(
        r"statement timeout|max_statement_time|maximum statement execution time",
        cell["error"],
    ), cell["error"]
    assert 1.9 <= cell["duration_s"] < 10, cell["duration_s"]
    assert run.status == "ran"


def test_a_bound_that_is_not_a_whole_number_of_seconds_is_one_line(tmp_path: Path) -> None:
    command, env = matrix_command(
        "sqlite", tmp_path / "results.json", {"MATRIX_STATEMENT_TIMEOUT": "1.5"}
    )
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    assert done.returncode == 4  # pytest's usage error
    assert "MATRIX_STATEMENT_TIMEOUT='1.5': give a whole number of seconds" in done.stderr
