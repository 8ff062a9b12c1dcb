"""report.html: the matrix as one self-contained page (no network, no external files).

It opens with what changes within a backend (each difference named by
the axis that splits it), then how the backends differ, then one table of every behaviour:
configuration groups per backend with each configuration's configuration in its header (a
sticky header), and filters that need no reload: topic, backend, configuration,
"only rows that differ", "only values that differ from the documentation",
and a search over behaviour names. Clicking a value shows the SQL its
scenario caused in that configuration. The SQL is kept once per distinct text (many
configurations of one backend send the same statements) in a JSON block the page's
script reads. Rendered from templates/report.html.j2 with autoescaping.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from sqla_matrix import drivers, warned
from sqla_matrix.report import chart
from sqla_matrix.report.axes import AXIS_NAMES, Config, axis_values, by_axis, configs
from sqla_matrix.report.diff import Diff
from sqla_matrix.report.releases import along, split
from sqla_matrix.report.render import render as render_template
from sqla_matrix.report.summaries import Summary
from sqla_matrix.report.view import (
    ScenarioView,
    agreeing,
    anchor,
    behaviours,
    configuration_order,
    flagged,
    labels,
    outcomes,
    runtime_of,
    tally,
    topics,
    versions,
)
from sqla_matrix.results import RAN, Results


@dataclass
class ShownConfiguration:
    name: str
    index: int
    label: str
    backend: str
    status: str
    versions: str  # server · drivers · SQLAlchemy, or why it did not run
    info: dict[str, Any]
    runtime: str  # Alembic, greenlet, the client's time zone (view.runtime_of)


def render(
    results: Results,
    changes: Diff | None = None,
    summaries: Sequence[Summary] = (),
    referenced: Sequence[str] = (),
) -> str:
    """report.html; ``referenced``: the configurations whose values a reference run observed
    (beside this run's), which the page names as such."""
    # The release history's configurations are read as ranges; the grid shows the others.
    timelines = along(results)
    results = split(results)
    order = configuration_order(results)
    short = labels(order)
    configurations = [
        _configuration(results, name, index, short[name]) for index, name in enumerate(order)
    ]
    groups = [
        (backend, list(members))
        for backend, members in itertools.groupby(configurations, key=lambda c: c.backend)
    ]
    all_topics = topics(results)
    on_axes = configs(results)
    within, between = by_axis(results, all_topics, order)
    sql = SqlStore()
    cells_sql = {
        scenario.id: {name: sql.key(scenario, name) for name in order}
        for topic in all_topics
        for scenario in topic.scenarios
    }
    # chart.svg escapes every text it writes: its SVG goes into the page as markup.
    charts = [
        (title, backend, Markup(chart.svg(f"{backend}: {title}", series)))
        for topic in all_topics
        for scenario in topic.scenarios
        for backend, per_chart in scenario.measurements.items()
        for title, series in per_chart.items()
    ]
    return render_template(
        "report.html.j2",
        axes=_axes(on_axes, order),
        compare_options=_compare_options(on_axes, order),
        results=results,
        configurations=configurations,
        referenced=[name for name in order if name in referenced],
        groups=groups,
        topics=all_topics,
        within=within,
        between=between,
        timelines=timelines,
        agreeing=agreeing,
        changes=changes,
        summaries=list(summaries),
        cells_sql=cells_sql,
        sql=sql.as_json(),
        charts=[c for c in charts if c[2]],
        anchor=anchor,
        warnings_key=warned.KEY,
        behaviours=behaviours(all_topics),
        tally=tally,
        outcomes=outcomes,
        flagged=flagged(results),
        title=lambda topic: topic.replace("_", " ").capitalize(),
    )


def _configuration(results: Results, name: str, index: int, label: str) -> ShownConfiguration:
    info = results["configurations"][name]
    shown = versions(results, name)
    if info["status"] != RAN:
        shown += f": {info.get('reason') or ''}"
    runtime = runtime_of(info)
    return ShownConfiguration(
        name, index, label, info["backend"], info["status"], shown, info, runtime
    )


def _axes(found: dict[str, Config], order: list[str]) -> dict[str, Any]:
    """What the page's compare view needs: each configuration on the axes, each backend's
    default driver (backends compare their default configurations)."""
    configurations = [
        {
            "name": name,
            "backend": c.backend,
            "server": c.server,
            "driver": c.sync_driver,
            "sqlalchemy": c.sqlalchemy,
        }
        for name, c in found.items()
    ]
    return {"configurations": configurations, "defaults": drivers.defaults(), "order": order}


def _compare_options(found: dict[str, Config], order: list[str]) -> Markup:
    """The compare view's choices: each axis's values, then the configurations."""
    groups = {
        axis: sorted(values) for axis, values in axis_values(found).items() if len(values) > 1
    }
    groups["configuration"] = order
    options = ['<option value="">—</option>']
    for axis, values in groups.items():
        label = AXIS_NAMES.get(axis, axis)
        inner = "".join(f'<option value="{escape(v)}">{escape(v)}</option>' for v in values)
        options.append(f'<optgroup label="{escape(label)}">{inner}</optgroup>')
    return Markup("".join(options))


#: A statement longer than this is shown abridged (a multi-row INSERT of 1,000 rows).
LONGEST_SQL = 2000


def _abridged(text: str) -> str:
    """``text``, or its start and end with how much was left out."""
    if len(text) <= LONGEST_SQL:
        return text
    gap = f"\n-- ... {len(text) - 1500:,} characters left out (results.json has them) ...\n"
    return f"{text[:1200]}{gap}{text[-300:]}"


class SqlStore:
    """The SQL behind every cell, each distinct statement kept once: many configurations of
    one backend send the same statements, and a cell is a list of their numbers.
    Parameters stay in results.json; each configuration's namespace name reads matrix_*."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self._numbers: dict[str, int] = {}
        self.cells: list[dict[str, Any]] = []
        self._cells: dict[str, int] = {}

    def key(self, scenario: ScenarioView, name: str) -> int:
        """The number of this cell's SQL (and notes), each distinct cell kept once too."""
        numbers = []
        for statement in scenario.statements[name]:
            text = _abridged(warned.NAMESPACE.sub("matrix_*", statement["sql"].rstrip()) + ";")
            if text not in self._numbers:
                self._numbers[text] = len(self.statements)
                self.statements.append(text)
            numbers.append(self._numbers[text])
        cell = {"n": scenario.notes[name], "s": numbers}
        found = self._cells.setdefault(repr(cell), len(self.cells))
        if found == len(self.cells):
            self.cells.append(cell)
        return found

    def as_json(self) -> dict[str, Any]:
        return {"statements": self.statements, "cells": self.cells}
