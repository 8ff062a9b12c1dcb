"""What each driver hands back and counts: the behaviours that move with the DBAPI.

The seed's timestamps pass through a driver twice: on the way in it renders
the Python value, on the way out it builds one from what the server sent. The
same server gives a ``datetime`` whose ``tzinfo`` is ``ZoneInfo('Etc/UTC')``
through one driver and ``timezone.utc`` through another; one column rounds
fractional seconds and another truncates them. A column of this topic runs
each read through its sync driver and its asyncio partner (psycopg async,
asyncpg, aiomysql, asyncmy, aiosqlite). Drivers also count differently: the
``rowcount`` of an UPDATE that matches a row without changing it (onupdate
and version counters rely on it), and how a bulk INSERT with RETURNING is
cut into statements (insertmanyvalues).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Time,
    bindparam,
    exc,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.schema import Column, Table
from sqlalchemy.types import TypeEngine

from models.user import User
from scenarios._ddl import column_ddl
from scenarios._loaders import Strategy, options
from scenarios._zones import set_zone, utc_offset
from scenarios.loading import seed
from sqla_matrix.capabilities import per_backend
from sqla_matrix.requirements import SESSION_TIME_ZONE
from sqla_matrix.scenario import ByBackend, Context, Doc, Observed, Unsupported, When, scenario

PG_PRECISION = "https://www.postgresql.org/docs/current/datatype-datetime.html"
MYSQL_FRACTIONAL = "https://dev.mysql.com/doc/refman/8.4/en/fractional-seconds.html"
MARIADB_MICROSECONDS = "https://mariadb.com/kb/en/microseconds-in-mariadb/"
SA_SQLITE_DATETIME = (
    "https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#sqlalchemy.dialects.sqlite.DATETIME"
)
PG_UPDATE = "https://www.postgresql.org/docs/current/sql-update.html#id-1.9.3.183.7"
SQLITE_CHANGES = "https://www.sqlite.org/c3ref/changes.html"
SA_MYSQL_ROWCOUNT = "https://docs.sqlalchemy.org/en/20/dialects/mysql.html#rowcount-support"
SA_ASYNCPG = "https://docs.sqlalchemy.org/en/20/dialects/postgresql.html#module-sqlalchemy.dialects.postgresql.asyncpg"
ASYNCPG_TYPES = "https://magicstack.github.io/asyncpg/current/usage.html#type-conversion"
INSERTMANYVALUES = "https://docs.sqlalchemy.org/en/20/core/connections.html#engine-insertmanyvalues"

#: 09.987654 s: rounding to 0 digits gives :10, truncating :09; to 3 digits .988 or .987.
WALL = datetime(2024, 5, 6, 7, 8, 9, 987654)
AWARE = WALL.replace(tzinfo=timezone.utc)
DIGITS = (0, 3, 6)


def _datetime(digits: int, tz: bool) -> TypeEngine[Any]:
    """``DateTime(timezone=tz)`` with ``digits`` fractional digits where the dialect has them."""
    return (
        DateTime(timezone=tz)
        .with_variant(postgresql.TIMESTAMP(timezone=tz, precision=digits), "postgresql")
        .with_variant(mysql.DATETIME(timezone=tz, fsp=digits), "mysql", "mariadb")
    )


def _time(digits: int) -> TypeEngine[Any]:
    return (
        Time()
        .with_variant(postgresql.TIME(precision=digits), "postgresql")
        .with_variant(mysql.TIME(fsp=digits), "mysql", "mariadb")
    )


#: column -> (the row label, as a model writes it; the type; the value written)
COLUMNS: dict[str, tuple[str, TypeEngine[Any], Any]] = {
    **{f"dt{d}": (f"DateTime(), {d} digits", _datetime(d, False), WALL) for d in DIGITS},
    **{
        f"tz{d}": (
            f"DateTime(timezone=True), {d} digits, written in UTC",
            _datetime(d, True),
            AWARE,
        )
        for d in DIGITS
    },
    "d": ("Date()", Date(), WALL.date()),
    **{f"t{d}": (f"Time(), {d} digits", _time(d), WALL.time()) for d in DIGITS},
}


def shown(value: Any) -> str:
    """A value read back: its Python type, its ISO text, and its tzinfo as Python shows it."""
    if isinstance(value, datetime | time):
        zone = "naive" if value.tzinfo is None else f"tzinfo {value.tzinfo!r}"
        return f"{type(value).__name__} {value.isoformat()} · {zone}"
    if isinstance(value, date):
        return f"date {value.isoformat()}"
    return f"{type(value).__name__}: {value!r}"


def _rounding(read: Any, digits: int) -> str:
    """Whether the fractional seconds of ``read`` are WALL's rounded, truncated or kept."""
    if not isinstance(read, datetime):
        return "not a datetime"
    read = read.replace(tzinfo=None)
    if read == WALL:
        return "every digit kept"
    scale = 10 ** (6 - digits)
    truncated = WALL.replace(microsecond=WALL.microsecond // scale * scale)
    if read == truncated:
        return "truncated"
    return "rounded" if abs((read - WALL).total_seconds()) * 1e6 <= scale / 2 else read.isoformat()


ROUNDED = ByBackend(
    postgresql=Doc("rounded", PG_PRECISION),
    mysql=Doc("rounded", MYSQL_FRACTIONAL),
    mariadb=Doc("truncated", MARIADB_MICROSECONDS),
    sqlite=Doc("every digit kept", SA_SQLITE_DATETIME),
)


@scenario(
    "What DateTime, DateTime(timezone=True), Date and Time read back, per driver",
    tags=("timestamps", "drivers", "time_zones"),
    expect={
        "DateTime(), 3 digits: fractional seconds (sync)": ROUNDED,
        "DateTime(), 0 digits: fractional seconds (sync)": ROUNDED,
    },
)
def datetime_types(ctx: Context) -> Observed:
    """One row holds 2024-05-06 07:08:09.987654 (naive in DateTime(), UTC in
    timezone=True) at 0, 3 and 6 fractional digits, and its Date and Time. Each
    column is read back through the sync driver and through the asyncio one:
    the Python type, the ISO text (which digits survived) and the tzinfo."""
    metadata = MetaData()
    table = Table(
        "driver_values",
        metadata,
        Column("id", Integer, primary_key=True),
        *(Column(name, type_) for name, (_, type_, _) in COLUMNS.items()),
    )
    with ctx.counting() as ddl:
        ctx.create_tables(metadata)
    with ctx.engine.begin() as conn:
        conn.execute(insert(table).values(id=1, **{n: v for n, (_, _, v) in COLUMNS.items()}))
        sync_row = conn.execute(select(table)).one()._mapping

    async def read(engine: AsyncEngine) -> dict[str, Any]:
        async with engine.connect() as conn:
            return dict((await conn.execute(select(table))).one()._mapping)

    async_row = ctx.run_async(read)
    observed: Observed = {}
    for name, (label, _, _) in COLUMNS.items():
        observed[f"{label}: DDL"] = column_ddl(ddl, name).split(" ", 1)[1]
        observed[f"{label}: read back (sync)"] = shown(sync_row[name])
        observed[f"{label}: read back (async)"] = shown(async_row[name])
        if name.startswith("dt"):
            digits = int(name[2:])
            observed[f"{label}: fractional seconds (sync)"] = _rounding(sync_row[name], digits)
    return observed


#: Rows matched, not rows changed: what the servers count, and what SQLAlchemy asks
#: MySQL and MariaDB for (the FOUND_ROWS client flag).
MATCHED = ByBackend(
    postgresql=Doc(1, PG_UPDATE),
    sqlite=Doc(1, SQLITE_CHANGES),
    mysql=Doc(1, SA_MYSQL_ROWCOUNT),
    mariadb=Doc(1, SA_MYSQL_ROWCOUNT),
)


@scenario(
    "rowcount of an UPDATE that matches a row without changing it, per driver",
    tags=("drivers", "onupdate"),
    expect={
        "UPDATE matching 1 row, value unchanged: rowcount (sync)": MATCHED,
        "UPDATE matching 1 row, value unchanged: rowcount (async)": MATCHED,
        "executemany UPDATE of 2 rows (1 unchanged): rowcount (async)": ByBackend(
            postgresql=When(
                {
                    "+asyncpg": Unsupported(
                        -1, "asyncpg's executemany reports no row count", SA_ASYNCPG
                    ),
                    "postgresql": Doc(2, PG_UPDATE),
                }
            ),
        ),
    },
)
def rowcount(ctx: Context) -> Observed:
    """The server reports rows *matched* (PostgreSQL, SQLite) or rows *changed*
    (MySQL and MariaDB, unless the client asks for found rows: SQLAlchemy's
    MySQL dialects do). An executemany UPDATE's rowcount is the driver's own
    sum, or not known; the dialect says which with supports_sane_multi_rowcount."""
    metadata = MetaData()
    table = Table(
        "counted",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(20)),
    )
    ctx.create_tables(metadata)
    same = update(table).where(table.c.id == 1).values(name="same")
    changed = update(table).where(table.c.id == 2).values(name="changed")
    many = update(table).where(table.c.id == bindparam("b_id")).values(name=bindparam("b_name"))
    pairs = [{"b_id": 1, "b_name": "same"}, {"b_id": 2, "b_name": "again"}]
    rows = [{"id": 1, "name": "same"}, {"id": 2, "name": "other"}]
    none = update(table).where(table.c.id == 99).values(name="x")
    observed: Observed = {}
    with ctx.engine.begin() as conn:
        conn.execute(insert(table), rows)
        observed["UPDATE matching 1 row, value unchanged: rowcount (sync)"] = conn.execute(
            same
        ).rowcount
        observed["UPDATE matching 1 row, value changed: rowcount (sync)"] = conn.execute(
            changed
        ).rowcount
        observed["UPDATE matching no row: rowcount (sync)"] = conn.execute(none).rowcount
        observed["executemany UPDATE of 2 rows (1 unchanged): rowcount (sync)"] = conn.execute(
            many, pairs
        ).rowcount
    dialect = ctx.engine.dialect
    observed["dialect.supports_sane_rowcount"] = dialect.supports_sane_rowcount
    observed["dialect.supports_sane_multi_rowcount"] = dialect.supports_sane_multi_rowcount

    async def counts(engine: AsyncEngine) -> Observed:
        async with engine.begin() as conn:
            return {
                "UPDATE matching 1 row, value unchanged: rowcount (async)": (
                    await conn.execute(same)
                ).rowcount,
                "executemany UPDATE of 2 rows (1 unchanged): rowcount (async)": (
                    await conn.execute(many, [{"b_id": 1, "b_name": "same"}, pairs[1]])
                ).rowcount,
                "async dialect.supports_sane_multi_rowcount": (
                    engine.dialect.supports_sane_multi_rowcount
                ),
            }

    observed.update(ctx.run_async(counts))
    return observed


