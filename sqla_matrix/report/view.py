"""The matrix as the renderers see it: topics, rows of behaviours, cells per backend.

Both report.md and report.html are drawn from this one view, so they
always say the same thing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from packaging.version import InvalidVersion, Version

from sqla_matrix import drivers, warned
from sqla_matrix.results import ERROR, MISMATCH, NOT_RUN, PASS, RAN, Results

#: Marks that say a known problem stopped reproducing (the expected value is shown beside).
FLAGS = ("known bug no longer seen", "started to work")


@dataclass
class Cell:
    text: str  # the observed value, formatted; for a cell not run, which kind of "no"
    #: "pass" (matches its documentation), "mismatch", "known bug", "known bug no longer
    #: seen", "not supported", "started to work", "error", "not run" or "" (no expectation)
    mark: str
    documented: str | None = None  # the expected value, where the observation differs


@dataclass
class Row:
    key: str
    expected: list[tuple[str, str, str]]  # (backends, documented value, source)
    cells: dict[str, Cell]


@dataclass
class ScenarioView:
    id: str
    title: str
    doc: str
    rows: list[Row]
    status: dict[str, str]  # per backend
    statements: dict[str, list[dict[str, Any]]]
    notes: dict[str, list[str]]  # per backend: error, reason, warnings
    durations: dict[str, float]
    measurements: dict[str, dict[str, dict[str, dict[str, float]]]]  # backend -> chart -> series


@dataclass
class TopicView:
    name: str
    scenarios: list[ScenarioView] = field(default_factory=list)


def show(value: Any) -> str:
    """An observed or documented value as the report writes it."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None:
        return "none"
    if isinstance(value, str):
        return value
    if isinstance(value, list) and not value:
        return "[] (nothing)"
    return json.dumps(value, ensure_ascii=False)


def backends_of(results: Results) -> dict[str, str]:
    """Each configuration's backend."""
    return {
        name: str(configuration.get("backend"))
        for name, configuration in results["configurations"].items()
    }


def configuration_order(results: Results) -> list[str]:
    """The configurations in the matrix's order, derived from each one's configuration (nothing
    in the data ranks them): backend (in the harness's order), server version asked for
    (none first), sync driver (the backend's default first), SQLAlchemy release, then the
    order the results hold them in (several runs combined side by side)."""
    configurations = results["configurations"]
    backends = list(drivers.defaults())
    held = {name: n for n, name in enumerate(configurations)}

    def key(name: str) -> tuple[Any, ...]:
        configuration = configurations[name]
        backend = str(configuration.get("backend"))
        known = drivers.for_backend(backend) if backend in backends else []
        driver = configuration.get("driver")
        return (
            backends.index(backend) if backend in backends else len(backends),
            _version(configuration.get("server_requested")),
            known.index(driver) if driver in known else len(known),
            _version(configuration.get("sqlalchemy")),
            held[name],
        )

    return sorted(configurations, key=key)


def _version(text: Any) -> Version:
    """A version to order by: none (or not a version) comes first."""
    try:
        return Version(str(text)) if text else Version("0")
    except InvalidVersion:
        return Version("0")


def versions(results: Results, name: str) -> str:
    """What a configuration ran on, for its heading: server, driver and SQLAlchemy versions."""
    backend = results["configurations"][name]
    if backend["status"] != RAN:
        return str(backend["status"])
    server = str(backend.get("server_version") or "").split(" ")[0]
    return f"{server} · {drivers_of(backend)} · SQLAlchemy {backend['sqlalchemy']}"


def through_async(key: str) -> bool:
    """Whether a key's value came through the configuration's asyncio driver: the key says so
    (``... (async)``, ``async ...``)."""
    return "(async)" in key or key.startswith("async ")


def driver_behind(key: str, configuration: dict[str, Any]) -> str:
    """The driver a key's value came through: the configuration's asyncio driver for a key
    :func:`through_async` marks, else its sync driver."""
    name = configuration.get("async_driver") if through_async(key) else configuration.get("driver")
    return str(name or "—")


