"""Reading the DDL a scenario caused."""

from __future__ import annotations

from collections.abc import Iterable

from harness.recording import Statement


def column_ddl(statements: Iterable[Statement], column: str) -> str:
    """The line of the first recorded CREATE TABLE that defines ``column``."""
    create = next(s.sql for s in statements if s.sql.startswith("CREATE TABLE"))
    for line in create.splitlines():
        if line.strip().startswith(f"{column} "):
            return line.strip().rstrip(",")
    raise LookupError(f"no column {column} in the recorded CREATE TABLE")