ROWS = 2500


@scenario(
    "A bulk INSERT with RETURNING: how insertmanyvalues cuts 2,500 rows into statements",
    tags=("drivers", "defaults"),
    expect={
        "Core insert().returning(), 2,500 rows: statements": ByBackend(
            postgresql=Doc(3, INSERTMANYVALUES),
            sqlite=Doc(3, INSERTMANYVALUES),
        ),
    },
)
def insertmanyvalues(ctx: Context) -> Observed:
    """insert().returning() with 2,500 parameter sets: SQLAlchemy renders one
    multi-row INSERT per page (insertmanyvalues_page_size, 1,000 by default, fewer
    where the server limits the parameters per statement); without RETURNING, the
    batching is the driver's executemany (one call here, whatever it sends)."""
    metadata = MetaData()
    table = Table(
        "bulk",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("name", String(20)),
    )
    ctx.create_tables(metadata)
    params = [{"name": f"n{i}"} for i in range(ROWS)]
    observed: Observed = {
        "dialect.use_insertmanyvalues": ctx.engine.dialect.use_insertmanyvalues,
        "dialect.insert_executemany_returning": ctx.engine.dialect.insert_executemany_returning,
    }
    with ctx.engine.begin() as conn:
        if ctx.engine.dialect.insert_executemany_returning:
            with ctx.counting() as seen:
                returned = conn.execute(insert(table).returning(table.c.id), params).all()
            inserts = [s for s in seen if s.sql.startswith("INSERT")]
            observed["Core insert().returning(), 2,500 rows: statements"] = len(inserts)
            observed["Core insert().returning(), 2,500 rows: ids returned"] = len(returned)
        else:
            observed["Core insert().returning(), 2,500 rows: statements"] = "no RETURNING here"
        with ctx.counting() as seen:
            conn.execute(insert(table), params)
        inserts = [s for s in seen if s.sql.startswith("INSERT")]
        observed["Core insert(), 2,500 rows, no RETURNING: statements"] = len(inserts)
        observed["Core insert(), 2,500 rows, no RETURNING: sent as executemany"] = all(
            s.many for s in inserts
        )
    return observed


