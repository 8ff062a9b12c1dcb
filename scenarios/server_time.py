"""Server time against client time: ``func.now()``, ``server_default`` and ``default``.

The seed notes: compute timestamps in the database, not the client (network
latency, clock drift, languages computing time differently);
``func.now()`` and ``func.current_timestamp()`` are aliases; prefer
``server_default`` to ``default`` so that ad hoc SQL still gets the value.
Each claim below is turned into observations on every backend.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any

import time_machine
from sqlalchemy import Connection, DateTime, Integer, MetaData, String, func, insert, select, text
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.schema import Column, Table

from scenarios._ddl import column_ddl
from scenarios._orm_fetch import after_flush
from scenarios._zones import set_zone
from sqla_matrix.capabilities import per_backend
from sqla_matrix.requirements import SESSION_TIME_ZONE
from sqla_matrix.scenario import ByBackend, Context, Doc, Observed, scenario

SA_NOW = "https://docs.sqlalchemy.org/en/20/core/functions.html#sqlalchemy.sql.functions.now"
DEFAULTS = "https://docs.sqlalchemy.org/en/20/core/defaults.html"
SERVER_DEFAULT = f"{DEFAULTS}#server-invoked-ddl-explicit-default-expressions"
SCALAR_DEFAULT = f"{DEFAULTS}#python-executed-functions"
ORM_FETCH = "https://docs.sqlalchemy.org/en/20/orm/persistence_techniques.html#orm-server-defaults"
PG_CURRENT = (
    "https://www.postgresql.org/docs/current/functions-datetime.html#FUNCTIONS-DATETIME-CURRENT"
)
PG_TIMEZONES = "https://www.postgresql.org/docs/current/datatype-datetime.html#DATATYPE-TIMEZONES"
MYSQL_NOW = "https://dev.mysql.com/doc/refman/8.4/en/date-and-time-functions.html#function_now"
MYSQL_SYSDATE = (
    "https://dev.mysql.com/doc/refman/8.4/en/date-and-time-functions.html#function_sysdate"
)
MYSQL_TIMESTAMP = "https://dev.mysql.com/doc/refman/8.4/en/datetime.html"
MYSQL_FSP = "https://dev.mysql.com/doc/refman/8.4/en/fractional-seconds.html"
MARIADB_NOW = "https://mariadb.com/kb/en/now/"
MARIADB_SYSDATE = "https://mariadb.com/kb/en/sysdate/"
MARIADB_TIMESTAMP = "https://mariadb.com/kb/en/timestamp/"
MARIADB_FSP = "https://mariadb.com/kb/en/microseconds-in-mariadb/"
SQLITE_DEFAULT = "https://www.sqlite.org/lang_createtable.html#the_default_clause"
SQLITE_DATEFUNC = "https://www.sqlite.org/lang_datefunc.html"
SA_SQLITE_DATETIME = (
    "https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#sqlalchemy.dialects.sqlite.DATETIME"
)
PY_NOW = "https://docs.python.org/3/library/datetime.html#datetime.datetime.now"
ZONE = per_backend(  # UTC+05:45
    "server_time.ZONE",
    {"postgresql": "Asia/Kathmandu", "mysql": "+05:45", "mariadb": "+05:45"},
    only=SESSION_TIME_ZONE.backends(),
)


def _clock(value: datetime) -> str:
    """Which clock a value follows: its UTC offset, or for a naive value the offset
    from the UTC time now (to the quarter hour)."""
    if value.tzinfo is not None:
        offset = value.utcoffset() or timedelta(0)
        return f"aware, UTC{_hours(offset)}"
    drift = value - datetime.now(timezone.utc).replace(tzinfo=None)
    quarters = round(drift.total_seconds() / 900)
    return f"naive, UTC{_hours(timedelta(minutes=15 * quarters))}"


def _hours(delta: timedelta) -> str:
    minutes = round(delta.total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# -- func.now() and func.current_timestamp() -----------------------------------------


@scenario(
    "func.now() and func.current_timestamp(): the same SQL, the same value?",
    tags=("timestamps",),
    expect={
        "now() = current_timestamp in one SELECT": ByBackend(
            postgresql=Doc(True, PG_CURRENT),
            mysql=Doc(True, MYSQL_NOW),
            mariadb=Doc(True, MARIADB_NOW),
            sqlite=Doc(True, SA_NOW),
        ),
    },
)
def now_and_current_timestamp(ctx: Context) -> Observed:
    """The notes call them aliases. Each dialect renders them its own way, in a
    SELECT and as a server_default in CREATE TABLE; in one statement both
    give the same time."""
    metadata = MetaData()
    Table(
        "stamps",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("by_now", DateTime, server_default=func.now()),
        Column("by_current_timestamp", DateTime, server_default=func.current_timestamp()),
    )
    with ctx.counting() as ddl:
        ctx.create_tables(metadata)
    with ctx.engine.connect() as conn:
        now, current = conn.execute(select(func.now(), func.current_timestamp())).one()
    dialect = ctx.engine.dialect
    return {
        "func.now() renders as": str(func.now().compile(dialect=dialect)),
        "func.current_timestamp() renders as": str(
            func.current_timestamp().compile(dialect=dialect)
        ),
        "server_default=func.now() in DDL": column_ddl(ddl, "by_now"),
        "server_default=func.current_timestamp() in DDL": column_ddl(ddl, "by_current_timestamp"),
        "now() = current_timestamp in one SELECT": now == current,
    }


# -- what comes back -------------------------------------------------------------------


def _stamp_columns(ctx: Context) -> list[Column[Any]]:
    columns: list[Column[Any]] = [
        Column("server_naive", DateTime, server_default=func.now()),
        Column("server_aware", DateTime(timezone=True), server_default=func.now()),
        Column("client_naive", DateTime, default=datetime.now),
        Column("client_aware", DateTime(timezone=True), default=lambda: datetime.now(timezone.utc)),
    ]
    if ctx.capabilities.mysql_timestamp_types:
        columns += [
            Column(
                "server_datetime6",
                mysql.DATETIME(fsp=6),
                server_default=text("CURRENT_TIMESTAMP(6)"),
            ),
            Column("server_timestamp", mysql.TIMESTAMP(), server_default=func.now()),
            Column(
                "server_timestamp6",
                mysql.TIMESTAMP(fsp=6),
                server_default=text("CURRENT_TIMESTAMP(6)"),
            ),
            Column("client_datetime6", mysql.DATETIME(fsp=6), default=datetime.now),
        ]
    return columns


MYSQL_LIKE_READ_BACK = {
    "server_naive": "datetime · naive, UTC+00:00 · whole seconds",
    "client_naive": "datetime · naive, UTC+00:00 · whole seconds",
    "server_datetime6": "datetime · naive, UTC+00:00 · microseconds",
    "client_datetime6": "datetime · naive, UTC+00:00 · microseconds",
}


@scenario(
    "What a timestamp reads back as: type, time zone, precision",
    tags=("timestamps",),
    expect={
        "server_naive": ByBackend(
            mysql=Doc(MYSQL_LIKE_READ_BACK["server_naive"], MYSQL_FSP),
            mariadb=Doc(MYSQL_LIKE_READ_BACK["server_naive"], MARIADB_FSP),
            sqlite=Doc("datetime · naive, UTC+00:00 · whole seconds", SQLITE_DEFAULT),
        ),
        "server_datetime6": ByBackend(
            mysql=Doc(MYSQL_LIKE_READ_BACK["server_datetime6"], MYSQL_FSP),
            mariadb=Doc(MYSQL_LIKE_READ_BACK["server_datetime6"], MARIADB_FSP),
        ),
        "server_aware": ByBackend(
            postgresql=Doc("datetime · aware, UTC+00:00 · microseconds", PG_TIMEZONES),
        ),
    },
)
def values_read_back(ctx: Context) -> Observed:
    """For DateTime() and DateTime(timezone=True), and on MySQL/MariaDB for DATETIME
    against TIMESTAMP with and without fractional seconds: the Python type,
    aware or naive (with the clock it follows), and the precision kept, for
    server-generated values and for client values from default=. (The session
    runs in the server's default time zone.)"""
    metadata = MetaData()
    table = Table("stamps", metadata, Column("id", Integer, primary_key=True), *_stamp_columns(ctx))
    ctx.create_tables(metadata)
    for _ in range(3):  # three rows, in three transactions: precision is read from all
        with ctx.engine.begin() as conn:
            conn.execute(insert(table))
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(table).order_by(table.c.id)).all()
    observed: Observed = {}
    for column in table.columns:
        if column.name == "id":
            continue
        values = [getattr(row, column.name) for row in rows]
        kind = type(values[0]).__name__
        fraction = "microseconds" if any(v.microsecond for v in values) else "whole seconds"
        observed[column.name] = f"{kind} · {_clock(values[0])} · {fraction}"
    return observed


