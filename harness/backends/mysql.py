"""MySQL; each run works in a database of its own, whichever driver it goes through."""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from sqlalchemy import Connection, exc
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool

from harness.backends import containers
from harness.backends.base import Namespace, Target
from harness.backends.server import ServerBackend
from harness.drivers import DriverPair
from harness.errors import MatrixError


class MySQL(ServerBackend):
    name = "mysql"
    dialects: ClassVar[tuple[str, ...]] = ("mysql",)
    versions: ClassVar[tuple[str, ...]] = ("8.0", "8.4", "9.7")
    official_image = "mysql"
    default_version = "8.4"

    def container(self, image: str) -> Any:
        try:
            from testcontainers.community.mysql import MySqlContainer
        except ImportError:  # testcontainers before 4.14
            from testcontainers.mysql import MySqlContainer
        password = secrets.token_hex(12)
        # root, so that the run may create (and drop) a database of its own.
        return MySqlContainer(image, username="root", password=password, dbname="matrix")

    def container_url(self, container: Any) -> URL:
        host, port = containers.address(container, 3306)
        return URL.create(
            self.dialects[0],
            username=container.username,
            password=container.password,
            host=host,
            port=port,
            database=container.dbname,
        )

    def check_server(self, conn: Connection, target: Target) -> None:
        """The server must be the product this column is about."""
        if conn.dialect.is_mariadb:  # type: ignore[attr-defined]
            raise MatrixError(
                f"mysql: {target.found_by} points at a MariaDB server; "
                "point it at MySQL, or give this server as MATRIX_MARIADB_URL"
            )

    def open_namespace(self, target: Target, name: str, pair: DriverPair) -> Namespace:
        found_by = target.found_by
        admin = self.make_engine(target.url, pair.sync, found_by, poolclass=NullPool)
        try:
            with admin.begin() as conn:
                self.check_server(conn, target)
                version = str(conn.exec_driver_sql("SELECT VERSION()").scalar())
                conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        except (exc.DBAPIError, exc.InvalidRequestError) as error:
            admin.dispose()
            raise self.connect_error(target, error) from None
        except MatrixError:
            admin.dispose()
            raise
        url = target.url.set(database=name)
        engine = self.make_engine(url, pair.sync, found_by)

        def drop() -> None:
            engine.dispose()
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP DATABASE `{name}`")
            admin.dispose()

        def make_async_engine() -> AsyncEngine:
            return self.make_async_engine(url, pair.asyncio, found_by)

        return Namespace(
            name, engine, server_version=version, drop=drop, make_async_engine=make_async_engine
        )


BACKEND = MySQL()
