"""An IN list of 1,000, 40,000 and 70,000 values: the bound-parameter limits per driver.

``User.id.in_(ids)`` is an *expanding* parameter: SQLAlchemy turns it into
one bound parameter per value when the statement runs, and the limit a user
then meets is the first of SQLite's host parameters (32,766 since 3.32),
PostgreSQL's extended protocol (65,535, a 16-bit count: psycopg and pg8000,
which bind on the server), asyncpg's own (32,767), or none at all for the
drivers that interpolate the values into the SQL on the client (psycopg2,
the MySQL drivers). ``bindparam(..., expanding=True, literal_execute=True)``
renders the values into the SQL instead: no parameter, one long statement.
``compile_kwargs={"render_postcompile": True}`` changes only what a compiled
statement *shows* (one placeholder per value, or the values themselves with
``literal_binds``); it is how a user sees the SQL, not a way around a limit.

Each list is one statement: SELECT count(*) over a ten-row table WHERE id IN
(1 .. N), through the sync driver and its asyncio partner; the outcome is the
count, or the exception and the first line of its message.

Cost: 40,000 and 70,000 values take 2-8 s a cell (psycopg alone spends 0.5 s
splitting a 40,000-placeholder query), against 6-8 s for the whole default
run. That scenario is therefore tagged ``long``, with the other deliberately long
observations: ``nox -t long`` runs it in each backend's default cell. The
1,000-value scenario runs in every cell.
"""

from __future__ import annotations

import sqlite3
import struct
from typing import Any

