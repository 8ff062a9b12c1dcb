"""What a server version accepts: RETURNING, row aliases, generated columns, settings.

Upgrading a server changes what its SQL accepts, and SQLAlchemy follows: the
MariaDB dialect turns INSERT..RETURNING on from 10.5, MySQL 8.0.19 adds a row
alias to ON DUPLICATE KEY UPDATE (and 8.0.20 deprecates VALUES()), PostgreSQL
18 adds virtual generated columns, MariaDB 10.10 turns
explicit_defaults_for_timestamp on. Each scenario observes, per column, what
SQLAlchemy decided for this server (the dialect's flags, the SQL it renders)
and what the server did with it (accepted, or its own error code). A setting
is changed in the session only, on a connection that is discarded afterwards.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Computed,
    Connection,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    delete,
    exc,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.schema import Column, Table

from scenarios._ddl import column_ddl, refused
from sqla_matrix.capabilities import per_backend
from sqla_matrix.requirements import MYSQL_TIMESTAMP_TYPES, ON_DUPLICATE_KEY
from sqla_matrix.scenario import ByBackend, Context, Doc, Observed, Unsupported, scenario

PG_RETURNING = "https://www.postgresql.org/docs/current/dml-returning.html"
SQLITE_RETURNING = "https://www.sqlite.org/lang_returning.html"
MARIADB_INSERT_RETURNING = "https://mariadb.com/kb/en/insertreturning/"
MARIADB_DELETE_RETURNING = "https://mariadb.com/kb/en/delete/"
#: MySQL's INSERT, UPDATE and DELETE grammar has no RETURNING clause.
MYSQL_INSERT = "https://dev.mysql.com/doc/refman/8.4/en/insert.html"
MYSQL_UPDATE = "https://dev.mysql.com/doc/refman/8.4/en/update.html"
MARIADB_UPDATE = "https://mariadb.com/kb/en/update/"
MYSQL_ROW_ALIAS = "https://dev.mysql.com/doc/refman/8.4/en/insert-on-duplicate.html"
MARIADB_ON_DUPLICATE = "https://mariadb.com/kb/en/insert-on-duplicate-key-update/"
PG_GENERATED = "https://www.postgresql.org/docs/current/ddl-generated-columns.html"
MYSQL_GENERATED = "https://dev.mysql.com/doc/refman/8.4/en/create-table-generated-columns.html"
MARIADB_GENERATED = "https://mariadb.com/kb/en/generated-columns/"
SQLITE_GENERATED = "https://www.sqlite.org/gencol.html"
MYSQL_EXPLICIT_DEFAULTS = (
    "https://dev.mysql.com/doc/refman/8.4/en/server-system-variables.html"
    "#sysvar_explicit_defaults_for_timestamp"
)
MARIADB_EXPLICIT_DEFAULTS = (
    "https://mariadb.com/kb/en/server-system-variables/#explicit_defaults_for_timestamp"
)
MYSQL_SQL_MODE = "https://dev.mysql.com/doc/refman/8.4/en/sql-mode.html#sqlmode_no_zero_date"

MY = ("mysql", "mariadb")


def _run(conn: Connection, statement: Any) -> str:
    """A statement's outcome: the rows it returned, or SQLAlchemy's or the server's refusal."""
    try:
        result = conn.execute(statement)
    except exc.CompileError as error:
        return f"not rendered: {type(error).__name__}"
    except exc.DBAPIError as error:
        return refused(error)
    return f"{len(result.all())} row(s) returned" if result.returns_rows else "accepted"


def _raw(conn: Connection, sql: str, *, warnings: bool = False) -> str:
    """The server's verdict on SQL that never went through SQLAlchemy's compiler, in a
    savepoint; with ``warnings``, the codes of the warnings it raised: ``accepted
    (warnings 1264)``. They are read right after the statement, inside the savepoint:
    MySQL's RELEASE SAVEPOINT clears them, MariaDB's keeps them, so read afterwards
    the same statement would seem to warn on one server only."""
    raised: list[str] = []
    try:
        with conn.begin_nested():
            conn.exec_driver_sql(sql)
            if warnings:
                raised = _warnings(conn)
    except exc.DBAPIError as error:
        return refused(error)
    return f"accepted (warnings {', '.join(raised)})" if raised else "accepted"


