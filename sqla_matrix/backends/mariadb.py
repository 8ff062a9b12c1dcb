"""MariaDB, through SQLAlchemy's own ``mariadb`` dialect, with any MySQL driver or its own."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import Connection

from sqla_matrix import catalog
from sqla_matrix.backends.base import Target, server_limits
from sqla_matrix.backends.mysql import MySQL


class MariaDB(MySQL):
    declaration = catalog.MARIADB
    # A mysql:// URL is accepted and run with the mariadb dialect, which
    # itself refuses a server that is not MariaDB.
    dialects: ClassVar[tuple[str, ...]] = ("mariadb", "mysql")
    official_image = "mariadb"
    default_version = "11.4"

    def session_limits(self) -> list[str]:
        """MariaDB's manual: max_statement_time (seconds, every statement),
        lock_wait_timeout and innodb_lock_wait_timeout."""
        statement_bound, lock_bound = server_limits()
        return [
            f"SET SESSION max_statement_time = {statement_bound}",
            f"SET SESSION lock_wait_timeout = {lock_bound}",
            f"SET SESSION innodb_lock_wait_timeout = {lock_bound}",
        ]

    def check_server(self, conn: Connection, target: Target) -> None:
        """SQLAlchemy's mariadb dialect already refused a server that is not MariaDB."""


BACKEND = MariaDB()