from sqlalchemy import (
    BindParameter,
    Column,
    Integer,
    MetaData,
    Select,
    Table,
    bindparam,
    exc,
    func,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from scenarios._raised import raised
from sqla_matrix.scenario import Context, Doc, Observed, scenario

SMALL = 1_000
LARGE = (40_000, 70_000)
ROWS = 10
EXPANDING = "https://docs.sqlalchemy.org/en/20/core/sqlelement.html#sqlalchemy.sql.expression.ColumnOperators.in_"
LITERAL_EXECUTE = "https://docs.sqlalchemy.org/en/20/core/sqlelement.html#sqlalchemy.sql.expression.bindparam.params.literal_execute"
RENDER_POSTCOMPILE = "https://docs.sqlalchemy.org/en/20/faq/sqlexpressions.html#rendering-postcompile-parameters-as-bound-parameters"
SQLITE_LIMITS = "https://www.sqlite.org/limits.html#max_variable_number"
#: pg8000 packs the parameter count into 16 bits itself: past 65,535 it raises struct.error.
FAILURES = (exc.StatementError, exc.InterfaceError, struct.error)
KINDS = ("sync", "async")


def _count(found: int) -> str:
    return f"{found} rows matched"


def _labels(size: int) -> tuple[str, str]:
    """The two spellings of an IN list of ``size`` values, as the report names them."""
    return (
        f"id.in_({size:,} values)",
        f"id.in_(bindparam(expanding=True, literal_execute=True)), {size:,} values",
    )


def _queries(table: Table, size: int) -> dict[str, Select[Any]]:
    ids = list(range(1, size + 1))
    counted = select(func.count()).select_from(table)
    literal: BindParameter[int] = bindparam("ids", ids, expanding=True, literal_execute=True)
    expanding, inline = _labels(size)
    return {
        expanding: counted.where(table.c.id.in_(ids)),
        inline: counted.where(table.c.id.in_(literal)),
    }


def _table(ctx: Context) -> Table:
    """The ten-row table every list is matched against (ids 1-10)."""
    metadata = MetaData()
    table = Table("listed", metadata, Column("id", Integer, primary_key=True))
    ctx.create_tables(metadata)
    with ctx.engine.begin() as conn:
        conn.execute(insert(table), [{"id": i} for i in range(1, ROWS + 1)])
    return table


def _run_each(ctx: Context, queries: dict[str, Select[Any]]) -> Observed:
    """Each query once through the sync driver and once through the asyncio one,
    each on a connection of its own: ``label: sync`` and ``label: async``."""
    observed: Observed = {}
    for label, query in queries.items():
        with ctx.engine.connect() as conn:
            try:
                observed[f"{label}: sync"] = _count(conn.execute(query).scalar_one())
            except FAILURES as error:
                observed[f"{label}: sync"] = raised(error)
                # Never back to the pool: pg8000's struct.error leaves a half-sent message,
                # and the next statement on that connection then reads no row.
                conn.invalidate()

    async def run(engine: AsyncEngine) -> Observed:
        found: Observed = {}
        for label, query in queries.items():
            async with engine.connect() as conn:
                try:
                    found[f"{label}: async"] = _count((await conn.execute(query)).scalar_one())
                except FAILURES as error:
                    found[f"{label}: async"] = raised(error)
                    await conn.invalidate()
        return found

    observed.update(ctx.run_async(run))
    return {f"{label}: {kind}": observed[f"{label}: {kind}"] for label in queries for kind in KINDS}


def _host_parameter_limit(ctx: Context) -> int | str:
    """The driver connection's own limit on host parameters, where it tells (sqlite3's
    ``getlimit``, Python 3.11+: the library's build sets it, 32,766 by default)."""
    with ctx.engine.connect() as conn:
        driver = conn.connection.driver_connection
        getlimit = getattr(driver, "getlimit", None)
        if getlimit is None:
            return "not reported by the driver"
        # SQLITE_LIMIT_VARIABLE_NUMBER (9), a constant of Python 3.11+ only
        return int(getlimit(getattr(sqlite3, "SQLITE_LIMIT_VARIABLE_NUMBER", 9)))


UNDER_EVERY_LIMIT = Doc(_count(ROWS), EXPANDING)


@scenario(
    "An IN list of 1,000 values, per driver: expanding, literal_execute, render_postcompile",
    tags=("drivers", "failing", "in_lists"),
    expect={
        **{f"{label}: {kind}": UNDER_EVERY_LIMIT for label in _labels(SMALL) for kind in KINDS},
        "render_postcompile=True: parameters in the compiled statement": Doc(
            SMALL, RENDER_POSTCOMPILE
        ),
        "render_postcompile=True, literal_binds=True: parameters in the compiled statement": Doc(
            0, RENDER_POSTCOMPILE
        ),
    },
)
def in_list_of_1000(ctx: Context) -> Observed:
    """Ten rows (ids 1-10), then SELECT count(*) WHERE id IN (1 .. 1,000), as an
    expanding parameter and rendered into the SQL (literal_execute), through the
    sync driver and the asyncio one. Then what render_postcompile makes of the
    same statement when it is compiled (what a user prints), and the driver's
    limit on host parameters where it reports one."""
    table = _table(ctx)
    observed = _run_each(ctx, _queries(table, SMALL))
    small = _queries(table, SMALL)[f"id.in_({SMALL:,} values)"]
    shown = small.compile(ctx.engine, compile_kwargs={"render_postcompile": True})
    inline = small.compile(
        ctx.engine, compile_kwargs={"render_postcompile": True, "literal_binds": True}
    )
    observed["render_postcompile=True: parameters in the compiled statement"] = len(shown.params)
    observed["render_postcompile=True: the IN clause begins"] = _in_clause(str(shown))
    observed[
        "render_postcompile=True, literal_binds=True: parameters in the compiled statement"
    ] = len(inline.params)
    observed["render_postcompile=True, literal_binds=True: the IN clause begins"] = _in_clause(
        str(inline)
    )
    observed["the sync driver's host-parameter limit"] = _host_parameter_limit(ctx)
    return observed


def _in_clause(sql: str) -> str:
    """The first 40 characters from ``IN (``: placeholders or values."""
    return sql[sql.index(" IN (") + 1 :][:40]


@scenario(
    "An IN list of 40,000 and 70,000 values, per driver: the bound-parameter limits",
    tags=("drivers", "failing", "in_lists", "long"),
    expect={
        f"{label}: sync": Doc(_count(ROWS), LITERAL_EXECUTE)
        for size in LARGE
        for label in _labels(size)[1:]
    },
)
def in_list_limits(ctx: Context) -> Observed:
    """The same SELECT count(*) WHERE id IN (1 .. N) with 40,000 and 70,000 values,
    each once as an expanding parameter and once rendered into the SQL
    (literal_execute), through the sync driver and the asyncio one. Tagged long
    (2-8 s a cell): nox -t long."""
    table = _table(ctx)
    return _run_each(ctx, {k: q for size in LARGE for k, q in _queries(table, size).items()})