@scenario(
    "RETURNING on INSERT, UPDATE and DELETE: what SQLAlchemy renders for this server",
    tags=("returning", "server_versions"),
    expect={
        "insert().returning(): outcome": ByBackend(
            postgresql=Doc("1 row(s) returned", PG_RETURNING),
            sqlite=Doc("1 row(s) returned", SQLITE_RETURNING),
            mariadb=Doc("1 row(s) returned", MARIADB_INSERT_RETURNING),
            mysql=Unsupported("refused: MySQL 1064", "MySQL has no RETURNING", MYSQL_INSERT),
        ),
        "delete().returning(): outcome": ByBackend(
            postgresql=Doc("1 row(s) returned", PG_RETURNING),
            sqlite=Doc("1 row(s) returned", SQLITE_RETURNING),
            mariadb=Doc("1 row(s) returned", MARIADB_DELETE_RETURNING),
        ),
        "update().returning(): outcome": ByBackend(
            postgresql=Doc("1 row(s) returned", PG_RETURNING),
            sqlite=Doc("1 row(s) returned", SQLITE_RETURNING),
            mysql=Unsupported("refused: MySQL 1064", "MySQL has no RETURNING", MYSQL_UPDATE),
            # SQLAlchemy renders it although the dialect's update_returning is False.
            mariadb=Unsupported(
                "refused: MySQL 1064", "MariaDB has UPDATE without RETURNING", MARIADB_UPDATE
            ),
        ),
    },
)
def returning(ctx: Context) -> Observed:
    """SQLAlchemy decides from the server's version whether each DML statement may
    carry RETURNING (the dialect's insert_returning, update_returning,
    delete_returning) for its own use (eager defaults, bulk INSERT); an explicit
    .returning() is rendered whatever the flags say, and the server decides. The
    same RETURNING sent as plain SQL shows what the server itself takes."""
    metadata = MetaData()
    table = Table(
        "returned", metadata, Column("id", Integer, primary_key=True), Column("name", String(20))
    )
    ctx.create_tables(metadata)
    dialect = ctx.engine.dialect
    observed: Observed = {
        f"dialect.{flag}": getattr(dialect, flag)
        for flag in ("insert_returning", "update_returning", "delete_returning")
    }
    statements = {
        "insert()": insert(table).values(id=1, name="a").returning(table.c.id),
        "update()": update(table).where(table.c.id == 1).values(name="b").returning(table.c.id),
        "delete()": delete(table).where(table.c.id == 1).returning(table.c.id),
    }
    raw = {
        "INSERT": "INSERT INTO returned (id, name) VALUES (2, 'raw') RETURNING id",
        "UPDATE": "UPDATE returned SET name = 'raw2' WHERE id = 2 RETURNING id",
        "DELETE": "DELETE FROM returned WHERE id = 2 RETURNING id",
    }
    with ctx.engine.begin() as conn:
        for name, statement in statements.items():
            conn.execute(delete(table))  # row 1 for each, whatever the one before did
            if name != "insert()":
                conn.execute(insert(table).values(id=1, name="a"))
            observed[f"{name}.returning(): outcome"] = _run(conn, statement)
        conn.execute(delete(table))
        for name, sql in raw.items():
            observed[f"{name} ... RETURNING id, sent as plain SQL: outcome"] = _raw(conn, sql)
    return observed


@scenario(
    "ON DUPLICATE KEY UPDATE: VALUES() or MySQL's row alias, as SQLAlchemy renders it here",
    tags=("upsert", "server_versions"),
    requires=(ON_DUPLICATE_KEY,),
    expect={
        "INSERT ... AS new ON DUPLICATE KEY UPDATE name = new.name: outcome": ByBackend(
            mysql=Doc("accepted", MYSQL_ROW_ALIAS),
            mariadb=Unsupported(
                "refused: MySQL 1064", "MariaDB has no row alias", MARIADB_ON_DUPLICATE
            ),
        ),
    },
)
def on_duplicate_key(ctx: Context) -> Observed:
    """on_duplicate_key_update(name=stmt.inserted.name) as SQLAlchemy renders it for
    this server (the SQL and "inserted row as" rows say which): either VALUES(name),
    which MySQL deprecates since 8.0.20, or MySQL's row alias (AS new ... new.name),
    which SQLAlchemy's dialect chooses from MySQL 8.0.20 on; MariaDB has no row alias.
    The server's warnings right after the upsert say whether it deprecates what it
    was sent (1287), and the same row alias sent as plain SQL shows whether it takes one."""
    metadata = MetaData()
    table = Table(
        "upserted", metadata, Column("id", Integer, primary_key=True), Column("name", String(20))
    )
    ctx.create_tables(metadata)
    stmt = mysql.insert(table).values(id=1, name="b")
    upsert = stmt.on_duplicate_key_update(name=stmt.inserted.name)
    observed: Observed = {}
    with ctx.engine.begin() as conn:
        conn.execute(insert(table).values(id=1, name="a"))
        with ctx.counting() as seen:
            conn.execute(upsert)
        sql = seen[-1].sql  # the upsert's own SQL, read without another statement
        observed["on_duplicate_key_update(name=stmt.inserted.name): SQL"] = sql
        observed["on_duplicate_key_update(...): server warnings"] = _warnings(conn)
        observed["on_duplicate_key_update(...): the inserted row as"] = inserted_row_as(sql)
        alias = (
            "INSERT INTO upserted (id, name) VALUES (1, 'c') AS new "
            "ON DUPLICATE KEY UPDATE name = new.name"
        )
        key = "INSERT ... AS new ON DUPLICATE KEY UPDATE name = new.name"
        observed[f"{key}: outcome"] = _raw(conn, alias)
        observed["name after both"] = conn.execute(select(table.c.name)).scalar_one()
    return observed


