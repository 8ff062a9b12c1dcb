"""MySQL; each run works in a database of its own, whichever driver it goes through."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import Connection, Engine, event, exc
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool

from sqla_matrix import catalog
from sqla_matrix.backends import containers
from sqla_matrix.backends.base import Namespace, Target, server_limits
from sqla_matrix.backends.server import ServerBackend
from sqla_matrix.drivers import DriverPair
from sqla_matrix.errors import MatrixError


class MySQL(ServerBackend):
    declaration = catalog.MYSQL
    dialects: ClassVar[tuple[str, ...]] = ("mysql",)
    official_image = "mysql"
    default_version = "8.4"

    def container(self, image: str) -> Any:
        try:
            from testcontainers.community.mysql import MySqlContainer
        except ImportError:  # testcontainers before 4.14
            from testcontainers.mysql import MySqlContainer
        password = containers.password()
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

    def session_limits(self) -> list[str]:
        """The server's own limits on a statement and a lock wait, set on every connection:
        a scenario blocked by another session fails alone, with a timeout error. MySQL's
        manual: max_execution_time (SELECT only, ms), lock_wait_timeout (metadata locks),
        innodb_lock_wait_timeout (row locks)."""
        statement_bound, lock_bound = server_limits()
        return [
            f"SET SESSION max_execution_time = {statement_bound * 1000}",
            f"SET SESSION lock_wait_timeout = {lock_bound}",
            f"SET SESSION innodb_lock_wait_timeout = {lock_bound}",
        ]

    def limited(self, engine: Engine) -> Engine:
        """``engine`` with :meth:`session_limits` on each new connection (sync or asyncio)."""

        @event.listens_for(engine, "connect")
        def set_limits(dbapi_connection: Any, connection_record: Any) -> None:
            cursor = dbapi_connection.cursor()
            for statement in self.session_limits():
                cursor.execute(statement)
            cursor.close()

        return engine

    def check_server(self, conn: Connection, target: Target) -> None:
        """The server must be the product this configuration is about."""
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
        engine = self.limited(self.make_engine(url, pair.sync, found_by))

        def drop() -> None:
            engine.dispose()
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP DATABASE `{name}`")
            admin.dispose()

        def make_async_engine() -> AsyncEngine:
            async_engine = self.make_async_engine(url, pair.asyncio, found_by)
            self.limited(async_engine.sync_engine)
            return async_engine

        return Namespace(
            name,
            engine,
            server_version=version,
            drop=drop,
            make_async_engine=make_async_engine,
            kind="database",
        )


BACKEND = MySQL()
