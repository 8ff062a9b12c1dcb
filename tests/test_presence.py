"""What the nox process knows of a cell's server before installing anything
(sqla_matrix/presence.py): it answers only when it is sure."""

from __future__ import annotations

import pytest

from sqla_matrix.backends.containers import docker_unavailable
from sqla_matrix.presence import absent, docker_answers

NO_DOCKER = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}


def test_a_server_backend_without_url_or_docker_is_absent_with_the_cells_own_words() -> None:
    assert absent("mariadb", "10.11", NO_DOCKER) == (
        "MATRIX_MARIADB_10_11_URL is not set and no Docker engine is reachable",
        "set MATRIX_MARIADB_10_11_URL=mariadb+pymysql://user:password@host:port/database "
        "or start Docker",
    )


def test_a_url_sqlite_and_the_embedded_postgresql_are_never_absent() -> None:
    assert absent("mysql", None, {**NO_DOCKER, "MATRIX_MYSQL_URL": "mysql://x@h/db"}) is None
    assert absent("sqlite", None, NO_DOCKER) is None
    assert absent("postgresql", None, NO_DOCKER) is None
    assert absent("postgresql", "18", NO_DOCKER) is None
    # A version the embedded server does not run, or a named image, needs Docker.
    assert absent("postgresql", "15", NO_DOCKER) is not None
    assert absent("postgresql", None, {**NO_DOCKER, "MATRIX_POSTGRESQL_IMAGE": "pg:x"})


def test_an_endpoint_it_cannot_judge_is_left_to_the_cells_own_run() -> None:
    assert docker_answers({"DOCKER_HOST": "ssh://someone@far"}) is None
    assert docker_answers({"DOCKER_CONTEXT": "desktop-linux"}) is None
    assert docker_answers({"DOCKER_HOST": "tcp://127.0.0.1:1"}) is False


@pytest.mark.skipif(docker_unavailable() is not None, reason="no Docker engine is reachable")
def test_it_agrees_with_the_docker_client_where_an_engine_runs() -> None:
    assert docker_answers({}) is True
    assert absent("mysql", None, {}) is None
