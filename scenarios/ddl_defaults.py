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
from sqla_matrix.scenario import ByBackend, Context, Doc, KnownBug, Observed, When, scenario

SERVER_DEFAULT = (
    "https://docs.sqlalchemy.org/en/20/core/defaults.html"
    "#server-invoked-ddl-explicit-default-expressions"
)
MYSQL_INITIALIZATION = "https://dev.mysql.com/doc/refman/8.4/en/timestamp-initialization.html"
MARIADB_DATETIME = "https://mariadb.com/kb/en/datetime/"
PG_DEFAULTS = "https://www.postgresql.org/docs/current/ddl-default.html"
SQLITE_DEFAULT = "https://www.sqlite.org/lang_createtable.html#the_default_clause"

ON_UPDATE = 'text("CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP")'
LOWER_ON_UPDATE = 'text("current_timestamp on update current_timestamp") (#12488)'
CHANGELOG_12488 = "https://docs.sqlalchemy.org/en/20/changelog/changelog_20.html#change-2.0.41"
#: name -> the server_default as a model would spell it
SPELLINGS: dict[str, Any] = {
    "func.current_date()": func.current_date(),
    "func.now()": func.now(),
    'text("CURRENT_TIMESTAMP(3)")': text("CURRENT_TIMESTAMP(3)"),
    "func.current_timestamp(6)": func.current_timestamp(literal_column("6")),
    ON_UPDATE: text("CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP"),
    # 2.0.40 (#12425) parenthesised a text default holding spaces; 2.0.41 (#12488) stopped
    # doing so for MySQL's ON UPDATE written in lower case, which MySQL refuses in brackets.
    LOWER_ON_UPDATE: text("current_timestamp on update current_timestamp"),
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
        f"{LOWER_ON_UPDATE} on DateTime(), no fractional digits: outcome": ByBackend(
            mysql=When(
                {
                    "sqlalchemy==2.0.40": KnownBug(
                        "refused: MySQL 1064",
                        "https://github.com/sqlalchemy/sqlalchemy/issues/12488",
                        fixed_in="2.0.41",
                        workaround="write ON UPDATE in capitals",
                    ),
                    "sqlalchemy>=2.0.0": Doc("accepted", CHANGELOG_12488),
                }
            ),
            mariadb=When(
                {
                    "sqlalchemy==2.0.40": KnownBug(
                        "refused: MySQL 1064",
                        "https://github.com/sqlalchemy/sqlalchemy/issues/12488",
                        fixed_in="2.0.41",
                        workaround="write ON UPDATE in capitals",
                    ),
                    "sqlalchemy>=2.0.0": Doc("accepted", CHANGELOG_12488),
                }
            ),
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