SQLITE_TIME = "https://www.sqlite.org/lang_datefunc.html"
PG_TIMEZONE = "https://www.postgresql.org/docs/current/datatype-datetime.html#DATATYPE-TIMEZONES"
MYSQL_TIMESTAMP = "https://dev.mysql.com/doc/refman/8.4/en/datetime.html"
MARIADB_TIMESTAMP = "https://mariadb.com/kb/en/timestamp/"
NOON_UTC = datetime(2024, 5, 6, 12, 0, 0, tzinfo=timezone.utc)
#: The backends with a session time zone.
ZONED_BACKENDS = SESSION_TIME_ZONE.backends()
#: Each server's name for +05:30 (MySQL takes an offset; PostgreSQL would read '+05:30'
#: as a POSIX zone, west of Greenwich, so it is given a name).
PLUS_FIVE_THIRTY = per_backend(
    "driver_values.PLUS_FIVE_THIRTY",
    {"postgresql": "Asia/Kolkata", "mysql": "+05:30", "mariadb": "+05:30"},
    only=ZONED_BACKENDS,
)
#: Each server's name for UTC: a session at UTC, whatever the server's configured zone.
UTC_ZONE = per_backend(
    "driver_values.UTC_ZONE",
    {"postgresql": "UTC", "mysql": "+00:00", "mariadb": "+00:00"},
    only=ZONED_BACKENDS,
)
#: How many hours the session's now() is ahead of UTC, in each server's SQL.
NOW_OFFSET = per_backend(
    "driver_values.NOW_OFFSET",
    {
        "postgresql": "EXTRACT(TIMEZONE FROM now()) / 3600.0",
        "mysql": "TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), NOW()) / 60.0",
        "mariadb": "TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), NOW()) / 60.0",
    },
    only=ZONED_BACKENDS,
)
ZONED = "the zone-aware column (DateTime(timezone=True); MySQL/MariaDB: TIMESTAMP)"
PLAIN = "the plain column (DateTime())"


