"""What each backend can do, declared once, beside the backend it describes.

On the model of SQLAlchemy's ``testing/requirements.py``: a scenario asks what
the backend it runs on *can do* (``ctx.capabilities.row_locks``) or *how it spells
it* (``ctx.capabilities.clock.transaction``), never which backend it is. Every
backend module declares one :class:`Capabilities`; all of its fields are
required, so a backend added without one, or with one field missing, is
refused when the backend is registered, before any scenario is collected.

Where a scenario holds SQL of its own per backend (a trigger body, a zone's
name), :func:`per_backend` checks its table when the module is imported: a
misspelt backend, or a backend the table forgot, fails collection in one line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar

from sqla_matrix.errors import MatrixError
from sqla_matrix.expect import backend_names

_V = TypeVar("_V")

MYSQL_AUTO = "https://dev.mysql.com/doc/refman/8.4/en/timestamp-initialization.html"
SQLITE_FKS = "https://www.sqlite.org/foreignkeys.html#fk_enable"
SQLITE_ALTER = "https://www.sqlite.org/lang_altertable.html"


@dataclass(frozen=True)
class Clock:
    """How the server reads its clocks: SQL text for a scenario's own statements."""

    #: The time of the current transaction (or statement, where there is no other).
    transaction: str
    #: A clock that moves within one statement; None: the server has none.
    wall: str | None
    #: A statement-level pause, with ``{seconds}``; None: the server has none.
    sleep: str | None
    #: The fractional-second digits ``transaction`` reads (SQLite's CURRENT_TIMESTAMP: 0).
    digits: int


@dataclass(frozen=True)
class Capabilities:
    """What one backend can do. Each field is a fact its manual states (see the
    links in the backend modules), not a guess from its name."""

    #: What a run's namespace is there: a schema, a database, or a file of its own.
    namespace: Literal["schema", "database", "file"]
    #: Foreign keys are enforced only on a connection that turns them on
    #: (SQLite's ``PRAGMA foreign_keys``, off by default; SQLITE_FKS).
    foreign_keys_by_pragma: bool
    #: ``ALTER TABLE ... ALTER COLUMN`` exists (SQLite has none: Alembic's batch
    #: mode copies the table instead; SQLITE_ALTER).
    alter_column: bool
    #: The column clause ``ON UPDATE CURRENT_TIMESTAMP`` (MySQL, MariaDB; MYSQL_AUTO).
    on_update_current_timestamp: bool
    #: MySQL's ``TIMESTAMP`` beside ``DATETIME``, each with fractional digits ``(fsp)``
    #: (SQLAlchemy's own requirements call it ``mysql_fsp``).
    mysql_timestamp_types: bool
    #: How an INSERT updates the row it collides with: ``INSERT ... ON CONFLICT DO UPDATE``
    #: (PostgreSQL, SQLite 3.24+) or ``INSERT ... ON DUPLICATE KEY UPDATE`` (MySQL, MariaDB).
    upsert: Literal["on conflict", "on duplicate key"]
    #: ``INSERT ... RETURNING`` (PostgreSQL; SQLite 3.35+; MariaDB 10.5+; MySQL has none),
    #: which SQLAlchemy's ORM bulk INSERT with ``.returning()`` needs for an executemany.
    insert_returning: bool
    #: A storage engine per table (``information_schema.TABLES.ENGINE``).
    storage_engines: bool
    #: ``SELECT ... FOR UPDATE`` locks rows (SQLite locks the whole database).
    row_locks: bool
    #: ``DateTime(timezone=True)`` takes an aware datetime and keeps its instant
    #: (PostgreSQL's timestamptz); MySQL's and MariaDB's drivers take naive ones only.
    aware_datetimes: bool
    #: The SQL naming the run's namespace in ``information_schema`` (None: no catalog).
    catalog_namespace: str | None
    #: The statement that sets the session's time zone, with ``{zone}`` (None: no zones).
    set_time_zone: str | None
    clock: Clock


def check(backend: str, capabilities: object) -> Capabilities:
    """The backend's declared capabilities, or one line saying what a new backend must add."""
    if not isinstance(capabilities, Capabilities):
        raise MatrixError(
            f"backend {backend!r} declares no capabilities: give its class "
            "`capabilities = Capabilities(...)` (sqla_matrix/capabilities.py lists each field)"
        )
    return capabilities


def per_backend(
    where: str, table: Mapping[str, _V], only: Iterable[str] | None = None
) -> Mapping[str, _V]:
    """A scenario's table keyed by backend, checked at import: every key a known
    backend, and every backend in ``only`` (default: every known one) present."""
    known = backend_names()
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise MatrixError(
            f"{where}: no such backend {', '.join(unknown)}; known: {', '.join(known)}"
        )
    forgotten = [name for name in (known if only is None else only) if name not in table]
    if forgotten:
        raise MatrixError(f"{where}: no entry for {', '.join(forgotten)}")
    return table
