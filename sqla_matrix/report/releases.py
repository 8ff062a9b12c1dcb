"""Release ranges: in which SQLAlchemy releases each value holds.

    python -m sqla_matrix.report.releases [report/results.json]   # every range, as text

The release history (``nox -t history``) makes one configuration per SQLAlchemy release
(``sqla2.0.40-postgresql-psycopg``). A *line* is the configurations of one backend, server
and driver; each series is its own line in PyPI's upload order, so a 2.1.x release is
never read as coming after a later 2.0.x. A behaviour whose value changes along a
line is written as modern-sql.com and MDN write support::

    2.0.0–2.0.35: stale (the value before the UPDATE) · since 2.0.36: expired
    2.0.0–2.0.54 and 2.1.0–2.1.4: raises · since 2.0.55 and 2.1.5: 20 loaded

(the second: it moved in both series, said once). Every release observed, a range
starts and ends exactly (``2.0.40 only`` for one release). Where releases in between
were not observed (an older results file with a few hand-picked releases), a range
says after which release it changed, or starts where a bisection pinned it.

This module reads results only: no subprocess, no package index.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from sqla_matrix import results as results_module
from sqla_matrix.configurations import is_release
from sqla_matrix.errors import MatrixError
from sqla_matrix.history import listing
from sqla_matrix.report.view import (
    RANGE,
    Cell,
    Row,
    backends_of,
    observed,
    row_of,
    warnings_row_of,
)
from sqla_matrix.results import RAN, Results

#: A line: backend, server version asked for (None: any), sync driver.
Line = tuple[str, str | None, str]


@dataclass
class Scenario:
    id: str
    title: str


@dataclass
class Span:
    releases: str  # "2.0.0–2.0.35", "2.0.40 only", "since 2.0.36", "... and 2.1.5"
    value: str
    note: str = ""  # what the release that starts it changed (the noxfile's RELEASE_NOTES)

    def __iter__(self) -> Any:  # (releases, value), as the templates unpack a span
        return iter((self.releases, self.value))


@dataclass
class ReleaseRow:
    scenario: Scenario
    row: Row
    key: str
    spans: list[Span]
    #: Ranges that start or end inside a series (not at its first or newest release).
    inner: list[str] = field(default_factory=list)


@dataclass
class Timeline:
    title: str  # "sqlite · pysqlite", "postgresql 15 · psycopg"
    releases: list[str]  # the configurations' releases, per series in upload order
    rows: list[ReleaseRow]
    agreeing: int  # behaviours with one value along the whole line
    not_run: list[tuple[str, str, str]] = field(default_factory=list)  # configuration, status, why
    described: str = ""  # "2.0.0–2.0.58 (59 releases), 2.1.0–2.1.9 (10 releases)"


def split(results: Results) -> Results:
    """The part of ``results`` the matrix's grid shows: every configuration that is not a release
    configuration; where all are (a history run alone), the newest release of each series on
    each line. The release configurations are shown as ranges (``along``)."""
    configurations = results["configurations"]
    kept = [name for name in configurations if not is_release(name)]
    if not kept:
        for by_series in lines(results, ran_only=False).values():
            kept += [names[-1] for names in by_series.values() if names]
    if len(kept) == len(configurations):
        return results
    chosen = set(kept)
    scenarios = {
        scenario_id: {
            **entry,
            "cells": {n: c for n, c in entry["cells"].items() if n in chosen},
        }
        for scenario_id, entry in results["scenarios"].items()
    }
    return {
        **results,
        "configurations": {n: configurations[n] for n in kept},
        "scenarios": scenarios,
    }


def _key(version: str) -> Version:
    try:
        return Version(version)
    except InvalidVersion:
        return Version("0")


def upload_order(results: Results) -> list[str]:
    """Every release in PyPI's upload order: the results' own list, else the committed one."""
    held = results.get("history", {}).get("upload_order")
    if held:
        return list(held)
    try:
        return [r.version for r in listing.load() if not r.yanked]
    except MatrixError:
        return []


def lines(results: Results, ran_only: bool = True) -> dict[Line, dict[str, list[str]]]:
    """The release configurations grouped by line, then by series, each in upload order."""
    order = {version: n for n, version in enumerate(upload_order(results))}
    grouped: dict[Line, dict[str, list[tuple[Any, str]]]] = {}
    for name, configuration in results["configurations"].items():
        release = configuration.get("sqlalchemy")
        if not is_release(name) or not release:
            continue
        if ran_only and configuration.get("status") != RAN:
            continue
        line = (
            configuration["backend"],
            configuration.get("server_requested"),
            configuration.get("driver") or "",
        )
        try:
            series = listing.series_of(str(release))
        except MatrixError:
            continue
        place = (order.get(release, len(order)), _key(str(release)))
        grouped.setdefault(line, {}).setdefault(series, []).append((place, name))
    return {
        line: {s: [n for _, n in sorted(members)] for s, members in sorted(by_series.items())}
        for line, by_series in grouped.items()
    }


def _value(cell: Cell) -> str | None:
    """What a line compares: the value, whatever its expectation's mark (a known bug on
    the older releases included), "not in this release", or None (not observed)."""
    if cell.text == "not in this release" or observed(cell):
        return cell.text
    return None


def _pins(pinned: list[dict[str, Any]], line: Line, scenario: str, key: str) -> dict[str, str]:
    """An older file's bisected changes of one behaviour: first release -> the one before."""
    backend, server, driver = line
    return {
        f["first"]: f["before"]
        for f in pinned
        if (f["backend"], f["server"], f["driver"]) == (backend, server, driver)
        and (f["scenario"], f["key"]) == (scenario, key)
    }


