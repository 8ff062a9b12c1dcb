"""Each difference explained by its axis: which configuration change moves a value.

A configuration is a point on four axes: backend, server version, driver (with its
asyncio partner) and SQLAlchemy release. For a behaviour whose value is not
the same everywhere, the configurations are grouped by value and each group named by
the smallest description in axis terms (``mysql``, ``postgresql · asyncpg``,
``mariadb 11.8``, ``sqla20``), and the row says which axis splits it: *by
backend* when each backend has one value, else *within postgresql by driver*
(or by server version, by SQLAlchemy), the upgrade questions a matrix exists for.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from sqla_matrix.configurations import sqlalchemy_token
from sqla_matrix.report.view import Cell, Difference, Row, TopicView, differences, observed
from sqla_matrix.results import Results

AXES = ("sqlalchemy", "server", "driver")
#: How the report names each axis: "within postgresql by driver".
AXIS_NAMES = {"sqlalchemy": "SQLAlchemy release", "server": "server version", "driver": "driver"}


@dataclass(frozen=True)
class Config:
    """Where a configuration sits on each axis."""

    backend: str
    server: str  # the version asked for, "" for whatever the URL or image gave
    driver: str  # "psycopg2 + asyncpg": the sync driver and its asyncio partner
    sqlalchemy: str  # "sqla21", "sqla2.0.36" (the cell's token), else the release

    def value(self, axis: str) -> str:
        return str(getattr(self, axis))

    @property
    def sync_driver(self) -> str:
        return self.driver.split(" + ", 1)[0]


def configs(results: Results) -> dict[str, Config]:
    """Every configuration's place on the axes, read from its recorded configuration."""
    found = {}
    for name, configuration in results["configurations"].items():
        token = sqlalchemy_token(name)
        driver = str(configuration.get("driver") or "")
        if configuration.get("async_driver") and configuration["async_driver"] != driver:
            driver = f"{driver} + {configuration['async_driver']}"
        found[name] = Config(
            backend=str(configuration.get("backend") or name),
            server=str(configuration.get("server_requested") or ""),
            driver=driver,
            sqlalchemy=token if token.startswith("sqla") else str(configuration.get("sqlalchemy")),
        )
    return found


@dataclass
class Explanation:
    """Why a row's value differs, and its configurations grouped by value."""

    within: list[str]  # backends whose configurations disagree; empty: by backend alone
    split: str  # "by backend", "within postgresql by driver; within mysql by server version"
    groups: list[tuple[str, str]]  # (the configurations, described on the axes; the value there)
    #: The same, among the configurations of the backends in ``within`` only.
    within_groups: list[tuple[str, str]]
    #: The configurations that did not observe it, described on the axes, and why (``not
    #: supported``, ``error``...): "every configuration" in ``groups`` means every configuration.
    unobserved: list[tuple[str, str]] = field(default_factory=list)


def explain(row: Row, order: list[str], found: dict[str, Config]) -> Explanation:
    """Group the configurations that observed ``row`` by value and name the axis that splits them.
    Each group is described among all the configurations of ``order``, those that did not
    observe it too (listed apart, with why): a value no configuration lacks is on ``every
    configuration``."""
    values = {name: row.cells[name].text for name in order if observed(row.cells[name])}
    missing = {name: _why(row.cells[name]) for name in order if name not in values}
    backends = list(dict.fromkeys(found[name].backend for name in values))
    per_backend = {b: [n for n in values if found[n].backend == b] for b in backends}
    within = [b for b, names in per_backend.items() if len({values[n] for n in names}) > 1]
    splits = []
    for backend in within:
        names = per_backend[backend]
        axes = [a for a in AXES if _decides(a, names, values, found)]
        how = " or ".join(AXIS_NAMES[a] for a in axes) if axes else "more than one axis"
        splits.append(f"within {backend} by {how}")
    own = [{values[n] for n in names} for names in per_backend.values()]
    if any(not a & b for a, b in itertools.combinations(own, 2)):  # no value in common
        splits.append("by backend")
    groups = _grouped(values, order, found)
    inside = []
    for backend in within:
        names = per_backend[backend]
        theirs = [n for n in order if found[n].backend == backend]
        for value in dict.fromkeys(values[n] for n in names):
            members = [n for n in names if values[n] == value]
            inside.append((_within(backend, members, theirs, found), value))
    return Explanation(within, "; ".join(splits), groups, inside, _grouped(missing, order, found))


