"""What each backend declares it can do (sqla_matrix/capabilities.py), held against the
backend itself: each declared capability is tried on a real namespace of it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import pytest
from sqlalchemy import exc

from sqla_matrix import backends
from sqla_matrix.backends.sqlite import SQLite
from sqla_matrix.capabilities import Capabilities, per_backend
from sqla_matrix.errors import MatrixError
from sqla_matrix.scenario import Context
from tests.conftest import adhoc_scenario, run_alone, server_url


def _accepted(ctx: Context, sql: str) -> bool:
    with ctx.engine.connect() as conn:
        try:
            conn.exec_driver_sql(sql).close()
        except exc.DBAPIError:
            return False
        finally:
            conn.rollback()
    return True


def _tried(ctx: Context) -> dict[str, Any]:
    """Each capability, tried: the statements it stands for, accepted or refused."""
    requires = ctx.capabilities
    with ctx.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE caps (id INTEGER PRIMARY KEY, n INTEGER)")
        conn.exec_driver_sql("INSERT INTO caps (id, n) VALUES (1, 1)")
        clock = conn.exec_driver_sql(f"SELECT {requires.clock.transaction}").scalar_one()
        namespace = None
        if requires.catalog_namespace is not None:
            namespace = conn.exec_driver_sql(f"SELECT {requires.catalog_namespace}").scalar_one()
        pragma = None
        if requires.foreign_keys_by_pragma:
            pragma = conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one()
    tried = {
        "namespace": namespace,
        "foreign keys off until the pragma": pragma == 0 if pragma is not None else None,
        "alter_column": _accepted(ctx, "ALTER TABLE caps ALTER COLUMN n SET DEFAULT 2"),
        "row_locks": _accepted(ctx, "SELECT id FROM caps WHERE id = 1 FOR UPDATE"),
        "on_update_current_timestamp": _accepted(
            ctx,
            "CREATE TABLE caps_onupdate (id INTEGER PRIMARY KEY, "
            "t TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP)",
        ),
        "storage_engines": _accepted(ctx, "SELECT ENGINE FROM information_schema.TABLES LIMIT 1"),
        "insert_returning": _accepted(ctx, "INSERT INTO caps (id, n) VALUES (2, 2) RETURNING id"),
        "upsert": "on conflict"
        if _accepted(ctx, "INSERT INTO caps (id, n) VALUES (1, 3) ON CONFLICT (id) DO NOTHING")
        else "on duplicate key"
        if _accepted(ctx, "INSERT INTO caps (id, n) VALUES (1, 3) ON DUPLICATE KEY UPDATE n = 3")
        else None,
        "set_time_zone": requires.set_time_zone is not None
        and _accepted(ctx, requires.set_time_zone.format(zone=UTC[ctx.backend])),
        # microseconds, or SQLite's text with whole seconds (1 in a million reads .000000)
        "clock digits": 6 if isinstance(clock, datetime) and clock.microsecond else 0,
    }
    if requires.clock.wall is not None and requires.clock.sleep is not None:
        with ctx.engine.connect() as conn:
            sleep = requires.clock.sleep.format(seconds=0.05)
            row = conn.exec_driver_sql(
                f"SELECT {requires.clock.wall}, {sleep}, {requires.clock.wall}"
            ).one()
        tried["wall clock moves within a statement"] = row[0] != row[2]
    return tried


TRIED = adhoc_scenario(_tried)
#: Each server's name for UTC (PostgreSQL reads "+00:00" as a POSIX zone).
UTC = {"postgresql": "UTC", "mysql": "+00:00", "mariadb": "+00:00", "sqlite": ""}


def _declared(requires: Capabilities, namespace: str) -> dict[str, Any]:
    declared = {
        "namespace": namespace if requires.catalog_namespace else None,
        "foreign keys off until the pragma": True if requires.foreign_keys_by_pragma else None,
        "alter_column": requires.alter_column,
        "row_locks": requires.row_locks,
        "on_update_current_timestamp": requires.on_update_current_timestamp,
        "storage_engines": requires.storage_engines,
        "insert_returning": requires.insert_returning,
        "upsert": requires.upsert,
        "set_time_zone": requires.set_time_zone is not None,
        "clock digits": requires.clock.digits,
    }
    if requires.clock.wall is not None and requires.clock.sleep is not None:
        declared["wall clock moves within a statement"] = True
    return declared


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mariadb", "mysql"])
def test_each_declared_capability_is_what_the_backend_does(
    backend: str, request: pytest.FixtureRequest
) -> None:
    if backend == "mysql":
        request.getfixturevalue("mysql_server")
    if backend != "sqlite":
        server_url(backend)
    cell, run = run_alone(backend, TRIED)
    assert cell["status"] == "pass", cell["error"]
    assert run.namespace is None  # dropped again
    namespace = str(run.facts["namespace"])
    assert cell["observed"] == _declared(backends.get(backend).capabilities, namespace)


class Unfinished(SQLite):
    """A backend someone added without saying what it can do."""

    name = "unfinished"
    capabilities: ClassVar[Any] = None


def test_a_backend_without_capabilities_is_refused_when_registered() -> None:
    with pytest.raises(MatrixError, match=r"^backend 'unfinished' declares no capabilities"):
        backends.register(Unfinished())


def test_a_scenario_table_by_backend_names_known_backends_and_forgets_none() -> None:
    with pytest.raises(MatrixError, match="T: no such backend postgres; known: sqlite, postgresql"):
        per_backend("T", {"postgres": 1})
    with pytest.raises(MatrixError, match=r"^T: no entry for mariadb$"):
        per_backend("T", {"mysql": 1}, only=("mysql", "mariadb"))
    assert per_backend("T", {"mysql": 1, "mariadb": 2}, only=("mysql", "mariadb"))["mariadb"] == 2