def spans_of(
    releases: Sequence[str],
    values: Sequence[str | None],
    pins: Mapping[str, str] | None = None,
    every: Sequence[str] | None = None,
) -> list[tuple[str, str]]:
    """Neighbouring releases with one value merged into a range. ``every``: the series'
    releases in upload order; a change between two releases that are neighbours there is
    exact (the new range starts at the second, the old one ends at the first). Else a
    start moves to the release bisection pinned (``pins``: first release -> the release
    before it), or says after which release it changed."""
    pins = pins or {}
    place = {release: n for n, release in enumerate(every or [])}
    runs: list[tuple[int, int, str]] = []  # first index, last index, value
    for index, value in enumerate(values):
        if value is None:
            continue
        if runs and runs[-1][2] == value:
            runs[-1] = (runs[-1][0], index, value)
        else:
            runs.append((index, index, value))
    # (first release, the release before it when exact, or "after X" when not; None: first)
    starts: list[tuple[str, str | None]] = []
    for number, (first, _, _) in enumerate(runs):
        if number == 0:
            starts.append((releases[first], None))
            continue
        previous, current = releases[runs[number - 1][1]], releases[first]
        if previous in place and current in place and place[current] == place[previous] + 1:
            starts.append((current, previous))
            continue
        pin = next(
            (
                (new, old)
                for new, old in pins.items()
                if Version(previous) < Version(new) <= Version(current)
            ),
            None,
        )
        starts.append(pin if pin else (current, f"after {previous}"))
    spans = []
    for number, (_, last, value) in enumerate(runs):
        start, before = starts[number]
        note = f" (changed {before})" if before and before.startswith("after ") else ""
        if number == len(runs) - 1:
            spans.append((f"since {start}{note}", value))
            continue
        next_before = starts[number + 1][1]
        exact_end = bool(next_before) and not str(next_before).startswith("after ")
        end = str(next_before) if exact_end else releases[last]
        if end == start:
            label = f"{start} only" if exact_end and not note else start
        else:
            label = f"{start}{RANGE}{end}"
        spans.append((f"{label}{note}", value))
    return spans


def _joined(per_series: dict[str, list[tuple[str, str]]]) -> list[tuple[str, str]]:
    """The series' spans as one list. Where one series went through the last values of
    another in the same order (the same change made in both; or a newer series that
    started with the older one's newest value), each of those ranges is said once for
    both: "since 2.0.55 and 2.1.5", "since 2.0.32 and 2.1.0". Else each series' own."""
    if len(per_series) != 2:
        return [span for spans in per_series.values() for span in spans]
    older, newer = per_series.values()
    long_, short = (older, newer) if len(older) >= len(newer) else (newer, older)
    tail = len(long_) - len(short)
    if [v for _, v in long_[tail:]] != [v for _, v in short]:
        return [*older, *newer]
    joined = list(long_[:tail])
    for (first, value), (second, _) in zip(long_[tail:], short, strict=True):
        pair = (first, second) if long_ is older else (second, first)
        both_since = all(label.startswith("since ") for label in pair)
        labels = [label.removeprefix("since ") if both_since else label for label in pair]
        joined.append((("since " if both_since else "") + " and ".join(labels), value))
    return joined


def _inner(per_series: dict[str, list[tuple[str, str]]]) -> bool:
    """Some range of the row starts or ends inside a series: the behaviour changed there."""
    return any(len(spans) > 1 for spans in per_series.values())


def _described(by_series: dict[str, list[str]], release_of: dict[str, str]) -> str:
    parts = []
    for names in by_series.values():
        first, last = release_of[names[0]], release_of[names[-1]]
        count = f"{len(names)} release{'s' if len(names) != 1 else ''}"
        parts.append(f"{first}{RANGE}{last} ({count})" if first != last else f"{first} ({count})")
    return ", ".join(parts)