def drivers_of(configuration: dict[str, Any]) -> str:
    """``psycopg 3.3.9 (binary) + psycopg_async 3.3.9 (binary)``: the configuration's sync and
    asyncio drivers, each with the implementation that ran where it has several."""
    if not configuration.get("driver_version"):
        return str(configuration.get("driver") or "—")
    shown = f"{configuration['driver']} {configuration['driver_version']}"
    if configuration.get("driver_implementation"):
        shown += f" ({configuration['driver_implementation']})"
    if configuration.get("async_driver"):
        shown += f" + {configuration['async_driver']} {configuration.get('async_driver_version')}"
        if configuration.get("async_driver_implementation"):
            shown += f" ({configuration['async_driver_implementation']})"
    return shown


def runtime_of(configuration: dict[str, Any]) -> str:
    """``Alembic 1.16.1 · greenlet 3.2.3 · client time zone Etc/UTC: UTC +00:00``: the
    other versions a configuration's answers depend on, as recorded (a file from before they
    were recorded: ``—``)."""
    parts = []
    for key, label in (("alembic", "Alembic"), ("greenlet", "greenlet")):
        if key in configuration:
            parts.append(f"{label} {configuration[key] or 'not installed'}")
    if configuration.get("client_time_zone"):
        parts.append(f"client time zone {configuration['client_time_zone']}")
    return " · ".join(parts) or "—"


def topics(results: Results) -> list[TopicView]:
    """Group the scenarios by topic, each with one row per observed or documented key."""
    order = configuration_order(results)
    backend_of = backends_of(results)
    grouped: dict[str, TopicView] = {}
    for scenario_id, entry in results["scenarios"].items():
        cells = entry["cells"]
        keys: list[str] = []
        for name in order:
            cell = cells.get(name, {})
            for key in [*cell.get("expected", {}), *cell.get("observed", {})]:
                if key not in keys:
                    keys.append(key)
        rows = [_row(key, cells, order, backend_of) for key in keys]
        if any(warned.of(cells.get(name)) for name in order):  # a warning is a value too
            rows.append(_warnings_row(cells, order))
        if not rows:  # nothing observed anywhere (not run, or an error everywhere)
            rows = [_row("(no observation)", cells, order, backend_of)]
        view = ScenarioView(
            id=scenario_id,
            title=entry.get("title", scenario_id),
            doc=entry.get("doc", ""),
            rows=rows,
            status={name: cells.get(name, {}).get("status", "absent") for name in order},
            statements={name: cells.get(name, {}).get("statements", []) for name in order},
            notes={name: _notes(cells.get(name, {})) for name in order},
            durations={name: cells.get(name, {}).get("duration_s", 0.0) for name in order},
            measurements={
                name: cells[name]["measurements"]
                for name in order
                if cells.get(name, {}).get("measurements")
            },
        )
        topic = entry.get("topic") or scenario_id.split(".", 1)[0]
        grouped.setdefault(topic, TopicView(topic)).scenarios.append(view)
    return sorted(grouped.values(), key=lambda t: t.name)


def _row(key: str, cells: dict[str, Any], order: list[str], backend_of: dict[str, str]) -> Row:
    documented: dict[tuple[str, str], list[str]] = {}
    row_cells: dict[str, Cell] = {}
    for name in order:
        cell = cells.get(name)
        if cell is None:
            row_cells[name] = Cell("absent", NOT_RUN)
            continue
        doc = cell.get("expected", {}).get(key)
        if doc is not None:
            backends = documented.setdefault((show(doc["value"]), doc["source"]), [])
            if backend_of.get(name, name) not in backends:  # documented per backend
                backends.append(backend_of.get(name, name))
        status = cell["status"]
        if status in (ERROR, NOT_RUN):
            row_cells[name] = Cell(cell.get("why_not_run") or status, status)
        elif key in cell.get("unavailable", {}):
            row_cells[name] = Cell("not in this release", NOT_RUN)
        elif key not in cell["observed"]:  # documented, and the scenario returned no such key
            mark = cell.get("marks", {}).get(key, "")
            row_cells[name] = Cell("—", mark, show(doc["value"]) if doc and mark else None)
        else:
            mark = cell.get("marks", {}).get(key)
            if mark is None:  # a schema 2 cell, or a key with no expectation
                mark = MISMATCH if key in cell["mismatches"] else PASS if doc else ""
            shown_beside = show(doc["value"]) if doc and mark in (MISMATCH, *FLAGS) else None
            row_cells[name] = Cell(show(cell["observed"][key]), mark, shown_beside)
    expected = [(", ".join(names), value, source) for (value, source), names in documented.items()]
    return Row(key, expected, row_cells)


