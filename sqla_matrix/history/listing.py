"""Which SQLAlchemy releases the history runs: the list committed beside this module.

``sqlalchemy-releases.json`` is generated (``nox -s history_releases``, or
``python -m sqla_matrix.history.refresh``) from PyPI's JSON API: every release of
the series 2.0 and 2.1, in PyPI's upload order, each with its upload time and
whether it was yanked (and why). Pre-releases are not in it. Reading it needs no
network, so ``nox -l`` stays fast and works offline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from sqla_matrix import configurations
from sqla_matrix.errors import MatrixError

#: The committed list.
LIST_FILE = Path(__file__).with_name("sqlalchemy-releases.json")
#: The series the history covers, oldest first: ``2.0`` -> the cells' token ``sqla20``.
SERIES = ("2.0", "2.1")


@dataclass(frozen=True)
class Release:
    """One SQLAlchemy release on PyPI."""

    version: str
    uploaded: str  # ISO-8601, its first file's upload time
    yanked: bool
    yanked_reason: str | None = None

    @property
    def series(self) -> str:
        """``2.0`` for 2.0.5.post1."""
        return series_of(self.version)

    @property
    def token(self) -> str:
        """``sqla2.0.40``: the release's part of a configuration id."""
        return configurations.release_token(self.version)


def series_of(version: str) -> str:
    """``2.1`` for ``2.1.5``; a one-line MatrixError for what is not a version."""
    try:
        parsed = Version(version)
    except InvalidVersion:
        raise MatrixError(f"{version!r} is not a SQLAlchemy version (e.g. 2.0.40)") from None
    return f"{parsed.major}.{parsed.minor}"


def load(path: Path = LIST_FILE) -> list[Release]:
    """Every release of the list, in upload order (yanked ones included, marked)."""
    try:
        data = json.loads(path.read_text())
        found = [
            Release(r["version"], r["uploaded"], bool(r["yanked"]), r.get("yanked_reason"))
            for r in data["releases"]
        ]
    except FileNotFoundError:
        raise MatrixError(
            f"{path}: no release list; write it with python -m sqla_matrix.history.refresh"
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise MatrixError(
            f"{path}: not a release list ({error.__class__.__name__}); rewrite it with "
            "python -m sqla_matrix.history.refresh"
        ) from None
    return sorted(found, key=lambda r: r.uploaded)


def runnable(releases: list[Release], series: tuple[str, ...] = SERIES) -> list[Release]:
    """The releases a history runs: not yanked, of ``series``, in upload order."""
    return [r for r in releases if not r.yanked and r.series in series]


def yanked(releases: list[Release]) -> list[Release]:
    """The releases the history skips, each named with PyPI's reason."""
    return [r for r in releases if r.yanked]
