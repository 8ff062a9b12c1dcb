"""A ``str`` compared with a DateTime column: which drivers refuse it, and which fix works.

``User.created_at == "2024-05-06 12:00:00"`` reads naturally, and on some
columns it works: SQLAlchemy gives the literal the column's type, and the
string then meets that type's bind processor (SQLite's insists on a
``datetime``), the driver's encoder (asyncpg's wants a ``datetime`` for a
``timestamp`` parameter) or the server (which parses the text, or refuses to
compare a timestamp with a varchar). Each spelling is run through the sync
driver and its asyncio partner against one row stored at 12:00, and the
outcome is the number of rows it matched or the error a user sees.

The fixes tried: a ``datetime`` (the value the type is documented to take);
``bindparam(..., type_=String())`` and ``type_coerce(..., String())`` (the
string sent as a string: no DateTime processing, the server decides);
``cast(..., DateTime())`` (the server converts the text).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    cast,
    exc,
    func,
    insert,
    select,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from scenarios._raised import raised
from sqla_matrix.scenario import Context, Doc, Observed, scenario

SA_DATETIME = "https://docs.sqlalchemy.org/en/20/core/type_basics.html#sqlalchemy.types.DateTime"

NOON = datetime(2024, 5, 6, 12, 0, 0)
TEXT = "2024-05-06 12:00:00"

#: spelling, as a user writes it -> the WHERE clause it builds on the table's column
SPELLINGS: dict[str, Callable[[Any], ColumnElement[bool]]] = {
    f'created_at == "{TEXT}" (a str)': lambda c: c == TEXT,
    "created_at == datetime(2024, 5, 6, 12, 0)": lambda c: c == NOON,
    "created_at == bindparam('at', str, type_=String())": lambda c: (
        c == bindparam("at", TEXT, type_=String())
    ),
    "created_at == type_coerce(str, String())": lambda c: c == type_coerce(TEXT, String()),
    "created_at == type_coerce(str, DateTime())": lambda c: c == type_coerce(TEXT, DateTime()),
    "created_at == cast(str, DateTime())": lambda c: c == cast(TEXT, DateTime()),
}
FAILURES = (exc.StatementError, TypeError, ValueError)
KINDS = ("sync", "async")


def _matched(found: int) -> str:
    return f"{found} row" if found == 1 else f"{found} rows"


@scenario(
    "A str compared with a DateTime column, per driver: the error, and which fix works",
    tags=("timestamps", "drivers", "failing"),
    expect={
        f"created_at == datetime(2024, 5, 6, 12, 0): {kind}": Doc("1 row", SA_DATETIME)
        for kind in KINDS
    },
)
def str_against_datetime(ctx: Context) -> Observed:
    """One row stored at 2024-05-06 12:00:00 in a plain DateTime() column, then
    SELECT count(*) WHERE created_at = <each spelling>, through the sync driver
    and through the asyncio one, each on a connection of its own (a refused
    statement ends a PostgreSQL transaction). The outcome is the count, or the
    driver's or server's exception and the first line of its message."""
    metadata = MetaData()
    table = Table(
        "stamped_rows",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("created_at", DateTime()),
    )
    ctx.create_tables(metadata)
    with ctx.engine.begin() as conn:
        conn.execute(insert(table).values(id=1, created_at=NOON))
    queries = {
        label: select(func.count()).select_from(table).where(where(table.c.created_at))
        for label, where in SPELLINGS.items()
    }
    observed: Observed = {}
    for label, query in queries.items():
        with ctx.engine.connect() as conn:
            try:
                observed[f"{label}: sync"] = _matched(conn.execute(query).scalar_one())
            except FAILURES as error:
                observed[f"{label}: sync"] = raised(error)
                conn.rollback()

    async def run(engine: AsyncEngine) -> Observed:
        found: Observed = {}
        for label, query in queries.items():
            async with engine.connect() as conn:
                try:
                    found[f"{label}: async"] = _matched((await conn.execute(query)).scalar_one())
                except FAILURES as error:
                    found[f"{label}: async"] = raised(error)
                    await conn.rollback()
        return found

    observed.update(ctx.run_async(run))
    return {
        f"{label}: {kind}": observed[f"{label}: {kind}"] for label in SPELLINGS for kind in KINDS
    }
