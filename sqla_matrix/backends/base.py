"""What every backend provides: where its server is, and a namespace of the run's own."""

from __future__ import annotations

import abc
import importlib.metadata
import os
import platform
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from sqlalchemy import Engine, create_engine, exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from sqla_matrix import catalog, drivers, redact
from sqla_matrix.capabilities import Capabilities
from sqla_matrix.catalog import Declaration
from sqla_matrix.drivers import Driver, DriverPair
from sqla_matrix.errors import MatrixError, one_line

_E = TypeVar("_E", Engine, AsyncEngine)

#: Seconds to wait for a connection before calling a server unreachable.
CONNECT_TIMEOUT = 10
#: Seconds a statement may run on the server, and may wait for a lock, before the
#: server cancels it: a stalled scenario fails alone with a timeout error.
#: ``MATRIX_STATEMENT_TIMEOUT`` and ``MATRIX_LOCK_TIMEOUT`` (whole seconds) change them.
STATEMENT_TIMEOUT = 60
LOCK_TIMEOUT = 10


def server_limits(environ: Mapping[str, str] = os.environ) -> tuple[int, int]:
    """The statement and lock bounds, in seconds, that every connection sets."""
    bounds = []
    for variable, default in (
        ("MATRIX_STATEMENT_TIMEOUT", STATEMENT_TIMEOUT),
        ("MATRIX_LOCK_TIMEOUT", LOCK_TIMEOUT),
    ):
        text = environ.get(variable, "").strip()
        if text and not (text.isdigit() and int(text) > 0):
            raise MatrixError(f"{variable}={text!r}: give a whole number of seconds, e.g. 30")
        bounds.append(int(text) if text else default)
    return bounds[0], bounds[1]


@dataclass
class Target:
    """A reachable server (or the embedded SQLite), and how the matrix found it."""

    url: URL
    found_by: str  # "MATRIX_POSTGRESQL_URL", "testcontainers (postgres:17)", "embedded"
    stop: Callable[[], None] = field(default=lambda: None)


@dataclass
class Namespace:
    """The run's own schema, database or file, and engines confined to it."""

    name: str
    engine: Engine
    server_version: str
    drop: Callable[[], None]
    #: An async engine on the same namespace, through the configuration's asyncio driver.
    make_async_engine: Callable[[], AsyncEngine]
    #: What the backend calls it: "schema", "database" or "file".
    kind: str = "schema"


