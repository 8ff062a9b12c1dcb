"""PostgreSQL; each run works in a schema of its own, whichever driver it goes through."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from sqlalchemy import Engine, event, exc
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool

from sqla_matrix import catalog
from sqla_matrix.backends import containers, embedded
from sqla_matrix.backends.base import Namespace, Target, server_limits
from sqla_matrix.backends.server import ServerBackend
from sqla_matrix.drivers import DriverPair
from sqla_matrix.errors import BackendNotRun


class PostgreSQL(ServerBackend):
    declaration = catalog.POSTGRESQL
    dialects: ClassVar[tuple[str, ...]] = ("postgresql",)
    official_image = "postgres"
    default_version = "17"

    def locate_without_url(self, environ: Mapping[str, str], server: str | None) -> Target:
        """A container (testcontainers), else the embedded server from PyPI's wheel when
        no image was named and the configuration asks for no version or for its version."""
        try:
            return super().locate_without_url(environ, server)
        except BackendNotRun as absent:
            if not catalog.get(self.name).runs_embedded(server, environ):
                raise
            try:
                return embedded.start()
            except BackendNotRun as no_embedded:
                raise BackendNotRun(
                    f"{absent.reason}, and {no_embedded.reason}",
                    " ".join(filter(None, (absent.remedy, no_embedded.remedy))),
                ) from None

    def container(self, image: str) -> Any:
        try:
            from testcontainers.community.postgres import PostgresContainer
        except ImportError:  # testcontainers before 4.14
            from testcontainers.postgres import PostgresContainer
        password = containers.password()
        return PostgresContainer(
            image, username="matrix", password=password, dbname="matrix", driver=None
        )

    def container_url(self, container: Any) -> URL:
        host, port = containers.address(container, 5432)
        return URL.create(
            "postgresql",
            username=container.username,
            password=container.password,
            host=host,
            port=port,
            database=container.dbname,
        )

    def open_namespace(self, target: Target, name: str, pair: DriverPair) -> Namespace:
        found_by = target.found_by
        admin = self.make_engine(target.url, pair.sync, found_by, poolclass=NullPool)
        try:
            with admin.begin() as conn:
                version = str(conn.exec_driver_sql("SHOW server_version").scalar())
                conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
        except exc.DBAPIError as error:
            admin.dispose()
            raise self.connect_error(target, error) from None
        engine = confined(self.make_engine(target.url, pair.sync, found_by), name)

        def drop() -> None:
            engine.dispose()
            with admin.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{name}" CASCADE')
            admin.dispose()

        def make_async_engine() -> AsyncEngine:
            async_engine = self.make_async_engine(target.url, pair.asyncio, found_by)
            confined(async_engine.sync_engine, name)
            return async_engine

        return Namespace(
            name, engine, server_version=version, drop=drop, make_async_engine=make_async_engine
        )


def confined(engine: Engine, schema: str) -> Engine:
    """Only ``schema`` on every new connection's search path, whatever the driver:
    unqualified names ("users") can never reach the server's own tables. And
    the server's own limits on a statement and on a lock wait, so that a
    scenario blocked by another session fails alone, with a timeout error.

    The recipe of SQLAlchemy's PostgreSQL dialect docs, "Setting Alternate
    Search Paths on Connect" (autocommit, so no transaction is left open);
    statement_timeout and lock_timeout: PostgreSQL's manual, "Client
    Connection Defaults".
    """
    statement_bound, lock_bound = server_limits()

    @event.listens_for(engine, "connect", insert=True)
    def set_search_path(dbapi_connection: Any, connection_record: Any) -> None:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        cursor = dbapi_connection.cursor()
        cursor.execute(f'SET SESSION search_path TO "{schema}"')
        cursor.execute(f"SET SESSION statement_timeout = '{statement_bound}s'")
        cursor.execute(f"SET SESSION lock_timeout = '{lock_bound}s'")
        cursor.close()
        dbapi_connection.autocommit = autocommit

    return engine


BACKEND = PostgreSQL()
