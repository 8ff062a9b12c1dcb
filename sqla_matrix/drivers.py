"""Which driver: every DBAPI the matrix can run a configuration on, in one small table.

A configuration of the matrix is a backend (SQLAlchemy's dialect) reached through
one sync driver, paired with one asyncio driver for the async scenarios.
Everything a driver needs that its dialect does not decide lives here: its
SQLAlchemy name, the distribution whose version the report records, and the
name of its connect-timeout argument. Setup shared by every driver of a
dialect (namespace, search path) lives in that backend's module.

Which backends a driver serves is the backend's to say (its declaration's ``drivers``
in sqla_matrix/catalog.py, the default first), so a backend added later names the
drivers it runs on. Adding a driver is one entry below, its name in a declaration and an extra of
the same name in pyproject.toml (tests/test_layout.py checks that they agree); a
package of its own adds one with :func:`register`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqla_matrix.errors import MatrixError


@dataclass(frozen=True)
class Driver:
    """One DBAPI as SQLAlchemy names it (``postgresql+<name>://``)."""

    name: str
    #: The PyPI distribution whose version is recorded (None: the standard library's).
    distribution: str | None
    #: The connect() keyword that bounds the time to connect, in seconds.
    timeout_argument: str | None


@dataclass(frozen=True)
class DriverPair:
    """What a configuration runs on: a sync driver, and the asyncio driver beside it."""

    sync: Driver
    asyncio: Driver


#: Every driver, sync and asyncio, by SQLAlchemy's name for it.
DRIVERS: dict[str, Driver] = {
    driver.name: driver
    for driver in (
        Driver("pysqlite", None, None),
        Driver("aiosqlite", "aiosqlite", None),
        Driver("psycopg", "psycopg", "connect_timeout"),
        Driver("psycopg_async", "psycopg", "connect_timeout"),
        Driver("psycopg2", "psycopg2-binary", "connect_timeout"),
        Driver("pg8000", "pg8000", "timeout"),
        Driver("asyncpg", "asyncpg", "timeout"),
        Driver("pymysql", "PyMySQL", "connect_timeout"),
        Driver("mysqldb", "mysqlclient", "connect_timeout"),
        Driver("mysqlconnector", "mysql-connector-python", "connection_timeout"),
        Driver("mariadbconnector", "mariadb", "connect_timeout"),
        Driver("aiomysql", "aiomysql", "connect_timeout"),
        Driver("asyncmy", "asyncmy", "connect_timeout"),
    )
}

#: The sync drivers a configuration can be named after, each with its asyncio partner:
#: the same library's asyncio mode where it has one, else a standalone driver,
#: so that every asyncio driver appears in some configuration.
PAIRS: dict[str, str] = {
    "pysqlite": "aiosqlite",
    "psycopg": "psycopg_async",
    "psycopg2": "asyncpg",
    "pg8000": "asyncpg",
    "pymysql": "aiomysql",  # aiomysql is PyMySQL under asyncio
    "mysqldb": "asyncmy",
    "mysqlconnector": "asyncmy",
    "mariadbconnector": "asyncmy",
}


def register(sync: Driver, asyncio: Driver) -> None:
    """A driver from another package, with the asyncio driver its configurations pair it with."""
    DRIVERS.setdefault(asyncio.name, asyncio)
    DRIVERS[sync.name] = sync
    PAIRS[sync.name] = asyncio.name


def for_backend(backend: str) -> list[str]:
    """The sync drivers a configuration of ``backend`` can run on, default first."""
    from sqla_matrix import catalog

    return list(catalog.get(backend).drivers)


def default(backend: str) -> str:
    """The driver of ``backend``'s default configuration."""
    return for_backend(backend)[0]


def defaults() -> dict[str, str]:
    """Every backend's default driver, in report order."""
    from sqla_matrix import catalog

    return {name: declared.drivers[0] for name, declared in catalog.declared().items()}


def serving(driver: str) -> tuple[str, ...]:
    """The backends ``driver`` (sync, or the asyncio partner of one) serves."""
    from sqla_matrix import catalog

    return tuple(
        name
        for name, declared in catalog.declared().items()
        if any(driver in (sync, PAIRS.get(sync)) for sync in declared.drivers)
    )


def pair(backend: str, name: str | None) -> DriverPair:
    """The drivers of a ``backend`` configuration named after ``name`` (None: the default)."""
    known = for_backend(backend)
    name = name or known[0]
    if name not in known or name not in PAIRS:
        raise MatrixError(
            f"unknown driver {name!r} for {backend}: choose one of {', '.join(known)}"
        )
    return DriverPair(DRIVERS[name], DRIVERS[PAIRS[name]])