def inserted_row_as(sql: str) -> str:
    """How an upsert's SQL names the inserted row's value: ``VALUES(name)`` or
    ``new.name`` (a row alias), read from the statement sent."""
    found = re.search(r"ON DUPLICATE KEY UPDATE \w+ = (.+)$", sql)
    return found.group(1) if found else f"not found in: {sql}"


def _warnings(conn: Connection) -> list[str]:
    """The server's warnings about the statement just before, ``1287`` and so on: call
    it next, before any other statement (a RELEASE SAVEPOINT or ROLLBACK TO SAVEPOINT
    among them) can reset the server's diagnostics."""
    return [f"{row[1]}" for row in conn.exec_driver_sql("SHOW WARNINGS")]


@scenario(
    "How the server reports a column default back (what Alembic's comparison reads)",
    tags=("ddl", "migrations", "server_versions"),
)
def reflected_defaults(ctx: Context) -> Observed:
    """Each server_default is created, then read back by SQLAlchemy's inspector,
    which reads the server's catalog (information_schema, pg_catalog, SQLite's
    table text). Alembic's compare_server_default compares these strings, so
    a server that spells its defaults differently after an upgrade shows here."""
    precise = DateTime().with_variant(mysql.DATETIME(fsp=3), *MY)
    spelled: dict[str, tuple[Any, Any]] = {
        "server_default=func.now()": (DateTime(), func.now()),
        'server_default=text("CURRENT_TIMESTAMP(3)") on 3 digits': (
            precise,
            text("CURRENT_TIMESTAMP(3)"),
        ),
        "server_default='x' on String(10)": (String(10), "x"),
        "server_default=text('0') on Integer": (Integer(), text("0")),
    }
    observed: Observed = {}
    for number, (label, (type_, default)) in enumerate(spelled.items()):
        metadata = MetaData()
        table = Table(
            f"reflected_{number}",
            metadata,
            Column("id", Integer, primary_key=True),
            Column("stamp", type_, server_default=default),
        )
        try:
            ctx.create_tables(metadata)
        except exc.DBAPIError as error:  # one table per default: a refusal hides no other
            observed[f"{label}: reflected default"] = f"not created: {refused(error)}"
            continue
        with ctx.engine.connect() as conn:
            (_, column) = inspect(conn).get_columns(table.name)
        observed[f"{label}: reflected default"] = column["default"]
    return observed


#: The expression a generated column derives its day from, per dialect.
DAY_OF = per_backend(
    "server_features.DAY_OF",
    {
        "postgresql": "CAST(created_at AS DATE)",
        "mysql": "CAST(created_at AS DATE)",
        "mariadb": "CAST(created_at AS DATE)",
        "sqlite": "date(created_at)",
    },
)


