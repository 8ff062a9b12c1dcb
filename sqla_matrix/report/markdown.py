"""report.md: the matrix as GitHub renders it, small enough for a CI job summary.

It opens with what changes within a backend (each difference named by the
axis that splits it: SQLAlchemy release, driver, server version), then how
the backends differ, then the configurations, the updated_at recommendation, and every
behaviour per topic: a grid when there are few configurations, the values as
ranges when there are many. No SQL: the statements are in report.html and
results.json, and each scenario links to them. Rendered from
templates/report.md.j2.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqla_matrix.report.axes import by_axis, configs, explain
from sqla_matrix.report.chart import table_rows
from sqla_matrix.report.diff import Diff
from sqla_matrix.report.releases import along, split
from sqla_matrix.report.render import render as render_template
from sqla_matrix.report.summaries import Summary
from sqla_matrix.report.view import (
    Cell,
    Row,
    TopicView,
    agreeing,
    anchor,
    behaviours,
    configuration_order,
    drivers_of,
    flagged,
    outcomes,
    runtime_of,
    tally,
    topics,
    versions,
)
from sqla_matrix.results import ERROR, MISMATCH, NOT_RUN, PASS, Results

#: Up to this many configurations a topic is a grid; beyond, each row lists its values as ranges.
GRID_COLUMNS = 8
MARKS = {
    PASS: " ✅",
    MISMATCH: " ❌",
    "never observed": " ❌",
    "known bug": " 🐛",
    "known bug no longer seen": " ✨",
    "not supported": " ⛔",
    "started to work": " ✨",
    "error": " ⚠️",
    NOT_RUN: "",
}
#: Which mark a listed value carries when its configurations disagree: the most urgent.
URGENCY = (
    MISMATCH,
    "never observed",
    "known bug no longer seen",
    "started to work",
    "known bug",
    "not supported",
)


def escape(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", "<br>")


#: Longer values are cut in report.md (report.html and results.json have them whole).
LONGEST_VALUE = 160


def code(text: Any) -> str:
    """Inline code that survives backticks in the text, cut after LONGEST_VALUE characters."""
    text = str(text)
    if len(text) > LONGEST_VALUE:
        text = text[: LONGEST_VALUE - 10] + " …(cut)"
    text = escape(text)
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}"


def mark(row: Row, value: str) -> str:
    """The mark of a value in a listing of values: ❌ when a configuration showing it differs
    from its documentation, ✅ when every documented configuration showing it matches."""
    marks = {c.mark for c in row.cells.values() if c.text == value}
    for urgent in URGENCY:
        if urgent in marks:
            return MARKS[urgent]
    return MARKS["pass"] if PASS in marks else ""


def cell(value: Cell) -> str:
    if value.text == "—":
        return "—"
    text = f"_{value.text}_" if value.mark in (ERROR, NOT_RUN) else code(value.text)
    documented = f" (expected: {code(value.documented)})" if value.documented else ""
    return text + MARKS.get(value.mark, "") + documented


#: A scenario with more behaviours than this (a product of dimensions) lists in report.md
#: only the ones that differ between configurations or from their documentation; report.html and
#: results.json hold every one.
LISTED_WHOLE = 40


#: ... and of those, at most this many, the ones that differ from their documentation first.
LISTED_AT_MOST = 25


def _urgent(row: Row) -> bool:
    return any(c.mark in URGENCY or c.mark == ERROR for c in row.cells.values())


def listed(rows: list[Row]) -> list[Row]:
    """The rows report.md shows of one scenario: all of a small one; of a large one, each
    row whose configurations disagree or whose mark is not a plain pass, urgent ones first, at
    most ``LISTED_AT_MOST`` (report.html has the rest)."""
    if len(rows) <= LISTED_WHOLE:
        return rows
    telling = [
        row
        for row in rows
        if _urgent(row) or len({c.text for c in row.cells.values() if c.mark != NOT_RUN}) > 1
    ]
    return sorted(telling, key=lambda row: not _urgent(row))[:LISTED_AT_MOST]


def _cut_large(
    explained: list[tuple[Any, Any]], all_topics: list[TopicView]
) -> tuple[list[tuple[Any, Any]], dict[str, int]]:
    """The differences report.md lists: of a large scenario's, those ``listed`` keeps; and
    per topic how many it leaves to report.html."""
    large = {s.id: s for t in all_topics for s in t.scenarios if len(s.rows) > LISTED_WHOLE}
    kept_rows = {sid: {id(row) for row in listed(s.rows)} for sid, s in large.items()}
    kept: list[tuple[Any, Any]] = []
    left: dict[str, int] = {}
    for d, e in explained:
        if d.scenario.id in large and id(d.row) not in kept_rows[d.scenario.id]:
            left[d.topic] = left.get(d.topic, 0) + 1
        else:
            kept.append((d, e))
    return kept, left


def render(results: Results, changes: Diff | None = None, summaries: Sequence[Summary] = ()) -> str:
    # The release history's configurations are read as ranges; the grid shows the others.
    timelines = along(results)
    results = split(results)
    order = configuration_order(results)
    all_topics = topics(results)
    on_axes = configs(results)
    within, between = by_axis(results, all_topics, order)
    within, within_left = _cut_large(within, all_topics)
    between, between_left = _cut_large(between, all_topics)
    return render_template(
        "report.md.j2",
        results=results,
        order=order,
        configurations=[(name, results["configurations"][name]) for name in order],
        topics=all_topics,
        within=within,
        between=between,
        within_left=within_left,
        between_left=between_left,
        timelines=timelines,
        differing_topics=sorted({d.topic for d, _ in [*within, *between]}),
        agreeing=agreeing,
        changes=changes,
        summaries=list(summaries),
        grid=len(order) <= GRID_COLUMNS,
        explain=lambda row: explain(row, order, on_axes),
        anchor=anchor,
        behaviours=behaviours(all_topics),
        versions=versions,
        drivers_of=drivers_of,
        runtime_of=runtime_of,
        tally=tally,
        outcomes=outcomes,
        flagged=flagged(results),
        escape=escape,
        code=code,
        cell=cell,
        mark=mark,
        listed=listed,
        title=_title,
        table_rows=table_rows,
    )


def _title(topic: str) -> str:
    return topic.replace("_", " ").capitalize()
