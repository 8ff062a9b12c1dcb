"""The matrix works only inside its own namespace, removes it, and never shows a password."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, event, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.pool import NullPool

import models
from sqla_matrix import namespaces
from sqla_matrix.backends import BACKENDS
from sqla_matrix.runner import BackendRun
from sqla_matrix.scenario import Context
from tests.conftest import adhoc_scenario, run_matrix, server_url

#: The shared servers, and MySQL (MATRIX_MYSQL_URL, or a container: conftest.mysql_server).
SERVERS = ["postgresql", "mariadb", "mysql"]


def namespaces_of(engine: Engine) -> set[str]:
    """Schemas (PostgreSQL) or databases (MySQL/MariaDB) on the server."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            return set(conn.scalars(text("SELECT schema_name FROM information_schema.schemata")))
        return set(conn.scalars(text("SHOW DATABASES")))


@contextmanager
def users_table_with_a_row(engine: Engine) -> Iterator[list[tuple[object, ...]]]:
    """A ``users`` table with a row in the server's default schema/database.

    An existing table is only read (its rows are the snapshot); a table this
    test creates is dropped afterwards.
    """
    created = not inspect(engine).has_table("users")
    if created:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(50))"))
            conn.execute(text("INSERT INTO users (id, name) VALUES (1, 'belongs to someone else')"))
    try:
        with engine.connect() as conn:
            yield [tuple(row) for row in conn.execute(text("SELECT * FROM users ORDER BY 1"))]
    finally:
        if created:
            with engine.begin() as conn:
                conn.execute(text("DROP TABLE users"))


@pytest.mark.parametrize("admin_engine", SERVERS, indirect=True)
def test_a_full_run_leaves_the_servers_own_users_table_and_namespaces_untouched(
    admin_engine: Engine, tmp_path: Path
) -> None:
    backend = admin_engine.dialect.name
    url = server_url(backend)
    with users_table_with_a_row(admin_engine) as rows_before:
        before = namespaces_of(admin_engine)
        run = run_matrix(backend, tmp_path, {BACKENDS[backend].url_variable: url})

        assert run.returncode == 0, run.output
        assert run.results is not None
        assert run.results["configurations"][backend]["status"] == "ran"
        with admin_engine.connect() as conn:
            assert [
                tuple(row) for row in conn.execute(text("SELECT * FROM users ORDER BY 1"))
            ] == rows_before
        assert namespaces_of(admin_engine) == before
        assert run.results["configurations"][backend]["namespace"].startswith("matrix_")


def test_a_password_in_the_url_reaches_no_output(tmp_path: Path) -> None:
    # Trust authentication on the test server ignores the password.
    url = make_url(server_url("postgresql")).set(password="pw-must-not-leak-91c2")
    rendered = url.render_as_string(hide_password=False)
    run = run_matrix("postgresql", tmp_path, {"MATRIX_POSTGRESQL_URL": rendered})

    assert run.returncode == 0, run.output
    assert "pw-must-not-leak-91c2" not in run.output
    assert "pw-must-not-leak-91c2" not in run.results_text
    assert ":***@" in run.results_text


def _failing(ctx: Context) -> dict[str, object]:
    with ctx.engine.begin() as conn:
        conn.execute(text("CREATE TABLE left_behind (id INTEGER PRIMARY KEY)"))
    raise RuntimeError("the scenario broke half way")


FAILING = adhoc_scenario(_failing)