def _warnings_row(cells: dict[str, Any], order: list[str]) -> Row:
    """The scenario's warnings as one more behaviour (``(warnings)``): each configuration's,
    normalised, one a line, or "none"; not observed where the scenario did not run to
    its end or the file recorded no warnings."""
    row_cells: dict[str, Cell] = {}
    for name in order:
        cell = cells.get(name)
        if cell is None:
            row_cells[name] = Cell("absent", NOT_RUN)
        elif cell["status"] in (ERROR, NOT_RUN):
            row_cells[name] = Cell(cell.get("why_not_run") or cell["status"], cell["status"])
        else:
            found = warned.of(cell)
            row_cells[name] = Cell("—", "") if found is None else Cell(warned.show(found), "")
    return Row(warned.KEY, [], row_cells)


def row_of(key: str, cells: dict[str, Any], order: list[str], backend_of: dict[str, str]) -> Row:
    """One behaviour over the configurations ``order`` (the release ranges read lines of them)."""
    return _row(key, cells, order, backend_of)


def warnings_row_of(cells: dict[str, Any], order: list[str]) -> Row:
    """The scenario's warnings over the configurations ``order``, as one more behaviour."""
    return _warnings_row(cells, order)


def _notes(cell: dict[str, Any]) -> list[str]:
    notes = []
    if cell.get("statements_omitted"):
        notes.append(f"{cell['statements_omitted']} more statements were counted but not kept")
    if cell.get("error"):
        notes.append(f"error: {cell['error']}")
    if cell.get("reason"):
        notes.append(f"not run: {cell['reason']}")
    notes.extend(f"{key}: {why}" for key, why in cell.get("unavailable", {}).items())
    if cell.get("status") not in warned.OBSERVED:  # elsewhere, the (warnings) row has them
        notes.extend(f"warning: {w}" for w in warned.normalised(cell.get("warnings", [])))
    return notes


def behaviours(all_topics: list[TopicView]) -> int:
    """How many behaviours (rows) the report holds."""
    return sum(len(scenario.rows) for topic in all_topics for scenario in topic.scenarios)


#: The outcomes of a configuration's behaviours (a documented key's mark, why a cell did not
#: run), in the order the report counts them.
OUTCOMES = (
    PASS,
    MISMATCH,
    "never observed",
    "known bug",
    "known bug no longer seen",
    "not supported",
    "started to work",
    "not observed here",
    "not in this release",
)


def outcomes(results: Results, configuration: str) -> dict[str, int]:
    """How many of a configuration's behaviours had each outcome: each documented key by
    its mark, each scenario not run there by why (not observed here, not supported, not in
    this release), each key a release lacks."""
    counts = dict.fromkeys(OUTCOMES, 0)
    for entry in results["scenarios"].values():
        cell = entry["cells"].get(configuration)
        if cell is None:
            continue
        if cell["status"] == NOT_RUN and cell.get("why_not_run") in counts:
            counts[cell["why_not_run"]] += 1
        for mark in cell.get("marks", {}).values():
            counts[mark] = counts.get(mark, 0) + 1
        counts["not in this release"] += len(cell.get("unavailable", {}))
    return {kind: n for kind, n in counts.items() if n}


def flagged(results: Results) -> list[tuple[str, str, str, str, str]]:
    """Every known problem that stopped reproducing in this run: (mark, scenario, key,
    configuration, the expectation's source)."""
    found = []
    for scenario_id, entry in results["scenarios"].items():
        for name, cell in entry["cells"].items():
            for key, mark in cell.get("marks", {}).items():
                if mark in FLAGS:
                    source = cell["expected"].get(key, {}).get("source", "")
                    found.append((mark, scenario_id, key, name, source))
    return found


def tally(results: Results, configuration: str) -> dict[str, int]:
    """How many scenarios ended in each status on ``configuration``."""
    counts: dict[str, int] = {}
    for entry in results["scenarios"].values():
        status = entry["cells"].get(configuration, {}).get("status")
        if status:
            counts[status] = counts.get(status, 0) + 1
    return counts


