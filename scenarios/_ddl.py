"""Reading the DDL a scenario caused, and the server's verdict on it."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import exc

from sqla_matrix.dberrors import code
from sqla_matrix.recording import Statement


def refused(error: exc.DBAPIError) -> str:
    """A refusal as the server coded it: ``refused: SQLSTATE 42601``, ``refused: 1064``
    (an error without a server code, a lost server, is raised again)."""
    server_code = code(error)
    if server_code is None:
        raise error
    return f"refused: {server_code}"


def column_ddl(statements: Iterable[Statement], column: str) -> str:
    """The line of the first recorded CREATE TABLE that defines ``column``."""
    create = next(s.sql for s in statements if s.sql.startswith("CREATE TABLE"))
    for line in create.splitlines():
        if line.strip().startswith(f"{column} "):
            return line.strip().rstrip(",")
    raise LookupError(f"no column {column} in the recorded CREATE TABLE")