@pytest.mark.parametrize("admin_engine", SERVERS, indirect=True)
def test_a_scenario_that_fails_half_way_is_an_error_and_its_namespace_is_still_dropped(
    admin_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = admin_engine.dialect.name
    monkeypatch.setenv(BACKENDS[backend].url_variable, server_url(backend))
    before = namespaces_of(admin_engine)
    run = BackendRun(BACKENDS[backend])
    run.start()
    try:
        assert run.namespace is not None and run.namespace.name in namespaces_of(admin_engine)
        cell = run.run(FAILING)
    finally:
        run.finish()

    assert cell["status"] == "error"
    assert cell["error"] == "RuntimeError: the scenario broke half way"
    assert namespaces_of(admin_engine) == before


def test_sqlite_works_in_a_temporary_file_that_is_removed() -> None:
    run = BackendRun(BACKENDS["sqlite"])
    run.start()
    assert run.namespace is not None
    database = Path(str(run.namespace.engine.url.database))
    assert database.exists()
    run.finish()
    assert not database.parent.exists()


@pytest.mark.parametrize("admin_engine", SERVERS, indirect=True)
def test_clean_removes_only_marked_namespaces_whose_run_has_ended(admin_engine: Engine) -> None:
    """``nox -s clean`` goes by the marker inside a namespace, never by its name, and
    leaves a namespace whose run is still going (its process alive on this host)."""
    backend = BACKENDS[admin_engine.dialect.name]
    url = admin_engine.url.render_as_string(hide_password=False)
    unmarked, ended, going = (f"matrix_{name}_{uuid.uuid4().hex[:6]}" for name in "ueg")
    kind, quote = ("schema", '"') if backend.name == "postgresql" else ("database", "`")
    with admin_engine.begin() as conn:
        for name in (unmarked, ended, going):
            conn.execute(text(f"CREATE {kind} {quote}{name}{quote}"))
    try:
        for name, pid in ((ended, "999999999"), (going, str(os.getpid()))):
            engine = create_engine(_inside(admin_engine, name), poolclass=NullPool)
            namespaces.mark(engine)
            with engine.begin() as conn:
                conn.execute(text(f"UPDATE {namespaces.MARKER_TABLE} SET pid = '{pid}'"))
            engine.dispose()
        lines = namespaces.clean(backend.name, environ={backend.url_variable: url})
        assert [line for line in lines if line.startswith("removed")] == [
            line for line in lines if f" {ended} " in line
        ]
        assert any(line.startswith(f"kept {kind} {going}:") for line in lines)
        assert ended not in namespaces_of(admin_engine)
        assert {unmarked, going} <= namespaces_of(admin_engine)
    finally:
        cascade = " CASCADE" if backend.name == "postgresql" else ""
        left = namespaces_of(admin_engine)
        with admin_engine.begin() as conn:
            for name in {unmarked, ended, going} & left:
                conn.execute(text(f"DROP {kind} {quote}{name}{quote}{cascade}"))


def _inside(engine: Engine, name: str) -> str:
    """The admin URL, confined to the namespace ``name``."""
    url = engine.url
    if engine.dialect.name == "postgresql":
        url = url.update_query_dict({"options": f"-csearch_path={name}"})
    else:
        url = url.set(database=name)
    return url.render_as_string(hide_password=False)


def _adds_a_user(ctx: Context) -> dict[str, object]:
    session = ctx.session()
    session.add(models.User(name="left by the previous scenario?"))
    session.commit()
    return {}


def _adds_a_user_async(ctx: Context) -> dict[str, object]:
    async def main(engine: AsyncEngine) -> None:
        async with AsyncSession(engine) as session:
            session.add(models.User(name="left by an async scenario?"))
            await session.commit()

    ctx.run_async(main)
    return {}


def _counts_users(ctx: Context) -> dict[str, object]:
    with ctx.engine.connect() as conn:
        return {"users": conn.scalar(select(func.count()).select_from(models.User))}


def _names_no_shared_table(ctx: Context) -> dict[str, object]:
    with ctx.engine.connect() as conn:
        return {"one": conn.scalar(text("SELECT 1"))}


def test_each_scenario_finds_the_shared_tables_empty() -> None:
    """After a scenario whose statements named a shared table (users, posts, profiles),
    through the sync engine or the async one, the harness deletes their rows; after one
    whose statements named none, it issues nothing."""
    run = BackendRun(BACKENDS["sqlite"], metadata=models.Base.metadata)
    run.start()
    assert run.namespace is not None
    housekeeping: list[str] = []

    @event.listens_for(run.namespace.engine, "before_cursor_execute")
    def _seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.startswith("DELETE FROM"):
            housekeeping.append(statement)

    try:
        for writes in (adhoc_scenario(_adds_a_user), adhoc_scenario(_adds_a_user_async)):
            assert run.run(writes)["status"] == "pass"
            assert len(housekeeping) == len(models.Base.metadata.tables)
            assert run.run(adhoc_scenario(_counts_users))["observed"] == {"users": 0}
            housekeeping.clear()
        assert run.run(adhoc_scenario(_names_no_shared_table))["observed"] == {"one": 1}
        assert housekeeping == []
    finally:
        run.finish()