# -- the session's time zone ---------------------------------------------------------


def _set_zone(ctx: Context, conn: Connection) -> None:
    conn.exec_driver_sql(set_zone(ctx, ZONE))


@scenario(
    "A session in another time zone (UTC+05:45): what moves?",
    tags=("timestamps", "time_zones"),
    requires=(SESSION_TIME_ZONE,),
    expect={
        "server_aware, stored earlier, read in +05:45: instant moved": ByBackend(
            postgresql=Doc("+00:00", PG_TIMEZONES),
        ),
        "server_timestamp, stored earlier, read in +05:45: value moved": ByBackend(
            mysql=Doc("+05:45", MYSQL_TIMESTAMP),
            mariadb=Doc("+05:45", MARIADB_TIMESTAMP),
        ),
        "server_naive, stored earlier, read in +05:45: value moved": ByBackend(
            postgresql=Doc("+00:00", PG_TIMEZONES),
            mysql=Doc("+00:00", MYSQL_TIMESTAMP),
            mariadb=Doc("+00:00", MARIADB_TIMESTAMP),
        ),
    },
)
def session_time_zone(ctx: Context) -> Observed:
    """A row is stored in the default session, then the connection's time zone is
    set to UTC+05:45 (PostgreSQL SET TIME ZONE, MySQL/MariaDB SET time_zone): the
    stored row is read again, and a new row is stored and read in that zone.
    (SQLite has no session time zone.)"""
    metadata = MetaData()
    table = Table("stamps", metadata, Column("id", Integer, primary_key=True), *_stamp_columns(ctx))
    ctx.create_tables(metadata)
    server_columns = [c.name for c in table.columns if c.name.startswith("server_")]
    observed: Observed = {}
    conn = ctx.engine.connect()
    try:
        conn.execute(insert(table).values(id=1))
        conn.commit()
        before = conn.execute(select(table).where(table.c.id == 1)).one()
        conn.commit()
        _set_zone(ctx, conn)
        conn.commit()
        stored = conn.execute(select(table).where(table.c.id == 1)).one()
        conn.execute(insert(table).values(id=2))
        fresh = conn.execute(select(table).where(table.c.id == 2)).one()
        conn.commit()
        for name in server_columns:
            old, new = getattr(before, name), getattr(stored, name)
            if old.tzinfo is not None:  # the same instant, shown in another offset?
                observed[f"{name}, stored earlier, read in +05:45: instant moved"] = _hours(
                    new - old
                )
                observed[f"{name}, stored earlier, read in +05:45: offset"] = _hours(
                    new.utcoffset()
                )
            else:
                observed[f"{name}, stored earlier, read in +05:45: value moved"] = _hours(new - old)
            observed[f"{name}, new server value in +05:45"] = _clock(getattr(fresh, name))
    finally:
        conn.invalidate()  # its time zone must not go back to the pool
        conn.close()
    return observed


