"""What an INSERT gives each kind of default, and where its time comes from.

The seed notes contrast ``server_default=func.now()`` with ``default=``. Users
then meet two more spellings: ``default=func.now()`` (a SQL expression the
*client* puts into its INSERT) and a column that has only ``onupdate=``.
One table holds all four; a row is inserted by the ORM with the client's
clock shifted a day back (time-machine), and another by a raw INSERT that
never went through SQLAlchemy. Observed: the DDL of each column, whether
SQLAlchemy's INSERT names it, the value each row got, and whose clock set it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import time_machine
from sqlalchemy import DateTime, Integer, MetaData, String, func, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped
from sqlalchemy.schema import Column, Table

from scenarios._ddl import column_ddl
from sqla_matrix.scenario import Context, Doc, Observed, scenario

DEFAULTS = "https://docs.sqlalchemy.org/en/20/core/defaults.html"
CLIENT_SQL = f"{DEFAULTS}#client-invoked-sql-expressions"
PYTHON_FUNCTIONS = f"{DEFAULTS}#python-executed-functions"
SERVER_DEFAULT = f"{DEFAULTS}#server-invoked-ddl-explicit-default-expressions"
ONUPDATE = f"{DEFAULTS}#scalar-defaults"

#: name -> the column's keyword arguments, as a model would write them
KINDS: dict[str, dict[str, Any]] = {
    "onupdate=func.now() only": {"onupdate": func.now()},
    "default=func.now()": {"default": func.now()},
    "default=datetime.now": {"default": datetime.now},
    "server_default=func.now()": {"server_default": func.now()},
}
COLUMNS = dict(zip(KINDS, ("only_onupdate", "client_sql", "client_python", "server"), strict=True))


@scenario(
    "On INSERT: onupdate only, default=func.now(), default=datetime.now, server_default",
    tags=("timestamps", "defaults"),
    expect={
        "onupdate=func.now() only: ORM INSERT gives": Doc("none", ONUPDATE),
        "default=func.now(): clock": Doc("the server's", CLIENT_SQL),
        "default=datetime.now: clock": Doc("the client's", PYTHON_FUNCTIONS),
        "server_default=func.now(): clock": Doc("the server's", SERVER_DEFAULT),
        "default=func.now(): raw INSERT gives": Doc("none", CLIENT_SQL),
        "default=datetime.now: raw INSERT gives": Doc("none", PYTHON_FUNCTIONS),
        "server_default=func.now(): raw INSERT gives": Doc("a time", SERVER_DEFAULT),
    },
)
def insert_defaults(ctx: Context) -> Observed:
    """default=func.now() is rendered into SQLAlchemy's own INSERT (the server
    evaluates it, so the time is the server's) but is not in the DDL, so a raw
    INSERT leaves the column empty; only server_default is in the table itself."""
    metadata = MetaData()
    table = Table(
        "stamped",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(20)),
        *(Column(COLUMNS[kind], DateTime, **kwargs) for kind, kwargs in KINDS.items()),
    )
    with ctx.counting() as ddl:
        ctx.create_tables(metadata)

    class Base(DeclarativeBase):
        pass

    class Stamped(Base):
        __table__ = table
        id: Mapped[int]

    session = ctx.session()
    client_shift = timedelta(days=1)
    shifted = time_machine.travel(datetime.now(timezone.utc) - client_shift, tick=True)
    with shifted, ctx.counting() as orm_insert:
        session.add(Stamped(id=1, name="orm"))
        session.commit()
    with ctx.engine.begin() as conn:
        conn.execute(text("INSERT INTO stamped (id, name) VALUES (2, 'raw')"))
        server_now = conn.execute(select(func.now())).scalar_one()
    with ctx.engine.connect() as conn:
        rows = {row.id: row for row in conn.execute(select(table))}
    insert_sql = next(s.sql for s in orm_insert if s.sql.startswith("INSERT"))
    match = re.match(r"INSERT INTO \w+ \(([^)]*)\)", insert_sql)
    named = {name.strip() for name in match[1].split(",")} if match else set()
    server_clock = server_now.replace(tzinfo=None)
    observed: Observed = {"SQLAlchemy's INSERT": insert_sql}
    for kind, column in COLUMNS.items():
        orm_value = getattr(rows[1], column)
        observed[f"{kind}: DDL"] = column_ddl(ddl, column)
        observed[f"{kind}: named in SQLAlchemy's INSERT"] = column in named
        observed[f"{kind}: ORM INSERT gives"] = "a time" if orm_value is not None else "none"
        if orm_value is not None:
            behind = server_clock - orm_value.replace(tzinfo=None)
            observed[f"{kind}: clock"] = (
                "the client's" if behind > client_shift / 2 else "the server's"
            )
        raw_value = getattr(rows[2], column)
        observed[f"{kind}: raw INSERT gives"] = "a time" if raw_value is not None else "none"
    return observed


#: What users type for these behaviours (read by the site's search: sqla_matrix/site/words.py).
SYNONYMS = {
    "clock": ("same time", "whose clock", "client time or server time"),
    "insert_defaults": ("created_at", "default timestamp"),
}