def _grouped(
    values: dict[str, str], order: list[str], found: dict[str, Config]
) -> list[tuple[str, str]]:
    """``values`` (configuration -> text) grouped by text, each group described among ``order``."""
    groups = []
    for value in dict.fromkeys(values.values()):
        members = [n for n in values if values[n] == value]
        groups.append((describe(members, order, found), value))
    return groups


def _why(cell: Cell) -> str:
    """Why a configuration has no value for a row: its cell's kind of "no", or no such key there."""
    return "not observed" if cell.text == "—" else cell.text


def _decides(axis: str, names: list[str], values: dict[str, str], found: dict[str, Config]) -> bool:
    """Whether, among ``names``, the value follows ``axis``: the configurations at one value of
    the axis agree, and the axis has more than one value here."""
    by_axis: dict[str, set[str]] = {}
    for name in names:
        by_axis.setdefault(found[name].value(axis), set()).add(values[name])
    return len(by_axis) > 1 and all(len(v) == 1 for v in by_axis.values())


def describe(members: list[str], among: list[str], found: dict[str, Config]) -> str:
    """The smallest description of ``members`` within the configurations ``among``: whole
    backends (``mysql, mariadb``), one axis value within a backend (``postgresql ·
    asyncpg``), ``every configuration but ...``, or else the configuration ids."""
    if set(members) == set(among):
        return "every configuration"
    parts = []
    for backend in dict.fromkeys(found[n].backend for n in members):
        mine = [n for n in members if found[n].backend == backend]
        theirs = [n for n in among if found[n].backend == backend]
        parts.append(_within(backend, mine, theirs, found))
    rest = [n for n in among if n not in members]
    if len(rest) < len(members) and len(parts) > 1:
        return f"every configuration but {describe(rest, among, found)}"
    return ", ".join(parts)


def _within(backend: str, mine: list[str], theirs: list[str], found: dict[str, Config]) -> str:
    """``mine`` among a backend's configurations ``theirs``: the backend, or one axis's values."""
    if set(mine) == set(theirs):
        return backend
    for axis in AXES:
        chosen = {found[n].value(axis) for n in mine}
        if not chosen & {found[n].value(axis) for n in theirs if n not in mine}:
            if axis == "server":
                return f"{backend} {', '.join(sorted(v or '(default)' for v in chosen))}"
            return f"{backend} · {', '.join(sorted(chosen))}"
    return ", ".join(mine)


Explained = list[tuple[Difference, Explanation]]


def by_axis(
    results: Results, all_topics: list[TopicView], order: list[str]
) -> tuple[Explained, Explained]:
    """Every difference with its explanation, split as both reports open: those that
    change within a backend (the upgrade questions), then those only backends split."""
    found = configs(results)
    explained = [(d, explain(d.row, order, found)) for d in differences(all_topics, order)]
    return [p for p in explained if p[1].within], [p for p in explained if not p[1].within]


def axis_values(found: dict[str, Config]) -> dict[str, set[str]]:
    """Every value FROM and TO may take, per axis, as the configurations hold them."""
    return {
        "sqlalchemy": {c.sqlalchemy for c in found.values()},
        "driver": {c.sync_driver for c in found.values()},
        "server": {f"{c.backend}{c.server}" for c in found.values() if c.server},
        "backend": {c.backend for c in found.values()},
    }