# -- transaction time against statement time ----------------------------------------


@scenario(
    "Transaction time against statement time: does now() move inside a transaction?",
    tags=("timestamps",),
    expect={
        "now() across two statements of one transaction, a pause apart": ByBackend(
            postgresql=Doc("same", PG_CURRENT),
            mysql=Doc("moved", MYSQL_NOW),
            mariadb=Doc("moved", MARIADB_NOW),
            sqlite=Doc("moved", SQLITE_DATEFUNC),
        ),
        "wall clock across the two statements": ByBackend(
            postgresql=Doc("moved", PG_CURRENT),
            mysql=Doc("moved", MYSQL_SYSDATE),
            mariadb=Doc("moved", MARIADB_SYSDATE),
        ),
        "now() within one statement that sleeps 0.3 s": ByBackend(
            postgresql=Doc("same", PG_CURRENT),
            mysql=Doc("same", MYSQL_NOW),
            mariadb=Doc("same", MARIADB_NOW),
        ),
        "wall clock within that statement": ByBackend(
            postgresql=Doc("moved", PG_CURRENT),
            mysql=Doc("moved", MYSQL_SYSDATE),
            mariadb=Doc("moved", MARIADB_SYSDATE),
        ),
    },
)
def transaction_time(ctx: Context) -> Observed:
    """Two statements in one transaction, a real pause apart: as long as the clock's
    resolution needs (on SQLite, whose CURRENT_TIMESTAMP has whole seconds, until
    just past the next second; 0.05 s elsewhere, at microsecond precision), then one
    statement that sleeps inside itself."""
    clock = ctx.capabilities.clock
    now, wall = clock.transaction, clock.wall
    clocks = f"SELECT {now}" + (f", {wall}" if wall else "")
    observed: Observed = {"transaction-time function": now, "wall-clock function": wall or "none"}
    with ctx.engine.begin() as conn:
        first = conn.exec_driver_sql(clocks).one()
        ctx.pause(0.05 if clock.digits else 1.02 - time.time() % 1)
        second = conn.exec_driver_sql(clocks).one()
        moved = ["moved" if a != b else "same" for a, b in zip(first, second, strict=True)]
        observed["now() across two statements of one transaction, a pause apart"] = moved[0]
        if wall and clock.sleep:
            observed["wall clock across the two statements"] = moved[1]
            sleep = clock.sleep.format(seconds=0.3)
            row = conn.exec_driver_sql(f"SELECT {now}, {wall}, {sleep}, {now}, {wall}").one()
            ctx.paused_on_server(0.3)
            observed["now() within one statement that sleeps 0.3 s"] = (
                "moved" if row[0] != row[3] else "same"
            )
            observed["wall clock within that statement"] = "moved" if row[1] != row[4] else "same"
    return observed


