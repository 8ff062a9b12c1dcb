"""A configuration's id, built and read in one place.

``sqla21-postgresql15-psycopg``: the SQLAlchemy token (a series, ``sqla21``; one release
of the history, ``sqla2.0.40``; ``sqlaenv``, what ``MATRIX_SQLALCHEMY`` asks for), the
backend with the server version asked for (none: whatever its URL or image gives), and
the sync driver. Its nox session is ``matrix(<id>)``, its results file ``<id>.json``.
"""

from __future__ import annotations

import re

#: The id of one SQLAlchemy release's configuration (the history's), not a series'.
_RELEASE = re.compile(r"^sqla\d+\.\d+")


def configuration_id(sqlalchemy: str, backend: str, server: str | None, driver: str) -> str:
    """``sqla21-postgresql-psycopg``, ``sqla20-postgresql18-psycopg2``,
    ``sqla2.0.40-sqlite-pysqlite``."""
    return f"{sqlalchemy}-{backend}{server or ''}-{driver}"


def series_token(series: str) -> str:
    """``sqla20`` for the series ``2.0``."""
    return "sqla" + series.replace(".", "")


def release_token(release: str) -> str:
    """``sqla2.0.40`` for the release ``2.0.40``."""
    return f"sqla{release}"


def sqlalchemy_token(configuration: str) -> str:
    """The SQLAlchemy part of a configuration's id: ``sqla21`` of ``sqla21-sqlite-pysqlite``."""
    return configuration.split("-", 1)[0]


def is_release(configuration: str) -> bool:
    """A configuration of one SQLAlchemy release (the history's), not of a series."""
    return bool(_RELEASE.match(configuration))
