"""A session time zone set at connect time: each driver spells it its own way.

``driver_values.session_time_zone`` sets +05:30 with a statement on a
connection already open. An application sets it once, when each connection
is made, and there the spellings part: libpq's ``options="-c timezone=..."``
(psycopg, psycopg2), asyncpg's ``server_settings``, pg8000's
``startup_params``, the MySQL drivers' ``init_command`` (mysql-connector's
``time_zone``), all through ``create_engine(connect_args=...)``; or one
spelling for every driver, SQLAlchemy's ``connect`` event running the SET
statement. Each way gets an engine of its own (no pool), through the sync
driver and its asyncio partner, and reads: the zone the server reports for
the session, how many hours ``now()`` is ahead of UTC, and a row written at
12:00 UTC into the zone-aware column (timestamptz; MySQL/MariaDB: TIMESTAMP).
A spelling the driver does not take is observed as the error it raises.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Table,
    create_engine,
    event,
    exc,
    insert,
    select,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from scenarios._raised import raised
from scenarios._zones import set_zone
from scenarios.driver_values import NOON_UTC, NOW_OFFSET, PLUS_FIVE_THIRTY, UTC_ZONE, wall
from sqla_matrix.capabilities import per_backend
from sqla_matrix.requirements import SESSION_TIME_ZONE
from sqla_matrix.scenario import (
    ByBackend,
    Context,
    Doc,
    Expectation,
    Observed,
    When,
    scenario,
)

LIBPQ_OPTIONS = "https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNECT-OPTIONS"
ASYNCPG_CONNECT = "https://magicstack.github.io/asyncpg/current/api/index.html#connection"
PYMYSQL_CONNECT = "https://pymysql.readthedocs.io/en/latest/modules/connections.html"
CONNECTOR_ARGS = "https://dev.mysql.com/doc/connector-python/en/connector-python-connectargs.html"
CONNECT_EVENT = (
    "https://docs.sqlalchemy.org/en/20/core/events.html#sqlalchemy.events.PoolEvents.connect"
)
SQLITE_TIME = "https://www.sqlite.org/lang_datefunc.html"
PG_TIMEZONE = "https://www.postgresql.org/docs/current/datatype-datetime.html#DATATYPE-TIMEZONES"
MYSQL_TZ = "https://dev.mysql.com/doc/refman/8.4/en/time-zone-support.html"

ZONED_BACKENDS = SESSION_TIME_ZONE.backends()
#: The session's zone as the server reports it.
SESSION_ZONE = per_backend(
    "connect_settings.SESSION_ZONE",
    {
        "postgresql": "SHOW TimeZone",
        "mysql": "SELECT @@session.time_zone",
        "mariadb": "SELECT @@session.time_zone",
    },
    only=ZONED_BACKENDS,
)


def _connect_args(driver: str, backend: str) -> tuple[str, dict[str, Any]]:
    """How ``driver`` is told the session's zone when it connects: its spelling, shown
    as a user writes it, and the connect_args."""
    zone = PLUS_FIVE_THIRTY[backend]
    if driver in ("psycopg", "psycopg_async", "psycopg2"):
        return "options='-c timezone=...'", {"options": f"-c timezone={zone}"}
    if driver == "asyncpg":
        return "server_settings={'timezone': ...}", {"server_settings": {"timezone": zone}}
    if driver == "pg8000":
        return "startup_params={'TimeZone': ...}", {"startup_params": {"TimeZone": zone}}
    if driver == "mysqlconnector":
        return "time_zone=...", {"time_zone": zone}
    statement = f"SET time_zone = '{zone}'"
    return "init_command=\"SET time_zone = '...'\"", {"init_command": statement}


#: connect_args for +05:30, per driver: what each driver's documentation names.
FIVE_THIRTY = 5.5
NOW_AHEAD: dict[str, Expectation] = {
    "connect_args: now() hours ahead of UTC (sync)": ByBackend(
        postgresql=When(
            {
                "+psycopg": Doc(FIVE_THIRTY, LIBPQ_OPTIONS),
                "+psycopg2": Doc(FIVE_THIRTY, LIBPQ_OPTIONS),
            }
        ),
        mysql=When({"+pymysql": Doc(FIVE_THIRTY, PYMYSQL_CONNECT)}),
        mariadb=When({"+pymysql": Doc(FIVE_THIRTY, PYMYSQL_CONNECT)}),
    ),
    "a connect event: now() hours ahead of UTC (sync)": Doc(FIVE_THIRTY, CONNECT_EVENT),
    "a connect event: now() hours ahead of UTC (async)": Doc(FIVE_THIRTY, CONNECT_EVENT),
    "a connect event: the zoned column, written at 12:00 UTC (sync)": ByBackend(
        mysql=Doc("17:30 naive", MYSQL_TZ), mariadb=Doc("17:30 naive", MYSQL_TZ)
    ),
}


def _on_connect(statement: str) -> Callable[[Any, Any], None]:
    def set_session_zone(dbapi_connection: Any, connection_record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()

    return set_session_zone


def _read(ctx: Context, table: Table) -> list[Any]:
    return [
        SESSION_ZONE[ctx.backend],
        f"SELECT {NOW_OFFSET[ctx.backend]}",
        select(table.c.zoned).where(table.c.id == 1),
    ]


def _observed(way: str, kind: str, zone: Any, offset: Any, zoned: Any) -> Observed:
    return {
        f"{way}: the session's zone, as the server reports it ({kind})": str(zone),
        f"{way}: now() hours ahead of UTC ({kind})": round(float(offset), 2),
        f"{way}: the zoned column, written at 12:00 UTC ({kind})": wall(zoned),
    }


def _failed(way: str, kind: str, error: BaseException) -> Observed:
    return {f"{way}: connect ({kind})": raised(error)}


@scenario(
    "A session time zone at connect time: connect_args per driver, or a connect event",
    tags=("time_zones", "drivers", "failing"),
    requires=(SESSION_TIME_ZONE,),
    expect=NOW_AHEAD,
)
def connect_time_zone(ctx: Context) -> Observed:
    """A row written at 12:00 UTC into the zone-aware column; then, for the driver's
    own connect_args and for a connect event running the SET statement, an engine
    without a pool whose one connection reads the session's zone, now()'s offset
    from UTC and that row, through the sync driver and the asyncio one."""
    metadata = MetaData()
    zoned_type = DateTime(timezone=True).with_variant(mysql.TIMESTAMP(), "mysql", "mariadb")
    Table(
        "connect_zoned",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("zoned", zoned_type),
    )
    ctx.create_tables(metadata)
    utc = set_zone(ctx, UTC_ZONE)
    noon = NOON_UTC if ctx.capabilities.aware_datetimes else NOON_UTC.replace(tzinfo=None)
    with ctx.engine.connect() as conn:
        conn.exec_driver_sql(utc)
        conn.execute(insert(metadata.tables["connect_zoned"]).values(id=1, zoned=noon))
        namespace = conn.exec_driver_sql(f"SELECT {ctx.capabilities.catalog_namespace}").scalar()
        conn.commit()
        conn.invalidate()  # its session zone never goes back to the pool
    # The new engines have none of the harness's connect hooks: the table by its namespace.
    qualified = Table(
        "connect_zoned",
        MetaData(schema=namespace),
        Column("id", Integer, primary_key=True),
        Column("zoned", zoned_type),
    )
    shift = set_zone(ctx, PLUS_FIVE_THIRTY)
    zone_sql, offset_sql, row = _read(ctx, qualified)
    sync_driver = ctx.engine.dialect.driver
    spelling, args = _connect_args(sync_driver, ctx.backend)
    observed: Observed = {"connect_args: the sync driver's spelling": spelling}
    ways: dict[str, Callable[[], Engine]] = {
        "connect_args": lambda: create_engine(
            ctx.engine.url, connect_args=args, poolclass=NullPool
        ),
        "a connect event": lambda: _with_event(
            create_engine(ctx.engine.url, poolclass=NullPool), shift
        ),
    }
    for way, make in ways.items():
        engine = make()
        try:
            with engine.connect() as conn:
                zone = conn.exec_driver_sql(zone_sql).scalar()
                offset = conn.exec_driver_sql(offset_sql).scalar()
                zoned = conn.execute(row).scalar()
            observed.update(_observed(way, "sync", zone, offset, zoned))
        except (exc.DBAPIError, TypeError) as error:
            observed.update(_failed(way, "sync", error))
        finally:
            engine.dispose()

    async def run(default: AsyncEngine) -> Observed:
        found: Observed = {}
        name = default.dialect.driver
        async_spelling, async_args = _connect_args(name, ctx.backend)
        found["connect_args: the async driver's spelling"] = async_spelling
        for way in ways:
            engine = create_async_engine(
                default.url,
                poolclass=NullPool,
                **({"connect_args": async_args} if way == "connect_args" else {}),
            )
            if way == "a connect event":
                _with_event(engine.sync_engine, shift)
            try:
                async with engine.connect() as conn:
                    zone = (await conn.exec_driver_sql(zone_sql)).scalar()
                    offset = (await conn.exec_driver_sql(offset_sql)).scalar()
                    zoned = (await conn.execute(row)).scalar()
                found.update(_observed(way, "async", zone, offset, zoned))
            except (exc.DBAPIError, TypeError) as error:
                found.update(_failed(way, "async", error))
            finally:
                await engine.dispose()
        return found

    observed.update(ctx.run_async(run))
    return observed


def _with_event(engine: Engine, statement: str) -> Engine:
    event.listen(engine, "connect", _on_connect(statement))
    return engine
