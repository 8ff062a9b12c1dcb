"""Bad input gets one line naming what is wrong and what to do; other backends go on."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_matrix, server_url


def test_an_unknown_backend_is_a_usage_error_naming_the_known_ones(tmp_path: Path) -> None:
    run = run_matrix("oracle", tmp_path)
    assert run.returncode == pytest.ExitCode.USAGE_ERROR
    assert (
        "unknown backend 'oracle': choose one of sqlite, postgresql, mysql, mariadb" in run.output
    )
    assert "Traceback" not in run.output


def test_an_unknown_name_in_matrix_require_is_a_usage_error(tmp_path: Path) -> None:
    run = run_matrix("sqlite", tmp_path, {"MATRIX_REQUIRE": "sqlite,postgres"})
    assert run.returncode == pytest.ExitCode.USAGE_ERROR
    assert "MATRIX_REQUIRE names unknown backend 'postgres'" in run.output


def test_an_absent_server_is_not_run_with_its_reason_and_remedy(tmp_path: Path) -> None:
    run = run_matrix("mysql", tmp_path)
    assert run.returncode == 0, run.output
    assert run.results is not None
    mysql = run.results["backends"]["mysql"]
    assert mysql["status"] == "not run"
    assert mysql["reason"] == "MATRIX_MYSQL_URL is not set and no Docker engine is reachable"
    assert mysql["remedy"].startswith("set MATRIX_MYSQL_URL=mysql+pymysql://")
    cells = [s["cells"]["mysql"] for s in run.results["scenarios"].values()]
    assert cells and all(cell["status"] == "not run" for cell in cells)


def test_a_required_backend_that_is_absent_fails_the_run(tmp_path: Path) -> None:
    run = run_matrix("mysql", tmp_path, {"MATRIX_REQUIRE": "mysql"})
    assert run.returncode == pytest.ExitCode.TESTS_FAILED
    assert run.results is not None
    assert run.results["backends"]["mysql"]["status"] == "failed"
    assert "matrix: mysql FAILED: required by MATRIX_REQUIRE but not available" in run.output


@pytest.mark.parametrize(
    ("url", "line"),
    [
        (
            "not a url",
            "MATRIX_POSTGRESQL_URL is not a database URL; expected the form "
            "postgresql+psycopg://user:password@host:port/database",
        ),
        (
            "mysql://root@127.0.0.1/test",
            "MATRIX_POSTGRESQL_URL names the dialect 'mysql'; it must be a postgresql URL",
        ),
        (
            "postgresql+nosuchdriver://u@127.0.0.1/db",
            "MATRIX_POSTGRESQL_URL: SQLAlchemy has no driver 'postgresql+nosuchdriver'",
        ),
        (
            "postgresql+pg8000://u@127.0.0.1/db",
            "MATRIX_POSTGRESQL_URL: the driver for 'postgresql+pg8000' is not installed",
        ),
        (
            "postgresql://u:hunter2-secret@127.0.0.1:1/db",
            "postgresql: cannot use postgresql+psycopg://u:***@127.0.0.1:1/db "
            "(from MATRIX_POSTGRESQL_URL): OperationalError: connection failed",
        ),
    ],
    ids=["malformed", "wrong-dialect", "unknown-driver", "driver-not-installed", "unreachable"],
)
def test_an_unusable_url_fails_its_backend_with_one_line(
    tmp_path: Path, url: str, line: str
) -> None:
    run = run_matrix("postgresql", tmp_path, {"MATRIX_POSTGRESQL_URL": url})
    assert run.returncode == pytest.ExitCode.TESTS_FAILED
    assert run.results is not None
    backend = run.results["backends"]["postgresql"]
    assert backend["status"] == "failed"
    assert backend["reason"].startswith(line)
    assert f"matrix: postgresql FAILED: {line}" in run.output
    assert "Traceback" not in run.output
    assert "hunter2-secret" not in run.output + run.results_text


def test_a_mysql_url_that_points_at_mariadb_is_refused(tmp_path: Path) -> None:
    url = server_url("mariadb").replace("mariadb+", "mysql+", 1)
    run = run_matrix("mysql", tmp_path, {"MATRIX_MYSQL_URL": url})
    assert run.returncode == pytest.ExitCode.TESTS_FAILED
    assert run.results is not None
    assert run.results["backends"]["mysql"]["reason"] == (
        "mysql: MATRIX_MYSQL_URL points at a MariaDB server; "
        "point it at MySQL, or give this server as MATRIX_MARIADB_URL"
    )
