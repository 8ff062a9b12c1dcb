"""report.html: the matrix as one self-contained page (no network, no external files).

It opens with what changes within a backend (each difference named by
the axis that splits it), then how the backends differ, then one table of every behaviour:
column groups per backend with each column's configuration in its header (a
sticky header), and filters that need no reload: topic, backend, column,
"only rows that differ", "only values that differ from the documentation",
and a search over behaviour names. Clicking a value shows the SQL its
scenario caused in that column. The SQL is kept once per distinct text (many
columns of one backend send the same statements) in a JSON block the page's
script reads. Rendered from templates/report.html.j2 with autoescaping.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from harness.report import chart
from harness.report.axes import configs, explain
from harness.report.diff import Diff
from harness.report.releases import along
from harness.report.render import render as render_template
from harness.report.view import (
    ScenarioView,
    agreeing,
    anchor,
    backend_order,
    backends_of,
    behaviours,
    differences,
    differs,
    labels,
    tally,
    topics,
    versions,
)
from harness.results import Results
from scenarios import _updated_at as recommend


@dataclass
class Column:
    name: str
    index: int
    label: str
    backend: str
    status: str
    configuration: str  # server · drivers · SQLAlchemy, or why it did not run
    info: dict[str, Any]


def render(results: Results, changes: Diff | None = None) -> str:
    order = backend_order(results)
    short = labels(order)
    columns = [_column(results, name, index, short[name]) for index, name in enumerate(order)]
    groups = [
        (backend, list(members))
        for backend, members in itertools.groupby(columns, key=lambda c: c.backend)
    ]
    all_topics = topics(results)
    on_axes = configs(results)
    explained = [
        (d, explain(d.row, order, on_axes))
        for d in differences(all_topics, order, backends_of(results))
    ]
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
        results=results,
        columns=columns,
        groups=groups,
        topics=all_topics,
        within=[(d, e) for d, e in explained if e.within],
        between=[(d, e) for d, e in explained if not e.within],
        timelines=along(results, all_topics),
        agreeing=agreeing,
        differs=differs,
        changes=changes,
        advice=recommend.updated_at(results),
        cells_sql=cells_sql,
        sql=sql.as_json(),
        charts=[c for c in charts if c[2]],
        anchor=anchor,
        behaviours=behaviours(all_topics),
        tally=tally,
        title=lambda topic: topic.replace("_", " ").capitalize(),
    )


def _column(results: Results, name: str, index: int, label: str) -> Column:
    info = results["columns"][name]
    configuration = versions(results, name)
    if info["status"] != "ran":
        configuration += f": {info.get('reason') or ''}"
    return Column(name, index, label, info["backend"], info["status"], configuration, info)


class SqlStore:
    """The SQL behind every cell, each distinct statement kept once: many columns of
    one backend send the same statements, and a cell is a list of their numbers."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self._numbers: dict[str, int] = {}
        self.cells: dict[str, dict[str, Any]] = {}

    def key(self, scenario: ScenarioView, name: str) -> str:
        """The key of this cell's SQL (and notes), each distinct cell kept once too."""
        numbers = []
        for statement in scenario.statements[name]:
            text = statement["sql"].rstrip() + ";"
            if statement.get("params"):
                text += f"\n-- parameters: {statement['params']}"
            if text not in self._numbers:
                self._numbers[text] = len(self.statements)
                self.statements.append(text)
            numbers.append(self._numbers[text])
        cell = {"n": scenario.notes[name], "s": numbers}
        digest = hashlib.sha1(repr(cell).encode(), usedforsecurity=False).hexdigest()[:10]
        self.cells[digest] = cell
        return digest

    def as_json(self) -> dict[str, Any]:
        return {"statements": self.statements, "cells": self.cells}