def wall(value: Any) -> str:
    """A datetime read back as its wall time and offset: ``17:30 +05:30``, ``12:00 naive``."""
    if not isinstance(value, datetime):
        return f"{type(value).__name__}: {value!r}"
    return f"{value:%H:%M} {utc_offset(value) or 'naive'}"


@scenario(
    "A session time zone of +05:30: what it changes in what each driver reads",
    tags=("timestamps", "drivers", "time_zones"),
    requires=(SESSION_TIME_ZONE,),
    expect={
        f"{ZONED}, written at 12:00 UTC, read in the +05:30 session (sync)": ByBackend(
            postgresql=Doc("17:30 +05:30", PG_TIMEZONE),
            mysql=Doc("17:30 naive", MYSQL_TIMESTAMP),
            mariadb=Doc("17:30 naive", MARIADB_TIMESTAMP),
        ),
        f"{PLAIN}, written at 12:00, read in the +05:30 session (sync)": ByBackend(
            postgresql=Doc("12:00 naive", PG_TIMEZONE),
            mysql=Doc("12:00 naive", MYSQL_TIMESTAMP),
            mariadb=Doc("12:00 naive", MARIADB_TIMESTAMP),
        ),
    },
)
def session_time_zone(ctx: Context) -> Observed:
    """A row written at 12:00 UTC in a session at UTC is read in a session set to
    +05:30 (the statement is in the SQL), through the sync driver and through the
    asyncio one. PostgreSQL sends timestamptz in the session's zone and the driver
    decides what to make of it; MySQL and MariaDB convert a TIMESTAMP to the
    session's zone and hand the driver a naive value. SQLite has no session zone."""
    metadata = MetaData()
    zoned_type = DateTime(timezone=True).with_variant(mysql.TIMESTAMP(), "mysql", "mariadb")
    table = Table(
        "zoned",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("zoned", zoned_type, nullable=True),
        Column("plain", DateTime()),
    )
    ctx.create_tables(metadata)
    utc = set_zone(ctx, UTC_ZONE)
    noon = NOON_UTC if ctx.capabilities.aware_datetimes else NOON_UTC.replace(tzinfo=None)
    with ctx.engine.begin() as conn:
        conn.exec_driver_sql(utc)
        conn.execute(insert(table).values(id=1, zoned=noon, plain=NOON_UTC.replace(tzinfo=None)))
    shift = set_zone(ctx, PLUS_FIVE_THIRTY)
    now_offset = NOW_OFFSET[ctx.backend]
    observed: Observed = {}
    with ctx.engine.connect() as conn:
        conn.exec_driver_sql(shift)
        row = conn.execute(select(table)).one()
        offset = conn.exec_driver_sql(f"SELECT {now_offset}").scalar_one()
        conn.exec_driver_sql(utc)  # the pooled connection goes back as it came
        conn.commit()
    observed[f"{ZONED}, written at 12:00 UTC, read in the +05:30 session (sync)"] = wall(row.zoned)
    observed[f"{PLAIN}, written at 12:00, read in the +05:30 session (sync)"] = wall(row.plain)
    observed["func.now() in the +05:30 session: hours ahead of UTC"] = round(float(offset), 2)

    async def read(engine: AsyncEngine) -> dict[str, str]:
        async with engine.connect() as conn:
            await conn.exec_driver_sql(shift)
            found = (await conn.execute(select(table))).one()
            await conn.exec_driver_sql(utc)
            await conn.commit()
            return {
                f"{ZONED}, written at 12:00 UTC, read in the +05:30 session (async)": wall(
                    found.zoned
                ),
                f"{PLAIN}, written at 12:00, read in the +05:30 session (async)": wall(found.plain),
            }

    observed.update(ctx.run_async(read))
    return observed


