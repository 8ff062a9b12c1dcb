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
    mysql = run.results["configurations"]["mysql"]
    assert mysql["status"] == "not run"
    assert mysql["reason"] == "MATRIX_MYSQL_URL is not set and no Docker engine is reachable"
    assert mysql["remedy"].startswith("set MATRIX_MYSQL_URL=mysql+pymysql://")
    cells = [s["cells"]["mysql"] for s in run.results["scenarios"].values()]
    assert cells and all(cell["status"] == "not run" for cell in cells)


def test_a_required_backend_that_is_absent_fails_the_run(tmp_path: Path) -> None:
    run = run_matrix("mysql", tmp_path, {"MATRIX_REQUIRE": "mysql"})
    assert run.returncode == pytest.ExitCode.TESTS_FAILED
    assert run.results is not None
    assert run.results["configurations"]["mysql"]["status"] == "failed"
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
            "MATRIX_POSTGRESQL_URL names an unknown driver 'nosuchdriver' for postgresql: "
            "choose one of psycopg, psycopg2, pg8000",
        ),
        (
            "postgresql://u:hunter2-secret@127.0.0.1:1/db",
            "postgresql: cannot use postgresql+psycopg://u:***@127.0.0.1:1/db "
            "(from MATRIX_POSTGRESQL_URL): OperationalError: connection failed",
        ),
    ],
    ids=["malformed", "wrong-dialect", "unknown-driver", "unreachable"],
)
def test_an_unusable_url_fails_its_backend_with_one_line(
    tmp_path: Path, url: str, line: str
) -> None:
    run = run_matrix("postgresql", tmp_path, {"MATRIX_POSTGRESQL_URL": url})
    assert run.returncode == pytest.ExitCode.TESTS_FAILED
    assert run.results is not None
    backend = run.results["configurations"]["postgresql"]
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
    assert run.results["configurations"]["mysql"]["reason"] == (
        "mysql: MATRIX_MYSQL_URL points at a MariaDB server; "
        "point it at MySQL, or give this server as MATRIX_MARIADB_URL"
    )


def test_a_driver_that_is_not_installed_fails_its_column_with_one_line(tmp_path: Path) -> None:
    # The tests' environment has every driver that installs from a wheel, not
    # MariaDB Connector/Python (it compiles against the client headers).
    env = {"MATRIX_MARIADB_URL": "mariadb+mariadbconnector://root@127.0.0.1:1/test"}
    run = run_matrix("mariadb", tmp_path, env)
    assert run.returncode == pytest.ExitCode.TESTS_FAILED
    assert run.results is not None
    assert run.results["configurations"]["mariadb"]["reason"].startswith(
        "MATRIX_MARIADB_URL: the driver for 'mariadb+mariadbconnector' is not installed"
    )
    assert "Traceback" not in run.output


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ("--matrix-driver=mysqlclient",),
            "unknown driver 'mysqlclient' for mysql: "
            "choose one of pymysql, mysqldb, mysqlconnector",
        ),
        (
            ("--matrix-server=5.7",),
            "unknown mysql server version '5.7': choose one of 8.0, 8.4, 9.7",
        ),
    ],
    ids=["driver", "server-version"],
)
def test_an_unknown_driver_or_server_version_is_a_usage_error_naming_the_known_ones(
    tmp_path: Path, args: tuple[str, ...], line: str
) -> None:
    run = run_matrix("mysql", tmp_path, None, *args)
    assert run.returncode == pytest.ExitCode.USAGE_ERROR
    assert line in run.output
    assert "Traceback" not in run.output


def test_a_column_that_asks_for_a_server_version_refuses_another_one(tmp_path: Path) -> None:
    # The server behind the URL is PostgreSQL 15 (or whatever the machine has):
    # a configuration for PostgreSQL 13 must not quietly report it as 13.
    url = server_url("postgresql")
    run = run_matrix(
        "postgresql", tmp_path, {"MATRIX_POSTGRESQL_13_URL": url}, "--matrix-server=13"
    )
    assert run.returncode == pytest.ExitCode.TESTS_FAILED, run.output
    assert run.results is not None
    reason = run.results["configurations"]["postgresql"]["reason"]
    assert reason.startswith("postgresql13: MATRIX_POSTGRESQL_13_URL reached postgresql ")
    assert reason.endswith(", not 13; point it at a 13 server")