# -- the client's clock drifts ----------------------------------------------------------


@scenario(
    "A client clock 3 days behind: default=datetime.now follows it, server_default does not",
    tags=("timestamps",),
    expect={
        "default=datetime.now, minus the real time": Doc("-72 h", PY_NOW),
        "server_default=func.now(), minus the real time": Doc("+0 h", SERVER_DEFAULT),
    },
)
def client_clock_drift(ctx: Context) -> Observed:
    """The client's clock is shifted with time-machine while the row is inserted;
    both columns are then compared with the real time (hours, rounded)."""
    metadata = MetaData()
    table = Table(
        "stamps",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("client_at", DateTime, default=datetime.now),
        Column("server_at", DateTime, server_default=func.now()),
    )
    ctx.create_tables(metadata)
    with ctx.engine.connect() as conn:
        server_now = conn.execute(select(func.now())).scalar_one()
    real_local = datetime.now()
    shifted = time_machine.travel(datetime.now(timezone.utc) - timedelta(days=3), tick=True)
    with shifted, ctx.engine.begin() as conn:
        conn.execute(insert(table).values(id=1))
    with ctx.engine.connect() as conn:
        row = conn.execute(select(table)).one()

    def hours(delta: timedelta) -> str:
        return f"{round(delta.total_seconds() / 3600):+d} h"

    server_clock = server_now.replace(tzinfo=None) if server_now.tzinfo else server_now
    return {
        "default=datetime.now, minus the real time": hours(row.client_at - real_local),
        "server_default=func.now(), minus the real time": hours(row.server_at - server_clock),
    }


# -- ad hoc SQL ----------------------------------------------------------------------------


@scenario(
    "A raw INSERT that never went through SQLAlchemy: which default does it get?",
    tags=("timestamps",),
    expect={
        "server_default column after a raw INSERT": Doc("filled", SERVER_DEFAULT),
        "default= column after a raw INSERT": Doc("NULL", SCALAR_DEFAULT),
    },
)
def ad_hoc_insert(ctx: Context) -> Observed:
    """The notes' argument for server_default: it is part of CREATE TABLE, so a
    script that inserts rows by hand still gets the timestamp; default= lives in
    Python and only applies to INSERTs SQLAlchemy builds."""
    metadata = MetaData()
    Table(
        "stamps",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(20)),
        Column("server_at", DateTime, server_default=func.now()),
        Column("client_at", DateTime, default=datetime.now),
    )
    with ctx.counting() as ddl:
        ctx.create_tables(metadata)
    with ctx.engine.begin() as conn:
        conn.execute(text("INSERT INTO stamps (id, name) VALUES (1, 'by hand')"))
        server_at, client_at = conn.execute(text("SELECT server_at, client_at FROM stamps")).one()
    return {
        "DDL of server_at": column_ddl(ddl, "server_at"),
        "DDL of client_at": column_ddl(ddl, "client_at"),
        "server_default column after a raw INSERT": "NULL" if server_at is None else "filled",
        "default= column after a raw INSERT": "NULL" if client_at is None else "filled",
    }


# -- from the server to the ORM object ------------------------------------------------------


def _created(eager: bool) -> Any:
    class Base(DeclarativeBase):
        pass

    class Created(Base):
        __tablename__ = f"created{'_eager' if eager else ''}"
        __mapper_args__ = {"eager_defaults": eager} if eager else {}
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        name: Mapped[str] = mapped_column(String(20))
        created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    return Created


RETURNING_INSERT = "fresh, fetched by RETURNING in the INSERT"