def along(results: Results) -> list[Timeline]:
    """Every line of two releases or more, with the behaviours that change along it."""
    found = []
    pinned = results.get("releases", [])
    notes: dict[str, str] = results.get("history", {}).get("notes", {})
    every = upload_order(results)
    backend_of = backends_of(results)
    release_of = {n: str(c.get("sqlalchemy")) for n, c in results["configurations"].items()}
    for line, by_series in lines(results).items():
        configurations = [name for names in by_series.values() for name in names]
        if len(configurations) < 2:
            continue
        rows, agreeing = [], 0
        series_every = {
            s: [r for r in every if listing.series_of(r) == s] if every else None for s in by_series
        }
        for scenario_id, entry in results["scenarios"].items():
            if "cost" in entry.get("tags", []):
                continue
            cells = entry["cells"]
            present = [cells.get(name) for name in configurations if name in cells]
            if not present:
                continue
            keys: list[str] = []
            for cell in present:
                for key in [*cell.get("expected", {}), *cell.get("observed", {})]:
                    if key not in keys:
                        keys.append(key)
            shown_rows = [row_of(key, cells, configurations, backend_of) for key in keys]
            shown_rows.append(warnings_row_of(cells, configurations))
            for row in shown_rows:
                values = [_value(row.cells[name]) for name in configurations]
                if len({v for v in values if v is not None}) <= 1:
                    agreeing += any(v is not None for v in values)
                    continue
                pins = _pins(pinned, line, scenario_id, row.key)
                per_series = {}
                for series, names in by_series.items():
                    series_values = [_value(row.cells[name]) for name in names]
                    if all(v is None for v in series_values):
                        continue
                    releases = [release_of[name] for name in names]
                    per_series[series] = spans_of(
                        releases, series_values, pins, series_every[series]
                    )
                spans = []
                for label, value in _joined(per_series):
                    start = label.removeprefix("since ").split(RANGE)[0].split(" ")[0]
                    firsts = {release_of[names[0]] for names in by_series.values()}
                    note = (
                        f"{start}: {notes[start]}" if start in notes and start not in firsts else ""
                    )
                    spans.append(Span(label, value, note))
                inner = [s.releases for s in spans] if _inner(per_series) else []
                named = Scenario(scenario_id, entry.get("title", scenario_id))
                rows.append(ReleaseRow(named, row, row.key, spans, inner))
        backend, server, driver = line
        title = f"{backend}{' ' + server if server else ''} · {driver}"
        not_run = [
            (name, str(configuration.get("status")), str(configuration.get("reason") or ""))
            for name, configuration in results["configurations"].items()
            if is_release(name)
            and configuration.get("status") != RAN
            and (
                configuration["backend"],
                configuration.get("server_requested"),
                configuration.get("driver") or "",
            )
            == line
        ]
        found.append(
            Timeline(
                title,
                [release_of[name] for name in configurations],
                rows,
                agreeing,
                not_run,
                _described(by_series, release_of),
            )
        )
    return found


def not_run_lines(results: Results) -> list[tuple[str, str, str]]:
    """Release configurations of lines with no configuration that ran: (configuration,
    status, reason)."""
    ran = set(lines(results))
    return [
        (name, str(configuration.get("status")), str(configuration.get("reason") or ""))
        for name, configuration in results["configurations"].items()
        if is_release(name)
        and (
            configuration["backend"],
            configuration.get("server_requested"),
            configuration.get("driver") or "",
        )
        not in ran
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sqla_matrix.report.releases",
        description="Print every release range of a results file, per line.",
    )
    parser.add_argument("results", type=Path, nargs="?", default=Path("report/results.json"))
    parser.add_argument(
        "--inner", action="store_true", help="only the values whose range starts or ends inside"
    )
    args = parser.parse_args(argv)
    try:
        document = results_module.load(args.results)
    except MatrixError as error:
        print(f"releases: {error}", file=sys.stderr)
        return 2
    found = along(document)
    for timeline in found:
        changed = [r for r in timeline.rows if r.inner]
        print(
            f"{timeline.title}: {timeline.described}; {len(timeline.rows)} behaviour(s) differ, "
            f"{len(changed)} change inside a series, {timeline.agreeing} agree"
        )
        for row in timeline.rows:
            if args.inner and not row.inner:
                continue
            shown = " · ".join(
                f"{s.releases}: {s.value[:80]}" + (f" [{s.note}]" if s.note else "")
                for s in row.spans
            )
            print(f"  {row.scenario.id} · {row.key}\n      {shown}")
        for name, status, reason in timeline.not_run:
            print(f"  {name}: {status}: {reason}")
    for name, status, reason in not_run_lines(document):
        print(f"{name}: {status}: {reason}")
    if not found:
        print("releases: no line of two releases or more in these results")
    return 0


if __name__ == "__main__":
    sys.exit(main())