@scenario(
    "A generated column that derives a day from a timestamp: stored, virtual, or the default",
    tags=("ddl", "timestamps", "server_versions"),
    expect={
        "Computed(..., persisted=True): outcome": ByBackend(
            postgresql=Doc("accepted", PG_GENERATED),
            mysql=Doc("accepted", MYSQL_GENERATED),
            mariadb=Doc("accepted", MARIADB_GENERATED),
            sqlite=Doc("accepted", SQLITE_GENERATED),
        ),
    },
)
def generated_day(ctx: Context) -> Observed:
    """Computed(expression, persisted=True / False / None): the column line
    SQLAlchemy renders for this dialect, whether the server creates it, and the
    derived day after an INSERT and after an UPDATE of the timestamp."""
    observed: Observed = {}
    for persisted in (True, False, None):
        label = f"Computed(..., persisted={persisted})"
        metadata = MetaData()
        table = Table(
            f"generated_{str(persisted).lower()}",
            metadata,
            Column("id", Integer, primary_key=True),
            Column("created_at", DateTime()),
            Column("created_day", Date(), Computed(DAY_OF[ctx.backend], persisted=persisted)),
        )
        with ctx.counting() as ddl:
            try:
                ctx.create_tables(metadata)
            except exc.CompileError as error:
                observed[f"{label}: outcome"] = f"not rendered: {type(error).__name__}"
                continue
            except exc.DBAPIError as error:
                observed[f"{label}: DDL"] = column_ddl(ddl, "created_day")
                observed[f"{label}: outcome"] = refused(error)
                continue
        observed[f"{label}: DDL"] = column_ddl(ddl, "created_day")
        observed[f"{label}: outcome"] = "accepted"
        with ctx.engine.begin() as conn:
            conn.execute(insert(table).values(id=1, created_at=datetime(2024, 5, 6, 23, 0)))
            first = conn.execute(select(table.c.created_day)).scalar_one()
            conn.execute(update(table).values(created_at=datetime(2024, 5, 7, 1, 0)))
            second = conn.execute(select(table.c.created_day)).scalar_one()
        observed[f"{label}: day after INSERT, then after UPDATE"] = f"{first} → {second}"
    return observed


@scenario(
    "MySQL/MariaDB settings: explicit_defaults_for_timestamp, NO_ZERO_DATE, strict mode",
    tags=("timestamps", "ddl", "server_versions"),
    requires=(MYSQL_TIMESTAMP_TYPES,),
    expect={
        "TIMESTAMP NOT NULL, no default, explicit_defaults_for_timestamp=OFF: DDL": ByBackend(
            mysql=Doc(
                "ts timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP",
                MYSQL_EXPLICIT_DEFAULTS,
            ),
        ),
    },
)
def timestamp_settings(ctx: Context) -> Observed:
    """The server's own values of the settings, then each changed in the session:
    explicit_defaults_for_timestamp OFF gives the first TIMESTAMP NOT NULL column
    DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP (the server's DDL, from
    SHOW CREATE TABLE); a zero date '0000-00-00' into DATETIME with and without
    NO_ZERO_DATE and STRICT_TRANS_TABLES in sql_mode."""
    observed: Observed = {}
    with ctx.engine.connect() as conn:
        for variable in ("explicit_defaults_for_timestamp", "sql_mode"):
            value = conn.exec_driver_sql(f"SELECT @@GLOBAL.{variable}").scalar_one()
            observed[f"server's {variable}"] = str(value)
        for setting in ("ON", "OFF"):
            key = f"TIMESTAMP NOT NULL, no default, explicit_defaults_for_timestamp={setting}"
            outcome = _raw(conn, f"SET SESSION explicit_defaults_for_timestamp = {setting}")
            if outcome != "accepted":
                observed[f"{key}: DDL"] = f"SET {outcome}"
                continue
            table = f"stamped_{setting.lower()}"
            conn.exec_driver_sql(
                f"CREATE TABLE {table} (id INT PRIMARY KEY, ts TIMESTAMP NOT NULL)"
            )
            create = conn.exec_driver_sql(f"SHOW CREATE TABLE {table}").one()[1]
            conn.exec_driver_sql(f"DROP TABLE {table}")
            line = next(part.strip() for part in create.splitlines() if "`ts`" in part)
            observed[f"{key}: DDL"] = line.rstrip(",").replace("`", "")
        conn.exec_driver_sql("CREATE TABLE zero_dates (id INT PRIMARY KEY, at DATETIME)")
        for number, mode in enumerate(("", "NO_ZERO_DATE", "STRICT_TRANS_TABLES,NO_ZERO_DATE")):
            conn.exec_driver_sql(f"SET SESSION sql_mode = '{mode}'")
            sql = f"INSERT INTO zero_dates VALUES ({number}, '0000-00-00 00:00:00')"
            observed[f"'0000-00-00' into DATETIME, sql_mode='{mode}'"] = _raw(
                conn, sql, warnings=True
            )
        conn.exec_driver_sql("DROP TABLE zero_dates")
        conn.commit()
        conn.invalidate()  # its session settings leave with it, never back to the pool
    return observed