# -- what differs -----------------------------------------------------------


RANGE = "–"  # an en dash: "postgresql15–postgresql17"


@dataclass
class Difference:
    """A behaviour whose observed value is not the same in every configuration that observed it."""

    topic: str
    scenario: ScenarioView
    row: Row


def labels(order: list[str]) -> dict[str, str]:
    """Short names for configurations: the parts of their ids (``sqla21-postgresql15-psycopg``)
    that are not the same in all of them (``postgresql15``, or ``postgresql15-pg8000``)."""
    parts = {name: name.split("-") for name in order}
    width = max((len(p) for p in parts.values()), default=0)
    varying = [
        i for i in range(width) if len({p[i] if i < len(p) else "" for p in parts.values()}) > 1
    ]
    if not varying:
        return {name: name for name in order}
    return {name: "-".join(p[i] for i in varying if i < len(p)) for name, p in parts.items()}


def observed(cell: Cell) -> bool:
    """The configuration observed this behaviour: it ran the scenario and recorded the key."""
    return cell.mark not in (ERROR, NOT_RUN) and cell.text != "—"


def runs(
    row: Row, order: list[str], short: dict[str, str], backend_of: dict[str, str] | None = None
) -> list[tuple[str, str]]:
    """The row's observed values, neighbouring configurations with the same value merged into a
    range (first to last, joined by an en dash), modern-sql.com style: postgresql15 to
    postgresql17 give "x", postgresql18 gives "y". Configurations that observed nothing (not
    run, an error) are left out, and a range does not reach across them, nor across
    two backends (``backend_of``: configuration -> backend)."""
    merged: list[tuple[list[str], str]] = []
    last = -2  # the index in ``order`` of the last configuration merged
    backend = (backend_of or {}).get
    for index, name in enumerate(order):
        cell = row.cells[name]
        if not observed(cell):
            continue
        same_backend = not merged or backend(merged[-1][0][-1]) == backend(name)
        if merged and merged[-1][1] == cell.text and last == index - 1 and same_backend:
            merged[-1][0].append(name)
        else:
            merged.append(([name], cell.text))
        last = index
    return [(_span(names, short), value) for names, value in merged]


def _span(names: list[str], short: dict[str, str]) -> str:
    first, last = short[names[0]], short[names[-1]]
    return first if len(names) == 1 else f"{first}{RANGE}{last}"


def differs(row: Row) -> bool:
    """More than one value among the configurations that observed this behaviour."""
    return len({c.text for c in row.cells.values() if observed(c)}) > 1


def differences(all_topics: list[TopicView], order: list[str]) -> list[Difference]:
    """Every row whose value differs between configurations, in topic order."""
    return [
        Difference(topic.name, scenario, row)
        for topic in all_topics
        for scenario in topic.scenarios
        for row in scenario.rows
        if differs(row)
    ]


def agreeing(topic: TopicView) -> int:
    """How many behaviours of ``topic`` were observed with one value everywhere."""
    return sum(
        1
        for scenario in topic.scenarios
        for row in scenario.rows
        if not differs(row) and any(observed(c) for c in row.cells.values())
    )


def backend_differences(results: Results, found: list[Difference]) -> dict[str, list[str]]:
    """Per backend: the behaviours in which some configuration of it differs from the value most
    configurations of the other backends observed (for the terminal summary)."""
    backend_of = {
        name: configuration["backend"] for name, configuration in results["configurations"].items()
    }
    per_backend: dict[str, list[str]] = {}
    for difference in found:
        values: dict[str, set[str]] = {}
        for name, cell in difference.row.cells.items():
            if observed(cell):
                values.setdefault(backend_of[name], set()).add(cell.text)
        for backend, own in values.items():
            others = set().union(*(v for b, v in values.items() if b != backend))
            if others and own - others:
                per_backend.setdefault(backend, []).append(
                    f"{difference.scenario.id} · {difference.row.key}"
                )
    return per_backend


def anchor(scenario_id: str, key: str | None = None) -> str:
    """The HTML id of a scenario (or of one of its rows)."""
    text = scenario_id if key is None else f"{scenario_id}-{key}"
    return "r-" + "".join(ch if ch.isalnum() else "-" for ch in text).strip("-")
