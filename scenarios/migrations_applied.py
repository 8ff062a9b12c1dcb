"""Migrations applied for real: Alembic operations on a live table that holds rows.

The seed notes say a new relationship() needs no migration; a new timestamp
column does. Here Alembic's operations run against a table with two rows,
as a migration script would run them: ``op.add_column`` with
``server_default=func.now()``, with ``text(...)`` and with a literal, and
``op.alter_column(server_default=...)``, including MySQL's ``... ON UPDATE
CURRENT_TIMESTAMP``. SQLite's ALTER TABLE cannot change a column's default, so
there the same change goes through ``batch_alter_table`` (a copy of the table).
Observed per operation: the DDL Alembic emitted, whether the server took it,
what the existing rows got, and what autogenerate reports afterwards (nothing,
once the models and the live table agree).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Connection, DateTime, Integer, MetaData, String, exc, func, text
from sqlalchemy.schema import Column, Table

from scenarios._ddl import refused
from scenarios.no_migration import autogenerate_lines
from sqla_matrix.scenario import ByBackend, Context, Doc, Observed, Unsupported, scenario

ADD_COLUMN = (
    "https://alembic.sqlalchemy.org/en/latest/ops.html#alembic.operations.Operations.add_column"
)
BATCH = "https://alembic.sqlalchemy.org/en/latest/batch.html"
SQLITE_ALTER = "https://www.sqlite.org/lang_altertable.html"
PG_ADD_COLUMN = "https://www.postgresql.org/docs/current/sql-altertable.html"
MYSQL_ADD_COLUMN = "https://dev.mysql.com/doc/refman/8.4/en/alter-table.html"
MARIADB_ALTER = "https://mariadb.com/kb/en/alter-table/"

#: name -> the server_default of the column added, as a migration would write it
ADDED: dict[str, Any] = {
    "server_default=func.now()": func.now(),
    'server_default=text("CURRENT_TIMESTAMP")': text("CURRENT_TIMESTAMP"),
    'server_default="2024-01-01 00:00:00"': "2024-01-01 00:00:00",
}
#: Existing rows get the default: PostgreSQL, MySQL and MariaDB fill a new column's
#: existing rows from its DEFAULT; SQLite refuses a non-constant default on ADD COLUMN.
ROWS_FILLED = ByBackend(
    postgresql=Doc("both rows", PG_ADD_COLUMN),
    mysql=Doc("both rows", MYSQL_ADD_COLUMN),
    mariadb=Doc("both rows", MARIADB_ALTER),
    sqlite=Unsupported(
        "refused: SQLITE_ERROR",
        "ALTER TABLE ADD COLUMN takes no expression default (CURRENT_TIMESTAMP is one)",
        SQLITE_ALTER,
    ),
)


def _table(metadata: MetaData, *extra: Column[Any]) -> Table:
    return Table(
        "migrated",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(20)),
        *extra,
    )


def _run(conn: Connection, migrate: Callable[[Operations], None]) -> str:
    """Run one migration step in a transaction of its own (MySQL and MariaDB commit
    DDL at once; no savepoint survives it): accepted, or the refusal."""
    context = MigrationContext.configure(conn)
    operations = Operations(context)
    try:
        with conn.begin():
            migrate(operations)
    except exc.DBAPIError as error:
        return refused(error)
    except NotImplementedError as error:
        return f"not possible: {error}"
    return "accepted"


def _rows_with(conn: Connection, column: str) -> str:
    values = conn.execute(text(f"SELECT {column} FROM migrated ORDER BY id")).scalars().all()
    filled = [v for v in values if v is not None]
    return "both rows" if len(filled) == 2 else "no row" if not filled else "one row"


@scenario(
    "Alembic on a table with rows: add_column and alter_column with server defaults",
    tags=("migrations", "defaults", "timestamps"),
    expect={
        **{f"op.add_column({name}): existing rows get it": ROWS_FILLED for name in ADDED},
        'op.add_column(server_default="2024-01-01 00:00:00"): existing rows get it': ByBackend(
            postgresql=Doc("both rows", PG_ADD_COLUMN),
            mysql=Doc("both rows", MYSQL_ADD_COLUMN),
            mariadb=Doc("both rows", MARIADB_ALTER),
            sqlite=Doc("both rows", SQLITE_ALTER),
        ),
        "autogenerate after the migration, compare_server_default=True": Doc([], ADD_COLUMN),
        "alter_column(server_default=func.now()) (batch_alter_table): outcome": ByBackend(
            sqlite=Doc("accepted", BATCH)
        ),
    },
)
def add_and_alter_columns(ctx: Context) -> Observed:
    """Each add_column on its own copy of a two-row table; then alter_column moves a
    column's default to func.now() (batch_alter_table on SQLite), and on MySQL and
    MariaDB to CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP; then autogenerate
    compares the final models with the live table."""
    observed: Observed = {}
    for name, default in ADDED.items():
        with ctx.engine.connect() as conn:
            conn.execute(text("DROP TABLE IF EXISTS migrated"))
            _table(MetaData()).create(conn)
            conn.execute(text("INSERT INTO migrated (id, name) VALUES (1, 'a'), (2, 'b')"))
            conn.commit()
            added = Column("stamp", DateTime(), server_default=default)

            def add(op: Operations, added: Column[Any] = added) -> None:
                op.add_column("migrated", added)

            with ctx.counting() as seen:
                outcome = _run(conn, add)
            conn.commit()
            observed[f"op.add_column({name}): DDL"] = next(
                (s.sql for s in seen if s.sql.upper().startswith("ALTER")), "(none)"
            )
            observed[f"op.add_column({name}): outcome"] = outcome
            if outcome == "accepted":
                observed[f"op.add_column({name}): existing rows get it"] = _rows_with(conn, "stamp")
            else:
                observed[f"op.add_column({name}): existing rows get it"] = outcome
    with ctx.engine.connect() as conn:
        conn.execute(text("DROP TABLE IF EXISTS migrated"))
        _table(
            MetaData(), Column("stamp", DateTime(), server_default="2024-01-01 00:00:00")
        ).create(conn)
        conn.commit()
        batch = not ctx.capabilities.alter_column

        def alter(op: Operations) -> None:
            if batch:
                with op.batch_alter_table("migrated") as table:
                    table.alter_column("stamp", server_default=func.now())
            else:
                op.alter_column("migrated", "stamp", server_default=func.now())

        label = "batch_alter_table" if batch else "op.alter_column"
        with ctx.counting() as seen:
            observed[f"alter_column(server_default=func.now()) ({label}): outcome"] = _run(
                conn, alter
            )
        conn.commit()
        observed[f"alter_column(server_default=func.now()) ({label}): DDL"] = [
            s.sql for s in seen if s.sql.upper().startswith(("ALTER", "CREATE TABLE _ALEMBIC"))
        ][:2]
        final = MetaData()
        _table(final, Column("stamp", DateTime(), server_default=func.now()))
        if ctx.capabilities.on_update_current_timestamp:
            on_update = text("CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP")
            with ctx.counting() as seen:
                observed[
                    "alter_column(server_default=... ON UPDATE CURRENT_TIMESTAMP): outcome"
                ] = _run(
                    conn,
                    lambda op: op.alter_column(
                        "migrated",
                        "stamp",
                        server_default=on_update,
                        existing_type=DateTime(),
                    ),
                )
            conn.commit()
            observed["alter_column(server_default=... ON UPDATE CURRENT_TIMESTAMP): DDL"] = next(
                (s.sql for s in seen if s.sql.upper().startswith("ALTER")), "(none)"
            )
            final = MetaData()
            _table(final, Column("stamp", DateTime(), server_default=on_update))
        observed["autogenerate after the migration, compare_server_default=True"] = (
            autogenerate_lines(conn, final, compare_server_default=True)
        )
        conn.execute(text("DROP TABLE IF EXISTS migrated"))
        conn.commit()
    return observed