PLUS_FIVE = datetime(2024, 5, 6, 12, 0, 0, tzinfo=timezone(timedelta(hours=5)))


WRITE_ERRORS = (exc.DBAPIError, exc.StatementError)


def outcome(error: BaseException | None) -> str:
    """A write's outcome: "accepted", or the class of the exception that stopped it (in
    the driver or on the server; its message is in the cell's SQL notes)."""
    if error is None:
        return "accepted"
    orig = getattr(error, "orig", None) or error
    return f"raises {type(orig).__name__}"


@scenario(
    "An aware value into DateTime(), a naive one into DateTime(timezone=True), per driver",
    tags=("timestamps", "drivers", "time_zones"),
    expect={
        # "If no time zone is stated in the input string, then it is assumed to be in the
        # time zone indicated by the system's TimeZone parameter": here, UTC.
        "naive 12:00 into timezone=True, by the sync driver: stored, read back at UTC": ByBackend(
            postgresql=Doc("12:00 +00:00", PG_TIMEZONE),
        ),
        "naive 12:00 into timezone=True, by the async driver: stored, read back at UTC": ByBackend(
            postgresql=Doc("12:00 +00:00", PG_TIMEZONE),
        ),
        "12:00+05:00 into DateTime(), by the async driver: write": ByBackend(
            postgresql=When(
                {
                    "+asyncpg": Unsupported(
                        "raises Error",
                        "asyncpg takes only a naive datetime for timestamp without time zone",
                        ASYNCPG_TYPES,
                    ),
                }
            ),
        ),
    },
)
def aware_and_naive_writes(ctx: Context) -> Observed:
    """The same two writes through the sync driver and through the asyncio one, in a
    session at UTC: 12:00+05:00 into a plain DateTime() column and a naive 12:00
    into a DateTime(timezone=True) one. Some drivers convert, some drop the offset,
    some refuse to mix aware and naive values; what was stored is read back by the
    sync driver, at UTC, as wall time and offset."""
    metadata = MetaData()
    table = Table(
        "mixed",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("plain", DateTime()),
        Column("zoned", DateTime(timezone=True)),
    )
    ctx.create_tables(metadata)
    utc = set_zone(ctx, UTC_ZONE) if ctx.capabilities.set_time_zone else None
    naive = PLUS_FIVE.replace(tzinfo=None)
    rows = {"sync": (1, 2), "async": (3, 4)}
    observed: Observed = {}
    with ctx.engine.connect() as conn:
        if utc:
            conn.exec_driver_sql(utc)
        for column, value, row_id in (("plain", PLUS_FIVE, 1), ("zoned", naive, 2)):
            error: BaseException | None = None
            try:
                conn.execute(insert(table).values({"id": row_id, column: value}))
            except WRITE_ERRORS as caught:
                error = caught
            observed[_mixed_key(column, "sync")] = outcome(error)
            conn.commit()

    async def write(engine: AsyncEngine) -> Observed:
        found: Observed = {}
        async with engine.connect() as conn:
            if utc:
                await conn.exec_driver_sql(utc)
            for column, value, row_id in (("plain", PLUS_FIVE, 3), ("zoned", naive, 4)):
                error: BaseException | None = None
                try:
                    await conn.execute(insert(table).values({"id": row_id, column: value}))
                except WRITE_ERRORS as caught:
                    error = caught
                found[_mixed_key(column, "async")] = outcome(error)
                await conn.commit()
        return found

    observed.update(ctx.run_async(write))
    with ctx.engine.connect() as conn:
        if utc:
            conn.exec_driver_sql(utc)
        stored = {row.id: row for row in conn.execute(select(table))}
        conn.invalidate()  # its session zone never goes back to the pool
    for kind, (plain_id, zoned_id) in rows.items():
        for column, row_id in (("plain", plain_id), ("zoned", zoned_id)):
            row = stored.get(row_id)
            key = f"{_mixed_key(column, kind).removesuffix(': write')}: stored, read back at UTC"
            observed[key] = wall(getattr(row, column)) if row else "no row"
    return observed


