"""Database errors, classified by what the server said, whichever driver carried it.

Drivers wrap one server error in different DBAPI classes: a foreign-key
violation reaches SQLAlchemy as ``IntegrityError`` from psycopg but as
``ProgrammingError`` from pg8000. Scenarios therefore ask the server's own
code — PostgreSQL's SQLSTATE, MySQL's and MariaDB's error number, SQLite's
extended result code — so that "rejected" is one observation on every driver.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import exc

#: MySQL/MariaDB error numbers whose SQLSTATE is 23000 (integrity constraint
#: violation): https://dev.mysql.com/doc/mysql-errors/8.4/en/server-error-reference.html
#: and https://mariadb.com/kb/en/mariadb-error-codes/ (4025: CHECK constraint).
_MYSQL_INTEGRITY = {1022, 1048, 1062, 1169, 1216, 1217, 1451, 1452, 1557, 1586, 1761, 1762}
_MYSQL_INTEGRITY |= {1859, 3819, 4025}


def _orig(error: BaseException) -> Any:
    return error.orig if isinstance(error, exc.DBAPIError) and error.orig else error


def sqlstate(error: BaseException) -> str | None:
    """PostgreSQL's SQLSTATE, as psycopg, psycopg2, pg8000 and asyncpg each carry it."""
    orig = _orig(error)
    for attribute in ("sqlstate", "pgcode"):  # psycopg 3 / psycopg2, SQLAlchemy's asyncpg
        value = getattr(orig, attribute, None)
        if isinstance(value, str) and len(value) == 5:
            return value
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], dict) and isinstance(args[0].get("C"), str):
        return str(args[0]["C"])  # pg8000: the server's ErrorResponse fields
    cause = orig.__cause__
    return sqlstate(cause) if cause is not None and cause is not orig else None


def mysql_errno(error: BaseException) -> int | None:
    """The MySQL/MariaDB error number (PyMySQL, mysqlclient, aiomysql, asyncmy: args[0];
    mysql-connector-python and MariaDB Connector: ``errno``)."""
    orig = _orig(error)
    errno = getattr(orig, "errno", None)
    if isinstance(errno, int) and errno > 0:
        return errno
    args = getattr(orig, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def code(error: BaseException) -> str | None:
    """The server's own code for ``error``: "SQLSTATE 23503", "MySQL 1452",
    "SQLITE_CONSTRAINT_FOREIGNKEY"; None when the server gave none."""
    orig = _orig(error)
    if isinstance(orig, sqlite3.Error):
        return getattr(orig, "sqlite_errorname", None) or type(orig).__name__
    errno = mysql_errno(error)  # first: mysql-connector also carries a coarse sqlstate
    if errno is not None:
        return f"MySQL {errno}"
    state = sqlstate(error)
    return f"SQLSTATE {state}" if state is not None else None


def is_constraint_violation(error: BaseException) -> bool:
    """The server refused the statement because of a constraint (SQLSTATE class 23)."""
    orig = _orig(error)
    if isinstance(orig, sqlite3.Error):
        return isinstance(orig, sqlite3.IntegrityError)
    errno = mysql_errno(error)
    if errno is not None:
        return errno in _MYSQL_INTEGRITY
    return (sqlstate(error) or "").startswith("23")


def refusal(error: BaseException) -> str:
    """``error`` as a scenario records a refusal ("SQLSTATE 23505"), or ``error``
    raised again when it is not a constraint violation (a lost server, a bug)."""
    if not is_constraint_violation(error):
        raise error
    return code(error) or type(_orig(error)).__name__
