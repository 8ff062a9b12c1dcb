"""report.md: the matrix as GitHub renders it (also fit for a CI job summary)."""

from __future__ import annotations

from typing import Any

from harness.report import chart, recommend
from harness.report.diff import Diff
from harness.report.view import (
    Cell,
    ScenarioView,
    backend_order,
    drivers_of,
    tally,
    topics,
    versions,
)
from harness.results import Results

MARKS = {"pass": " ✅", "mismatch": " ❌", "error": " ⚠️", "not run": ""}


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def _cell(cell: Cell) -> str:
    text = f"`{_escape(cell.text)}`" if cell.mark in ("pass", "mismatch", "") else f"_{cell.text}_"
    if cell.text == "—":
        text = "—"
    documented = f" (documented: `{_escape(cell.documented)}`)" if cell.documented else ""
    return text + MARKS.get(cell.mark, "") + documented


def render(results: Results, changes: Diff | None = None) -> str:
    order = backend_order(results)
    lines = [
        "# SQLAlchemy behaviour matrix",
        "",
        f"Generated {results['generated_at']}. Every value below was observed on the backend "
        "of its column in this run. ✅ matches the documented expectation (linked), "
        "❌ differs from it, ⚠️ the scenario raised; a value without a mark has no "
        "documented expectation.",
        "",
        *_changes(changes),
        "## Columns",
        "",
        "| column | status | server | driver | SQLAlchemy | Python | reached through | URL |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in order:
        b = results["columns"][name]
        status = b["status"]
        if b.get("reason"):
            status += f": {b['reason']}" + (f"; {b['remedy']}" if b.get("remedy") else "")
        if b.get("left_behind"):
            status += f" — {b['left_behind']}"
        driver = drivers_of(b)
        lines.append(
            "| "
            + " | ".join(
                _escape(str(v))
                for v in (
                    name,
                    status,
                    b.get("server_version") or "—",
                    driver,
                    b["sqlalchemy"],
                    b["python"],
                    b.get("found_by") or "—",
                    b.get("url") or "—",
                )
            )
            + " |"
        )
    lines += ["", "| scenarios | " + " | ".join(order) + " |", "|---|" + "---|" * len(order)]
    lines.append("| tally | " + " | ".join(_tally(results, name) for name in order) + " |")

    advice = recommend.updated_at(results)
    if advice is not None:
        lines += ["", f"## {advice.title}", "", advice.explanation, ""]
        lines.append("| variant | " + " | ".join(advice.columns) + " |")
        lines.append("|---|" + "---|" * len(advice.columns))
        lines += [
            f"| {_escape(title)} | " + " | ".join(cells) + " |" for title, cells in advice.rows
        ]
        lines.append("")
        lines += [f"- **{name}**: " + "; ".join(variants) for name, variants in advice.best.items()]

    for topic in topics(results):
        lines += ["", f"## {topic.name.replace('_', ' ').capitalize()}", ""]
        headings = [f"{name}<br><sub>{_escape(versions(results, name))}</sub>" for name in order]
        lines.append("| behaviour | documented | " + " | ".join(headings) + " |")
        lines.append("|---|---|" + "---|" * len(order))
        for scenario in topic.scenarios:
            lines.append(
                f"| **{_escape(scenario.title)}** <br>`{scenario.id}` | | "
                + " | ".join(_status(scenario, name) for name in order)
                + " |"
            )
            for row in scenario.rows:
                documented = (
                    "<br>".join(
                        f"`{_escape(value)}` [docs]({source})"
                        + (f" ({names})" if len(row.expected) > 1 else "")
                        for names, value, source in row.expected
                    )
                    or "—"
                )
                lines.append(
                    f"| {_escape(row.key)} | {documented} | "
                    + " | ".join(_cell(row.cells[name]) for name in order)
                    + " |"
                )
        for scenario in topic.scenarios:
            lines += _measurements(scenario)
        lines += ["", f"### SQL behind the cells: {topic.name.replace('_', ' ')}", ""]
        for scenario in topic.scenarios:
            lines += _sql_sections(scenario, order)
    return "\n".join(lines) + "\n"


def _changes(changes: Diff | None) -> list[str]:
    if changes is None:
        return []
    lines = changes.lines()
    verdict = "behaviour changed" if changes.behaviour_changed else "no behaviour changed"
    return [
        "## Changes since the baseline",
        "",
        f"{len(lines)} change(s): {verdict}.",
        "",
        *(f"- {_escape(line)}" for line in lines),
        "",
    ]


def _measurements(scenario: ScenarioView) -> list[str]:
    lines: list[str] = []
    for backend, charts in scenario.measurements.items():
        for title, series in charts.items():
            xs, rows = chart.table_rows(series)
            lines += ["", f"**{backend}: {title}**", ""]
            lines.append("| N | " + " | ".join(f"{int(x):,}" for x in xs) + " |")
            lines.append("|---|" + "---|" * len(xs))
            lines += [f"| {name} | " + " | ".join(cells) + " |" for name, cells in rows]
    return lines


def _tally(results: Results, name: str) -> str:
    counts = tally(results, name)
    return ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "—"


def _status(scenario: ScenarioView, name: str) -> str:
    status = scenario.status[name]
    return "" if status in ("pass", "mismatch") else f"_{status}_"


def _sql_sections(scenario: ScenarioView, order: list[str]) -> list[str]:
    lines = [f"<details><summary><b>{scenario.id}</b>: {scenario.title}</summary>", ""]
    if scenario.doc:
        lines += [scenario.doc, ""]
    for name in order:
        statements: list[dict[str, Any]] = scenario.statements[name]
        notes = scenario.notes[name]
        lines.append(
            f"**{name}**: {len(statements)} statement(s), {scenario.durations[name] * 1000:.1f} ms"
        )
        lines.append("")
        for note in notes:
            lines += [f"- {_escape(note)}"]
        if notes:
            lines.append("")
        if statements:
            lines.append("```sql")
            for statement in statements:
                lines.append(statement["sql"].rstrip() + ";")
                if statement.get("params"):
                    lines.append(f"-- parameters: {statement['params']}")
            lines += ["```", ""]
    lines += ["</details>", ""]
    return lines