def _mixed_key(column: str, kind: str) -> str:
    what = "12:00+05:00 into DateTime()" if column == "plain" else "naive 12:00 into timezone=True"
    return f"{what}, by the {kind} driver: write"


YIELD_PER = "https://docs.sqlalchemy.org/en/20/orm/queryguide/api.html#orm-queryguide-yield-per"
STREAM_RESULTS = "https://docs.sqlalchemy.org/en/20/core/connections.html#engine-stream-results"
STREAMED_USERS = 30
PYMYSQL_UNBUFFERED = "https://github.com/PyMySQL/PyMySQL/pull/292"
OUT_OF_SYNC = "https://dev.mysql.com/doc/c-api/8.4/en/commands-out-of-sync.html"
#: A MySQL connection streams one unbuffered result at a time: the selectin load's query
#: beside the open server-side cursor ends it (PyMySQL, with a warning) or is refused.
UNBUFFERED = When(
    {
        "+pymysql": Unsupported(
            "10 users",
            "PyMySQL discards the rest of an unbuffered result when the connection runs "
            "another query, and warns",
            PYMYSQL_UNBUFFERED,
        ),
        "+mysqldb": Unsupported(
            "raises ProgrammingError", "Commands out of sync: one result at a time", OUT_OF_SYNC
        ),
        "+mariadbconnector": Unsupported(
            "raises InterfaceError", "Commands out of sync: one result at a time", OUT_OF_SYNC
        ),
        "+mysqlconnector": Doc("30 users", YIELD_PER),  # no server-side cursor: buffered
    }
)


