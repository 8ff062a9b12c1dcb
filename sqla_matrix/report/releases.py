"""Release ranges: in which SQLAlchemy releases each value holds.

A timeline is the columns of one backend, server and driver that differ only
in their SQLAlchemy release (``nox -t timeline``). A behaviour whose value
changes along it is written as modern-sql.com and MDN write support::

    2.0.0–2.0.35: stale (the value before the UPDATE) · since 2.0.36: expired

Where the timeline's bisection (sqla_matrix/timeline.py) pinned a change, the new
value's range starts at the first release that has it, and the old one ends at
the release before. Where it did not, the range starts at the first column that
showed the value, and says after which release it changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.version import Version

from sqla_matrix.report.view import RANGE, Cell, Row, ScenarioView, TopicView, observed
from sqla_matrix.results import Results
from sqla_matrix.timeline import Line, timelines


@dataclass
class ReleaseRow:
    scenario: ScenarioView
    row: Row
    key: str
    spans: list[tuple[str, str]]  # (the releases, as a range; the value there)


@dataclass
class Timeline:
    title: str  # "sqlite · pysqlite", "postgresql 15 · psycopg"
    releases: list[str]  # the columns' releases, oldest first
    rows: list[ReleaseRow]
    agreeing: int  # behaviours with one value along the whole timeline


def along(results: Results, all_topics: list[TopicView]) -> list[Timeline]:
    """Every timeline of three releases or more, with the behaviours that change along it."""
    found = []
    pinned = results.get("releases", [])
    for line, columns in timelines(results, least=3).items():
        releases = [results["columns"][name]["sqlalchemy"] for name in columns]
        rows, agreeing = [], 0
        for topic in all_topics:
            for scenario in topic.scenarios:
                for row in scenario.rows:
                    values = [_value(row.cells[name]) for name in columns]
                    if len({v for v in values if v is not None}) > 1:
                        ups = _pins(pinned, line, scenario.id, row.key)
                        spans = spans_of(releases, values, ups)
                        rows.append(ReleaseRow(scenario, row, row.key, spans))
                    elif any(v is not None for v in values):
                        agreeing += 1
        backend, server, driver = line
        title = f"{backend}{' ' + server if server else ''} · {driver}"
        found.append(Timeline(title, releases, rows, agreeing))
    return found


def _value(cell: Cell) -> str | None:
    """What a timeline compares: the value, whatever its expectation's mark (a known bug
    on the older releases included), "not in this release", or None (not observed)."""
    if cell.text == "not in this release" or observed(cell):
        return cell.text
    return None


def _pins(pinned: list[dict[str, Any]], line: Line, scenario: str, key: str) -> dict[str, str]:
    """The bisected changes of one behaviour on one timeline: first release -> the one before."""
    backend, server, driver = line
    return {
        f["first"]: f["before"]
        for f in pinned
        if (f["backend"], f["server"], f["driver"]) == (backend, server, driver)
        and (f["scenario"], f["key"]) == (scenario, key)
    }


def spans_of(
    releases: Sequence[str], values: Sequence[str | None], pins: Mapping[str, str]
) -> list[tuple[str, str]]:
    """Neighbouring releases with one value merged into a range, each start moved to the
    release bisection pinned (``pins``: first release -> the release before it)."""
    runs: list[tuple[int, int, str]] = []  # first index, last index, value
    for index, value in enumerate(values):
        if value is None:
            continue
        if runs and runs[-1][2] == value:
            runs[-1] = (runs[-1][0], index, value)
        else:
            runs.append((index, index, value))
    starts: list[tuple[str, str | None]] = []  # (first release, the release before: None if 0)
    for number, (first, _, _) in enumerate(runs):
        if number == 0:
            starts.append((releases[first], None))
            continue
        previous = releases[runs[number - 1][1]]
        pin = next(
            (
                (new, old)
                for new, old in pins.items()
                if Version(previous) < Version(new) <= Version(releases[first])
            ),
            None,
        )
        starts.append(pin if pin else (releases[first], f"after {previous}"))
    spans = []
    for number, (_, last, value) in enumerate(runs):
        start, before = starts[number]
        note = f" (changed {before})" if before and before.startswith("after ") else ""
        if number == len(runs) - 1:
            spans.append((f"since {start}{note}", value))
            continue
        next_before = starts[number + 1][1]
        pinned_end = next_before and not next_before.startswith("after ")
        end = next_before if pinned_end else releases[last]
        label = start if end == start else f"{start}{RANGE}{end}"
        spans.append((f"{label}{note}", value))
    return spans