class Backend(abc.ABC):
    """A database product, as SQLAlchemy's dialect names it. One module each.

    A configuration of the matrix is a backend at a server version through a pair
    of drivers (sqla_matrix.drivers); everything here is shared by all of them.
    """

    #: What it is (sqla_matrix/catalog.py): the attributes below come from it.
    declaration: ClassVar[Declaration]
    name: ClassVar[str]
    #: The product's own name, as pages show it ("PostgreSQL").
    title: ClassVar[str]
    #: The sync drivers a configuration may be named after, the default first.
    driver_names: ClassVar[tuple[str, ...]]
    #: Server versions a configuration may ask for ("postgresql15"); empty: none.
    versions: ClassVar[tuple[str, ...]] = ()
    #: What it can do, for scenarios to ask (``ctx.capabilities``); every backend declares it.
    capabilities: ClassVar[Capabilities]
    #: Dialect names accepted in the backend's URL variable.
    dialects: ClassVar[tuple[str, ...]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared = cls.__dict__.get("declaration")
        if declared is not None:
            cls.name, cls.title = declared.name, declared.title
            cls.driver_names, cls.versions = declared.drivers, declared.versions
            cls.capabilities = declared.capabilities

    def variable(self, kind: str, server: str | None = None) -> str:
        """``MATRIX_POSTGRESQL_URL``, or ``MATRIX_POSTGRESQL_15_URL`` at a server version
        (the catalogue's naming)."""
        return catalog.variable(self.name, kind, server)

    @property
    def url_variable(self) -> str:
        return self.variable("URL")

    def check_server_request(self, server: str | None) -> None:
        """A server version this backend knows, or one line naming those it does."""
        if server is not None and server not in self.versions:
            known = ", ".join(self.versions) or "none (it has no server)"
            raise MatrixError(
                f"unknown {self.name} server version {server!r}: choose one of {known}"
            )

    def locate(self, environ: Mapping[str, str] = os.environ, server: str | None = None) -> Target:
        """The server to run on: the URL variable first, else ``locate_without_url``.

        Raises ``BackendNotRun`` when the backend is simply absent and
        ``MatrixError`` when what was given cannot be used.
        """
        variable = self.variable("URL", server)
        text = environ.get(variable, "").strip()
        if text:
            # The release history starts one server for all its releases and hands it on
            # as this URL; MATRIX_<BACKEND>_URL_FOUND_BY then says where it came from.
            found_by = environ.get(f"{variable}_FOUND_BY", "").strip() or variable
            return Target(self.parse_url(text, variable), found_by=found_by)
        return self.locate_without_url(environ, server)

    @abc.abstractmethod
    def locate_without_url(self, environ: Mapping[str, str], server: str | None) -> Target:
        """Find or start a server when no URL is given."""

    def parse_url(self, text: str, variable: str | None = None) -> URL:
        """Check a URL from the environment; its driver part, if any, is kept."""
        variable = variable or self.url_variable
        try:
            url = make_url(text)
        except exc.ArgumentError:
            raise MatrixError(
                f"{variable} is not a database URL; expected the form "
                f"{self.name}+{self.driver_names[0]}://user:password@host:port/database"
            ) from None
        redact.register_url(url)
        dialect, _, driver = url.drivername.partition("+")
        if dialect not in self.dialects:
            raise MatrixError(
                f"{variable} names the dialect {dialect!r}; "
                f"it must be a {' or '.join(self.dialects)} URL"
            )
        if driver:
            try:
                drivers.pair(self.name, driver)
            except MatrixError as error:
                raise MatrixError(f"{variable} names an {error}") from None
        return url.set(drivername=f"{self.dialects[0]}+{driver}" if driver else self.dialects[0])

    def make_engine(self, url: URL, driver: Driver, found_by: str, **kwargs: Any) -> Engine:
        """``create_engine`` through ``driver``, a missing driver turned into one line."""
        return self._create(create_engine, url, driver, found_by, **kwargs)

    def make_async_engine(
        self, url: URL, driver: Driver, found_by: str, **kwargs: Any
    ) -> AsyncEngine:
        """The same, for ``create_async_engine`` and an asyncio driver."""
        return self._create(create_async_engine, url, driver, found_by, **kwargs)

    def _create(
        self, factory: Callable[..., _E], url: URL, driver: Driver, found_by: str, **kwargs: Any
    ) -> _E:
        url = url.set(drivername=f"{self.dialects[0]}+{driver.name}")
        if driver.timeout_argument:
            connect_args = {
                driver.timeout_argument: CONNECT_TIMEOUT,
                **kwargs.pop("connect_args", {}),
            }
            kwargs["connect_args"] = connect_args
        try:
            return factory(url, **kwargs)
        except exc.NoSuchModuleError:
            raise MatrixError(
                f"{found_by}: this SQLAlchemy has no driver {url.drivername!r}; "
                f"choose one of {', '.join(self.driver_names)}"
            ) from None
        except ImportError as error:
            raise MatrixError(
                f"{found_by}: the driver for {url.drivername!r} is not installed "
                f"({one_line(error)}); install its extra (sqla-matrix[{driver.name}]) "
                f"or run its nox session"
            ) from None

    def connect_error(self, target: Target, error: Exception) -> MatrixError:
        """An unreachable or refusing server, as one line naming where it came from."""
        detail = error.orig if isinstance(error, exc.DBAPIError) and error.orig else error
        return MatrixError(
            f"{self.name}: cannot use {redact.shown(target.url)} "
            f"(from {target.found_by}): {redact.redact(one_line(detail))}"
        )

    def check_version(self, server_version: str, server: str | None, target: Target) -> None:
        """A configuration that asked for a server version must have reached that version."""
        if server is not None and not server_version.startswith(f"{server}."):
            raise MatrixError(
                f"{self.name}{server}: {target.found_by} reached {self.name} "
                f"{server_version.split()[0]}, not {server}; point it at a {server} server"
            )

    @abc.abstractmethod
    def open_namespace(self, target: Target, name: str, pair: DriverPair) -> Namespace:
        """Create the run's own namespace called ``name`` and engines confined to it."""

    def driver_implementation(self, driver: Driver, engine: Engine | None) -> str | None:
        """Which of ``driver``'s implementations ran, for a driver that has more than one;
        None for one that has a single implementation. psycopg's libpq wrapper:
        ``c``, ``binary`` or ``python`` (psycopg.pq.__impl__,
        https://www.psycopg.org/psycopg3/docs/api/pq.html#pq-impl); mysql-connector:
        its ``C extension`` or ``pure Python``, read from the class of a connection
        ``engine`` opened (https://dev.mysql.com/doc/connector-python/en/connector-python-cext.html)."""
        if driver.name in ("psycopg", "psycopg_async"):
            import psycopg

            return str(psycopg.pq.__impl__)
        if driver.name == "mysqlconnector" and engine is not None:
            with engine.connect() as conn:
                opened = type(conn.connection.driver_connection)
            if opened.__name__ == "CMySQLConnection":
                return "C extension"
            return "pure Python" if opened.__name__ == "MySQLConnection" else opened.__name__
        return None

    def driver_version(self, driver: Driver) -> str:
        """The installed version of ``driver``'s distribution."""
        if driver.distribution is None:
            return f"Python {platform.python_version()}"
        for distribution in (driver.distribution, driver.distribution.removesuffix("-binary")):
            try:
                return importlib.metadata.version(distribution)
            except importlib.metadata.PackageNotFoundError:
                continue
        return "unknown"
