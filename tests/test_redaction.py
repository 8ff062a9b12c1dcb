"""No password reaches anything a run writes or prints.

One run through nox with a password in every server's URL: PostgreSQL and MariaDB
(private servers, started here, with a user that needs its password), and MySQL in
a container the matrix starts itself (``MATRIX_CONTAINER_PASSWORD``, its own). Then
the report against a baseline (diff.txt) and a fan-out cell (its nox.log). Every
file under the run's report folder, and everything printed, is searched for each
password.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from sqla_matrix.backends.containers import docker_unavailable
from sqla_matrix.nox import turned_off
from tests.conftest import ROOT
from tests.private_servers import private_server

PASSWORDS = {
    "postgresql": "pg-pw-never-shown-4d1e",
    "mariadb": "maria-pw-never-shown-7b2c",
    "container": "mysql-pw-never-shown-a9f0",
}
CELLS = ["sqlite-pysqlite", "postgresql-psycopg", "mysql-pymysql", "mariadb-pymysql"]


def _with_password(
    url: str, password: str, username: str | None = None, database: str | None = None
) -> str:
    changed = make_url(url).set(password=password, username=username, database=database)
    return changed.render_as_string(hide_password=False)


def _nox(*arguments: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "nox", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    return done.stdout + done.stderr


@pytest.mark.skipif(docker_unavailable() is not None, reason="no Docker engine is reachable")
def test_no_password_appears_in_any_file_or_output_of_a_run(tmp_path: Path) -> None:
    if turned_off("mysql", None):
        pytest.skip("no MySQL: turned off on purpose (MATRIX_OFF)")
    image = os.environ.get("MATRIX_MYSQL_IMAGE", "sqla-matrix/mysql:9.7")
    with private_server("postgresql") as pg, private_server("mariadb") as maria:
        admin = create_engine(maria.url, poolclass=NullPool)
        with admin.begin() as conn:  # a user that must give its password, on the private server
            conn.execute(text(f"CREATE USER 'matrix'@'%' IDENTIFIED BY '{PASSWORDS['mariadb']}'"))
            conn.execute(text("GRANT ALL ON *.* TO 'matrix'@'%'"))
            conn.execute(text("CREATE DATABASE test"))
        admin.dispose()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MATRIX_")},
            "MATRIX_REPORT_DIR": str(tmp_path / "report"),
            "MATRIX_POSTGRESQL_URL": _with_password(pg.url, PASSWORDS["postgresql"]),
            "MATRIX_MARIADB_URL": _with_password(
                maria.url, PASSWORDS["mariadb"], username="matrix", database="test"
            ),
            "MATRIX_MYSQL_IMAGE": image,
            "MATRIX_CONTAINER_PASSWORD": PASSWORDS["container"],
            "MATRIX_REQUIRE": "sqlite,postgresql,mysql,mariadb",
        }
        printed = _nox("-t", *(f"sqla21-{cell}" for cell in CELLS), env=env)
        baseline = tmp_path / "baseline.json"
        baseline.write_bytes((tmp_path / "report" / "results.json").read_bytes())
        printed += _nox("-s", "report", "--", f"--baseline={baseline}", env=env)
        fanout = ["-s", "fanout", "--", "-t", "sqla21-mariadb-pymysql", "--out"]
        printed += _nox(*fanout, str(tmp_path / "report" / "fanout"), env=env)
    written = sorted(path for path in (tmp_path / "report").rglob("*") if path.is_file())
    names = {path.name for path in written}
    assert {"report.md", "report.html", "results.json", "diff.txt", "nox.log"} <= names
    assert any(path.suffix == ".xml" for path in written)  # the JUnit files
    configurations = (tmp_path / "report" / "results.json").read_text()
    for cell in CELLS:  # each configuration ran, so each password was used
        assert f'"sqla21-{cell}"' in configurations
    assert printed.count("matrix: sqla21-") >= len(CELLS), printed[-3000:]
    assert " ran on " in printed and "FAILED" not in printed, printed[-3000:]
    for name, password in PASSWORDS.items():
        assert password not in printed, f"the {name} password was printed"
        for path in written:
            assert password not in path.read_text(errors="replace"), f"{name}: {path}"
