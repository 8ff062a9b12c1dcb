"""What a scenario needs of a backend, as SQLAlchemy's ``__requires__`` names it.

A scenario says what it needs (``@scenario(requires=(ROW_LOCKS,))``), never where it
runs: each :class:`Requirement` is a test over a backend's declared
:class:`~sqla_matrix.capabilities.Capabilities`, with what a backend without it lacks
and where that is documented. A configuration whose backend lacks one reads *not supported*,
with that reason and source; a backend added later is admitted or refused by what it
declares, with no scenario edited.

A scenario's own table of SQL per backend (:func:`~sqla_matrix.capabilities.per_backend`)
names the backends that have what it needs with :meth:`Requirement.backends`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqla_matrix.capabilities import MYSQL_AUTO, Capabilities

SQLITE_LOCKING = "https://www.sqlite.org/lockingv3.html"
SQLITE_TIME = "https://www.sqlite.org/lang_datefunc.html"
SQLITE_UPSERT = "https://www.sqlite.org/lang_upsert.html"
PG_UPSERT = "https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT"
MYSQL_UPSERT = "https://dev.mysql.com/doc/refman/8.4/en/insert-on-duplicate.html"


@dataclass(frozen=True)
class Requirement:
    """One thing a scenario needs: ``holds`` over the backend's capabilities; ``lacking``
    completes "this backend ..." for a backend without it; ``source`` documents it."""

    name: str
    holds: Callable[[Capabilities], bool]
    lacking: str
    source: str

    def reason(self, backend: str) -> str:
        """Why ``backend``'s configurations do not run a scenario that needs this."""
        return f"not supported: {backend} {self.lacking} ({self.source})"

    def backends(self, *, present: bool = True) -> tuple[str, ...]:
        """The registered backends that have it (``present=False``: that lack it), for a
        scenario's table of SQL per backend."""
        from sqla_matrix import catalog

        declared = catalog.declared().items()
        return tuple(n for n, d in declared if self.holds(d.capabilities) == present)


ROW_LOCKS = Requirement(
    "row_locks",
    lambda c: c.row_locks,
    "locks the whole database, never a row: SELECT ... FOR UPDATE has nothing to lock",
    SQLITE_LOCKING,
)
SESSION_TIME_ZONE = Requirement(
    "session_time_zone",
    lambda c: c.set_time_zone is not None,
    "has no session time zone (its times are UTC)",
    SQLITE_TIME,
)
ON_UPDATE_CURRENT_TIMESTAMP = Requirement(
    "on_update_current_timestamp",
    lambda c: c.on_update_current_timestamp,
    "has no ON UPDATE CURRENT_TIMESTAMP column clause (a trigger keeps such a column there)",
    MYSQL_AUTO,
)
INSERT_RETURNING = Requirement(
    "insert_returning",
    lambda c: c.insert_returning,
    "has no INSERT ... RETURNING",
    "https://docs.sqlalchemy.org/en/20/orm/queryguide/dml.html#orm-bulk-insert-statements",
)
ON_CONFLICT = Requirement(
    "on_conflict",
    lambda c: c.upsert == "on conflict",
    "has no INSERT ... ON CONFLICT: its upsert is INSERT ... ON DUPLICATE KEY UPDATE",
    MYSQL_UPSERT,
)
ON_DUPLICATE_KEY = Requirement(
    "on_duplicate_key",
    lambda c: c.upsert == "on duplicate key",
    "has no INSERT ... ON DUPLICATE KEY UPDATE: its upsert is INSERT ... ON CONFLICT",
    MYSQL_UPSERT,
)
MYSQL_TIMESTAMP_TYPES = Requirement(
    "mysql_timestamp_types",
    lambda c: c.mysql_timestamp_types,
    "has no MySQL TIMESTAMP type beside DATETIME, nor its server settings "
    "(explicit_defaults_for_timestamp, NO_ZERO_DATE)",
    "https://dev.mysql.com/doc/refman/8.4/en/datetime.html",
)