@scenario(
    "After an ORM INSERT, how does the server-generated created_at reach the object?",
    tags=("timestamps",),
    expect={
        "eager_defaults left as is": ByBackend(
            postgresql=Doc(RETURNING_INSERT, ORM_FETCH),
            sqlite=Doc(RETURNING_INSERT, ORM_FETCH),
            mariadb=Doc(RETURNING_INSERT, ORM_FETCH),
            mysql=Doc("expired, re-selected on access", ORM_FETCH),
        ),
        "eager_defaults=True": ByBackend(
            postgresql=Doc(RETURNING_INSERT, ORM_FETCH),
            sqlite=Doc(RETURNING_INSERT, ORM_FETCH),
            mariadb=Doc(RETURNING_INSERT, ORM_FETCH),
            mysql=Doc("fresh, fetched by a SELECT after the INSERT", ORM_FETCH),
        ),
    },
)
def server_default_reaches_the_object(ctx: Context) -> Observed:
    """With eager_defaults at its default ("auto"), an INSERT fetches server
    defaults with RETURNING where the backend has it; otherwise the attribute is
    expired and loaded on first access. eager_defaults=True fetches it during
    the flush, with RETURNING or a SELECT."""
    observed: Observed = {}
    for eager, label in ((False, "eager_defaults left as is"), (True, "eager_defaults=True")):
        model = _created(eager)
        ctx.create_tables(model.metadata)
        session = ctx.session()
        obj = model(name="new")
        session.add(obj)
        state, statements = after_flush(ctx, session, obj, "created_at", session.flush)
        observed[label] = state
        observed[f"statements: INSERT + reading created_at, {label}"] = statements
        session.rollback()
    return observed


# -- client and server values in one column ---------------------------------------------------


@scenario(
    "Client and server values in one column: do they compare and sort correctly?",
    tags=("timestamps",),
    expect={
        "rows equal to the server value": ByBackend(sqlite=Doc(1, SA_SQLITE_DATETIME)),
        "half a second later > the server value": ByBackend(
            mysql=Doc(True, MYSQL_FSP), mariadb=Doc(False, MARIADB_FSP)
        ),
    },
)
def mixed_client_and_server_values(ctx: Context) -> Observed:
    """One row gets the server's now(); three get client values: that same time as
    read back, half a second earlier and half a second later; the database then
    compares them. SQLite stores text: its CURRENT_TIMESTAMP is
    'YYYY-MM-DD HH:MM:SS', SQLAlchemy writes 'YYYY-MM-DD HH:MM:SS.ffffff', so
    equal instants are not equal strings. A DATETIME without fractional seconds
    drops the half second: MySQL rounds it, MariaDB truncates it."""
    metadata = MetaData()
    table = Table(
        "stamps",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("at", DateTime, server_default=func.now()),
    )
    ctx.create_tables(metadata)
    with ctx.engine.begin() as conn:
        conn.execute(insert(table).values(id=1))
        server = conn.execute(select(table.c.at)).scalar_one()
        conn.execute(
            insert(table),
            [
                {"id": 2, "at": server},
                {"id": 3, "at": server - timedelta(milliseconds=500)},
                {"id": 4, "at": server + timedelta(milliseconds=500)},
            ],
        )
        equal = conn.execute(select(func.count()).where(table.c.at == server)).scalar_one()
        # The database compares the stored values (text on SQLite), not Python.
        earlier_before, later_after = conn.execute(
            text(
                "SELECT e.at < s.at, l.at > s.at FROM stamps e, stamps s, stamps l"
                " WHERE e.id = 3 AND s.id = 1 AND l.id = 4"
            )
        ).one()
    return {
        "rows equal to the server value": equal,
        "half a second earlier < the server value": bool(earlier_before),
        "half a second later > the server value": bool(later_after),
    }


#: The columns of values_read_back, in plain words (the site shows them; the key stays the id).
LABELS = {
    "server_naive": "server_default=func.now() into DateTime(): what reads back",
    "server_aware": "server_default=func.now() into DateTime(timezone=True): what reads back",
    "client_naive": "default=datetime.now into DateTime(): what reads back",
    "client_aware": "default=datetime.now(timezone.utc) into DateTime(timezone=True): "
    "what reads back",
    "server_datetime6": "server_default CURRENT_TIMESTAMP(6) into DATETIME(6): what reads back",
    "server_timestamp": "server_default=func.now() into TIMESTAMP: what reads back",
    "server_timestamp6": "server_default CURRENT_TIMESTAMP(6) into TIMESTAMP(6): what reads back",
    "client_datetime6": "default=datetime.now into DATETIME(6): what reads back",
}
#: What users type for these behaviours (read by the site's search: sqla_matrix/site/words.py).
SYNONYMS = {
    "aware": ("timestamptz", "tzinfo", "time zone aware"),
    "naive": ("tzinfo", "naive datetime"),
    "values_read_back": ("timestamp type", "precision", "microseconds"),
}