@scenario(
    "yield_per and stream_results: server-side cursors, per driver and loading strategy",
    tags=("loading", "drivers"),
    expect={
        "yield_per(10) with joinedload(User.posts): outcome": Doc(
            "raises InvalidRequestError", YIELD_PER
        ),
        "yield_per(10) with subqueryload(User.posts): outcome": Doc(
            "raises InvalidRequestError", YIELD_PER
        ),
        "yield_per(10) with selectinload(User.posts): outcome": ByBackend(
            sqlite=Doc("30 users", YIELD_PER),
            postgresql=Doc("30 users", YIELD_PER),
            mysql=UNBUFFERED,
            mariadb=UNBUFFERED,
        ),
    },
)
def streaming(ctx: Context) -> Observed:
    """30 users with 2 posts each, read 10 at a time: Core with
    execution_options(stream_results=True) (the cursor the driver hands back: a
    server-side one where the dialect has them), the ORM with yield_per(10) under
    each loading strategy (joined and subquery eager loading of a collection
    cannot be combined with it), and AsyncConnection.stream() through the asyncio
    driver."""
    seed(ctx, STREAMED_USERS)
    # Fresh connections: MariaDB Connector/Python can hand back a pooled connection on
    # which a server-side cursor fails ("Invalid connection or not connected").
    ctx.engine.dispose()
    observed: Observed = {
        "dialect.supports_server_side_cursors": ctx.engine.dialect.supports_server_side_cursors
    }
    with ctx.engine.connect() as conn:
        result = conn.execution_options(stream_results=True).execute(select(User.__table__))
        cursor = result.cursor
        observed["stream_results=True: the DBAPI cursor"] = type(cursor).__name__
        observed["stream_results=True: rows"] = len(result.all())
    loaders = options(Strategy.LAZY, Strategy.SELECTIN, Strategy.JOINED, Strategy.SUBQUERY)
    for name, loader in loaders.items():
        key = f"yield_per(10) with {name}(User.posts): outcome"
        session = ctx.session()
        query = select(User).options(loader(User.posts)).execution_options(yield_per=10)
        try:
            with ctx.counting() as seen:
                users = [(user, len(user.posts)) for user in session.scalars(query)]
            observed[key] = f"{len(users)} users"
            observed[f"yield_per(10) with {name}(User.posts): statements"] = len(seen)
            session.close()
        except exc.InvalidRequestError as error:  # refused before any SQL
            observed[key] = f"raises {type(error).__name__}"
            session.close()
        except WRITE_ERRORS as error:  # a second query while the cursor streams
            observed[key] = outcome(error)
            session.invalidate()  # the connection is out of sync: never back to the pool

    async def stream(engine: AsyncEngine) -> Observed:
        async with engine.connect() as conn:
            try:
                streamed = await conn.stream(select(User.__table__))
                rows = [row async for row in streamed]
            except (*WRITE_ERRORS, exc.InvalidRequestError) as error:
                return {"async conn.stream(): rows": outcome(error)}
            return {"async conn.stream(): rows": len(rows)}

    observed.update(ctx.run_async(stream))
    return observed


#: What users type for these behaviours (read by the site's search: sqla_matrix/site/words.py).
SYNONYMS = {
    "timezone=True": ("timestamptz", "TIMESTAMP WITH TIME ZONE", "tzinfo", "time zone aware"),
    "DateTime()": ("timestamp without time zone", "naive datetime"),
    "rowcount": ("rows affected", "matched rows"),
    "insertmanyvalues": ("bulk insert", "executemany", "RETURNING"),
}
