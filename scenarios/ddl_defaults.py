"""server_default spellings: the CREATE TABLE each renders, and whether the server takes it.

The seed notes prefer ``server_default`` to ``default``; users then ask why one
spelling works on one database and is refused by another. Each spelling gets
a table of its own, so that one refusal does not hide the others: the column
line of its CREATE TABLE is observed, and the outcome is "accepted" or the
server's own error code (SQLSTATE, MySQL error number, SQLite's result code).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DateTime, Integer, MetaData, exc, func, literal_column, text
from sqlalchemy.schema import Column, Table

from scenarios._ddl import column_ddl, refused
from sqla_matrix.scenario import ByBackend, Context, Doc, Observed, scenario

SERVER_DEFAULT = (
    "https://docs.sqlalchemy.org/en/20/core/defaults.html"
    "#server-invoked-ddl-explicit-default-expressions"
)
MYSQL_INITIALIZATION = "https://dev.mysql.com/doc/refman/8.4/en/timestamp-initialization.html"
MARIADB_DATETIME = "https://mariadb.com/kb/en/datetime/"
PG_DEFAULTS = "https://www.postgresql.org/docs/current/ddl-default.html"
SQLITE_DEFAULT = "https://www.sqlite.org/lang_createtable.html#the_default_clause"

ON_UPDATE = 'text("CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP")'
#: name -> the server_default as a model would spell it
SPELLINGS: dict[str, Any] = {
    "func.current_date()": func.current_date(),
    "func.now()": func.now(),
    'text("CURRENT_TIMESTAMP(3)")': text("CURRENT_TIMESTAMP(3)"),
    "func.current_timestamp(6)": func.current_timestamp(literal_column("6")),
    ON_UPDATE: text("CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP"),
}


@scenario(
    "server_default spellings in DDL: what CREATE TABLE says, and does the server accept it?",
    tags=("timestamps", "ddl"),
    expect={
        # ON UPDATE is MySQL's and MariaDB's own clause; PostgreSQL's grammar has none.
        f"{ON_UPDATE} on DateTime(), no fractional digits: outcome": ByBackend(
            mysql=Doc("accepted", MYSQL_INITIALIZATION),
            mariadb=Doc("accepted", MARIADB_DATETIME),
            postgresql=Doc("refused: SQLSTATE 42601", PG_DEFAULTS),
        ),
        "func.now() on DateTime(), no fractional digits: outcome": ByBackend(
            postgresql=Doc("accepted", PG_DEFAULTS),
            sqlite=Doc("accepted", SQLITE_DEFAULT),
        ),
    },
)
def server_default_spellings(ctx: Context) -> Observed:
    """Each spelling on a plain DateTime() column: the column line SQLAlchemy renders
    for this dialect, then the server's verdict on the CREATE TABLE."""
    observed: Observed = {}
    for number, (name, default) in enumerate(SPELLINGS.items()):
        metadata = MetaData()
        Table(
            f"spelling_{number}",
            metadata,
            Column("id", Integer, primary_key=True),
            Column("stamp", DateTime(), server_default=default),
        )
        with ctx.counting() as ddl:
            try:
                ctx.create_tables(metadata)
                outcome = "accepted"
            except exc.DBAPIError as error:
                outcome = refused(error)
        # What was set: a DateTime() column has no fractional digits, which is why
        # MySQL refuses CURRENT_TIMESTAMP(3) on it (the precisions must agree).
        observed[f"{name} on DateTime(), no fractional digits: DDL"] = column_ddl(ddl, "stamp")
        observed[f"{name} on DateTime(), no fractional digits: outcome"] = outcome
    return observed
