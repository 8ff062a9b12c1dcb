"""What every backend provides: where its server is, and a namespace of the run's own."""

from __future__ import annotations

import abc
import importlib.metadata
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from sqlalchemy import Engine, create_engine, exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from harness import redact
from harness.errors import MatrixError, one_line

_E = TypeVar("_E", Engine, AsyncEngine)


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
    #: An async engine on the same namespace, through the backend's async driver.
    make_async_engine: Callable[[], AsyncEngine]


class Backend(abc.ABC):
    """One column of the matrix. A subclass per database, one module each."""

    name: ClassVar[str]
    #: Dialect names accepted in the backend's URL variable.
    dialects: ClassVar[tuple[str, ...]]
    #: The driver used when a URL names none ("postgresql://..." -> psycopg).
    default_driver: ClassVar[str]
    #: Distribution names to read the driver's version from.
    driver_distribution: ClassVar[str]

    @property
    def url_variable(self) -> str:
        return f"MATRIX_{self.name.upper()}_URL"

    @property
    def image_variable(self) -> str:
        return f"MATRIX_{self.name.upper()}_IMAGE"

    def locate(self, environ: Mapping[str, str] = os.environ) -> Target:
        """The server to run on: the URL variable first, else ``locate_without_url``.

        Raises ``BackendNotRun`` when the backend is simply absent and
        ``MatrixError`` when what was given cannot be used.
        """
        text = environ.get(self.url_variable, "").strip()
        if text:
            return Target(self.parse_url(text), found_by=self.url_variable)
        return self.locate_without_url(environ)

    @abc.abstractmethod
    def locate_without_url(self, environ: Mapping[str, str]) -> Target:
        """Find or start a server when no URL is given."""

    def parse_url(self, text: str) -> URL:
        """Check a URL from the environment; fill in the default driver."""
        try:
            url = make_url(text)
        except exc.ArgumentError:
            raise MatrixError(
                f"{self.url_variable} is not a database URL; expected the form "
                f"{self.name}+{self.default_driver}://user:password@host:port/database"
            ) from None
        redact.register_url(url)
        dialect, _, driver = url.drivername.partition("+")
        if dialect not in self.dialects:
            raise MatrixError(
                f"{self.url_variable} names the dialect {dialect!r}; "
                f"it must be a {' or '.join(self.dialects)} URL"
            )
        return url.set(drivername=f"{self.dialects[0]}+{driver or self.default_driver}")

    #: The asyncio driver used by ``make_async_engine`` (SQLAlchemy's name for it).
    async_driver: ClassVar[str]

    def make_engine(self, url: URL, found_by: str, **kwargs: Any) -> Engine:
        """``create_engine`` with a missing or unknown driver turned into one line."""
        return self._create(create_engine, url, found_by, **kwargs)

    def make_async_engine(self, url: URL, found_by: str, **kwargs: Any) -> AsyncEngine:
        """The same, for ``create_async_engine`` and the backend's asyncio driver."""
        async_url = url.set(drivername=f"{url.get_backend_name()}+{self.async_driver}")
        return self._create(create_async_engine, async_url, found_by, **kwargs)

    def _create(self, factory: Callable[..., _E], url: URL, found_by: str, **kwargs: Any) -> _E:
        try:
            return factory(url, **kwargs)
        except exc.NoSuchModuleError:
            raise MatrixError(
                f"{found_by}: SQLAlchemy has no driver {url.drivername!r}; "
                f"use {self.dialects[0]}+{self.default_driver}"
            ) from None
        except ImportError as error:
            raise MatrixError(
                f"{found_by}: the driver for {url.drivername!r} is not installed "
                f"({one_line(error)}); install it or use {self.dialects[0]}+{self.default_driver}"
            ) from None

    def connect_error(self, target: Target, error: Exception) -> MatrixError:
        """An unreachable or refusing server, as one line naming where it came from."""
        detail = error.orig if isinstance(error, exc.DBAPIError) and error.orig else error
        return MatrixError(
            f"{self.name}: cannot use {redact.shown(target.url)} "
            f"(from {target.found_by}): {redact.redact(one_line(detail))}"
        )

    @abc.abstractmethod
    def open_namespace(self, target: Target, name: str) -> Namespace:
        """Create the run's own namespace called ``name`` and an engine confined to it."""

    def driver_version(self, engine: Engine) -> str:
        try:
            return importlib.metadata.version(self.driver_distribution)
        except importlib.metadata.PackageNotFoundError:
            return str(getattr(engine.dialect.dbapi, "__version__", "unknown"))
