"""The axes of a matrix and their product: which configurations a noxfile asks for.

A matrix's axes are its backends (in report order), the SQLAlchemy series (token ->
what it installs from PyPI), each backend's sync drivers (the default first) and the
server versions a configuration may ask for. Their product is the configurations, each
tagged by its tokens, ``default`` (all defaults) and ``axes`` (at most one axis off the
defaults). Readable without nox or SQLAlchemy: the names are checked against the
catalogue (sqla_matrix/catalog.py) when the axes are made.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqla_matrix import catalog
from sqla_matrix import drivers as driver_table
from sqla_matrix.configurations import configuration_id, series_token

#: SQLAlchemy series: a configuration's token and what it installs from PyPI.
SERIES = {"sqla20": "~=2.0.0", "sqla21": "~=2.1.0"}
DEFAULT_SERIES = "sqla21"


@dataclass(frozen=True)
class Planned:
    """One configuration of the product, with the tags nox selects it by."""

    sqlalchemy: str  # the series' token: "sqla21"
    backend: str
    server: str | None
    driver: str
    tags: tuple[str, ...]

    @property
    def id(self) -> str:
        return configuration_id(self.sqlalchemy, self.backend, self.server, self.driver)


class Axes:
    """A matrix's axes, checked (an unknown backend or a driver foreign to its backend is
    a one-line MatrixError), and their product."""

    def __init__(
        self,
        databases: Sequence[str],
        *,
        sqlalchemy: Mapping[str, str] = SERIES,
        default_sqlalchemy: str = DEFAULT_SERIES,
        drivers: Mapping[str, Sequence[str]] | None = None,
        servers: Mapping[str, Sequence[str]] | None = None,
        history_databases: Sequence[str] | None = None,
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        for name in databases:
            catalog.get(name)
            for driver in (drivers or {}).get(name, []):
                driver_table.pair(name, driver)
        self.databases = list(databases)
        self.sqlalchemy = dict(sqlalchemy)
        self.default_sqlalchemy = default_sqlalchemy
        self.drivers = {
            name: list((drivers or {}).get(name) or driver_table.for_backend(name))
            for name in self.databases
        }
        self.servers = {name: list((servers or {}).get(name, [])) for name in self.databases}
        chosen = self.databases if history_databases is None else history_databases
        self.history_databases = [name for name in chosen if name in self.databases]
        requested = environ.get("MATRIX_SQLALCHEMY", "").strip()
        if requested:  # any release or specifier: the configurations sqlaenv-*
            spec = requested if requested[0] in "=<>!~" else f"=={requested}"
            self.sqlalchemy["sqlaenv"] = spec

    def product(self) -> list[Planned]:
        """Every configuration of the product of the axes, with its tags."""
        planned = []
        for sqla, backend in itertools.product(self.sqlalchemy, self.databases):
            default_driver = self.drivers[backend][0]
            pairs = itertools.product([None, *self.servers[backend]], self.drivers[backend])
            for server, driver in pairs:
                off = [sqla != self.default_sqlalchemy, server is not None]
                off.append(driver != default_driver)
                tags = ["all", sqla, backend, driver, f"{sqla}-{backend}", f"{backend}-{driver}"]
                tags += [f"{backend}{server}"] if server else []
                tags += ["default"] if not any(off) else []
                tags += [f"{sqla}-default"] if not any(off[1:]) else []
                tags += ["axes"] if sum(off) <= 1 else []
                tags.append(configuration_id(sqla, backend, server, driver))  # nox -t ID
                planned.append(Planned(sqla, backend, server, driver, tuple(tags)))
        return planned

    def history_selections(self) -> list[tuple[str, str]]:
        """The parts of the release history a session runs, each with its tag: one backend
        (``history-sqlite``) or one series (``history-sqla20``), every release of it."""
        from sqla_matrix.history import listing

        chosen = [(name, f"history-{name}") for name in self.history_databases]
        for series in listing.SERIES:
            token = series_token(series)
            chosen.append((token, f"history-{token}"))
        return chosen
