"""Every driver runs every scenario of its backend, and sees what the server said."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import exc

import models
from scenarios.one_to_many import orphan_post
from sqla_matrix import dberrors
from sqla_matrix.backends import BACKENDS
from sqla_matrix.runner import BackendRun
from tests.conftest import adhoc_scenario, run_matrix, server_url

#: The drivers of the tests' environment that are not their backend's default
#: (mysqldb and mariadbconnector compile; their cells run under nox).
OTHER_DRIVERS = [
    ("postgresql", "psycopg2"),
    ("postgresql", "pg8000"),
    ("mariadb", "mysqlconnector"),
]


@pytest.mark.parametrize(("backend", "driver"), OTHER_DRIVERS, ids=lambda v: str(v))
def test_a_column_through_another_driver_runs_every_scenario_without_an_error(
    tmp_path: Path, backend: str, driver: str
) -> None:
    url = server_url(backend)
    run = run_matrix(
        backend, tmp_path, {f"MATRIX_{backend.upper()}_URL": url}, f"--matrix-driver={driver}"
    )
    assert run.returncode == 0, run.output
    assert run.results is not None
    configuration = run.results["configurations"][backend]
    assert (configuration["status"], configuration["driver"]) == ("ran", driver)
    assert configuration["async_driver"] and configuration["async_driver_version"]
    cells = {sid: s["cells"][backend] for sid, s in run.results["scenarios"].items()}
    errors = {sid: cell["error"] for sid, cell in cells.items() if cell["status"] == "error"}
    assert not errors
    # Not run only where the scenario needs what the backend lacks, or names other backends.
    not_run = [sid for sid, cell in cells.items() if cell["status"] == "not run"]
    assert {cells[sid]["why_not_run"] for sid in not_run} <= {"not supported", "not observed here"}


@pytest.mark.parametrize("driver", ["psycopg", "psycopg2", "pg8000"])
def test_a_foreign_key_violation_is_rejected_on_every_postgresql_driver(driver: str) -> None:
    # pg8000 raises ProgrammingError where psycopg raises IntegrityError; the
    # server's SQLSTATE (23503) is what the scenario classifies by.
    server_url("postgresql")
    run = BackendRun(BACKENDS["postgresql"], driver=driver, metadata=models.Base.metadata)
    run.start()
    try:
        cell = run.run(adhoc_scenario(orphan_post))
    finally:
        run.finish()
    assert cell["status"] == "pass", cell["error"]
    assert cell["observed"]["orphan post, default settings"] == "rejected"
    assert cell["observed"]["error"] == "SQLSTATE 23503"


def test_an_error_that_is_no_constraint_violation_is_raised_again() -> None:
    error = exc.OperationalError("SELECT 1", {}, ConnectionError("server closed the connection"))
    assert not dberrors.is_constraint_violation(error)
    with pytest.raises(exc.OperationalError):
        dberrors.refusal(error)
