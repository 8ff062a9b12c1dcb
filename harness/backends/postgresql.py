"""PostgreSQL through psycopg 3; each run works in a schema of its own."""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from sqlalchemy import exc
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool

from harness.backends import containers
from harness.backends.base import Namespace, Target
from harness.backends.server import ServerBackend


class PostgreSQL(ServerBackend):
    name = "postgresql"
    dialects: ClassVar[tuple[str, ...]] = ("postgresql",)
    default_driver = "psycopg"
    async_driver = "asyncpg"
    driver_distribution = "psycopg"
    default_image = "postgres:17"

    def container(self, image: str) -> Any:
        try:
            from testcontainers.community.postgres import PostgresContainer
        except ImportError:  # testcontainers before 4.14
            from testcontainers.postgres import PostgresContainer
        password = secrets.token_hex(12)
        return PostgresContainer(
            image, username="matrix", password=password, dbname="matrix", driver=None
        )

    def container_url(self, container: Any) -> URL:
        host, port = containers.address(container, 5432)
        return URL.create(
            f"postgresql+{self.default_driver}",
            username=container.username,
            password=container.password,
            host=host,
            port=port,
            database=container.dbname,
        )

    def open_namespace(self, target: Target, name: str) -> Namespace:
        timeout = {"connect_timeout": self.connect_timeout}
        admin = self.make_engine(
            target.url, target.found_by, poolclass=NullPool, connect_args=timeout
        )
        try:
            with admin.begin() as conn:
                version = str(conn.exec_driver_sql("SHOW server_version").scalar())
                conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
        except exc.DBAPIError as error:
            admin.dispose()
            raise self.connect_error(target, error) from None
        # Only the run's schema is on the search path: unqualified names
        # ("users") can never reach the server's own tables.
        engine = self.make_engine(
            target.url,
            target.found_by,
            connect_args={**timeout, "options": f"-csearch_path={name}"},
        )

        def drop() -> None:
            engine.dispose()
            with admin.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{name}" CASCADE')
            admin.dispose()

        def make_async_engine() -> AsyncEngine:
            settings = {"server_settings": {"search_path": name}, "timeout": self.connect_timeout}
            return self.make_async_engine(target.url, target.found_by, connect_args=settings)

        return Namespace(
            name, engine, server_version=version, drop=drop, make_async_engine=make_async_engine
        )


BACKEND = PostgreSQL()
