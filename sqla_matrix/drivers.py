"""Which driver: every DBAPI the matrix can run a column on, in one small table.

A column of the matrix is a backend (SQLAlchemy's dialect) reached through
one sync driver, paired with one asyncio driver for the async scenarios.
Everything a driver needs that its dialect does not decide lives here: its
SQLAlchemy name, the distribution whose version the report records, and the
name of its connect-timeout argument. Setup shared by every driver of a
dialect (namespace, search path) lives in that backend's module.

Adding a driver is one entry below, its name in the noxfile's ``DRIVERS``
and an extra of the same name in pyproject.toml
(tests/test_layout.py checks that the three agree).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqla_matrix.errors import MatrixError


@dataclass(frozen=True)
class Driver:
    """One DBAPI as SQLAlchemy names it (``postgresql+<name>://``)."""

    name: str
    #: The backends it can serve.
    backends: tuple[str, ...]
    #: The PyPI distribution whose version is recorded (None: the standard library's).
    distribution: str | None
    #: The connect() keyword that bounds the time to connect, in seconds.
    timeout_argument: str | None


@dataclass(frozen=True)
class DriverPair:
    """What a column runs on: a sync driver, and the asyncio driver beside it."""

    sync: Driver
    asyncio: Driver


_PG = ("postgresql",)
_MY = ("mysql", "mariadb")

#: Every driver, sync and asyncio, by SQLAlchemy's name for it.
DRIVERS: dict[str, Driver] = {
    driver.name: driver
    for driver in (
        Driver("pysqlite", ("sqlite",), None, None),
        Driver("aiosqlite", ("sqlite",), "aiosqlite", None),
        Driver("psycopg", _PG, "psycopg", "connect_timeout"),
        Driver("psycopg_async", _PG, "psycopg", "connect_timeout"),
        Driver("psycopg2", _PG, "psycopg2-binary", "connect_timeout"),
        Driver("pg8000", _PG, "pg8000", "timeout"),
        Driver("asyncpg", _PG, "asyncpg", "timeout"),
        Driver("pymysql", _MY, "PyMySQL", "connect_timeout"),
        Driver("mysqldb", _MY, "mysqlclient", "connect_timeout"),
        Driver("mysqlconnector", _MY, "mysql-connector-python", "connection_timeout"),
        Driver("mariadbconnector", ("mariadb",), "mariadb", "connect_timeout"),
        Driver("aiomysql", _MY, "aiomysql", "connect_timeout"),
        Driver("asyncmy", _MY, "asyncmy", "connect_timeout"),
    )
}

#: The sync drivers a column can be named after, each with its asyncio partner:
#: the same library's asyncio mode where it has one, else a standalone driver,
#: so that every asyncio driver appears in some column.
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

#: The driver of a backend's default column.
DEFAULT: dict[str, str] = {
    "sqlite": "pysqlite",
    "postgresql": "psycopg",
    "mysql": "pymysql",
    "mariadb": "pymysql",
}


def for_backend(backend: str) -> list[str]:
    """The sync drivers a column of ``backend`` can run on, default first."""
    names = [name for name in PAIRS if backend in DRIVERS[name].backends]
    return sorted(names, key=lambda name: name != DEFAULT[backend])


def pair(backend: str, name: str | None) -> DriverPair:
    """The drivers of a ``backend`` column named after ``name`` (None: the default)."""
    name = name or DEFAULT[backend]
    if name not in PAIRS or backend not in DRIVERS[name].backends:
        known = ", ".join(for_backend(backend))
        raise MatrixError(f"unknown driver {name!r} for {backend}: choose one of {known}")
    return DriverPair(DRIVERS[name], DRIVERS[PAIRS[name]])
