"""report.html: the matrix as one self-contained page (no network, no external files).

Rows are behaviours, columns are backends; each value links to the SQL its
scenario caused on that backend, which opens in place.
"""

from __future__ import annotations

from html import escape

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

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1b1f24;max-width:100rem}
table{border-collapse:collapse;margin:1rem 0;width:100%}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;vertical-align:top;text-align:left}
th{background:#f6f8fa} tr.scenario td{background:#eef3f8}
td.pass{background:#e9f7ec} td.mismatch{background:#ffe4e4;font-weight:600}
td.error{background:#fff4d6} td.not-run{color:#6e7781;font-style:italic}
code,pre{font:12px/1.4 ui-monospace,monospace} pre{white-space:pre-wrap;margin:.3rem 0;
background:#f6f8fa;padding:.4rem;max-height:30rem;overflow:auto}
a.v{color:inherit;text-decoration:none;border-bottom:1px dotted #57606a}
figure.chart{display:inline-block;margin:.5rem 1rem .5rem 0;border:1px solid #d0d7de;padding:.3rem}
figcaption{font-size:12px;color:#57606a;max-width:520px}
details>summary{cursor:pointer;color:#0969da} .doc{color:#57606a} .note{color:#9a6700}
"""

SCRIPT = """
document.querySelectorAll('a.v').forEach(function(a){a.addEventListener('click',function(){
 var d=document.getElementById(a.getAttribute('href').slice(1)); if(d){d.open=true;}});});
"""


def _cell(cell: Cell, anchor: str) -> str:
    css = cell.mark.replace(" ", "-")
    documented = (
        f"<br><small>documented: <code>{escape(cell.documented)}</code></small>"
        if cell.documented
        else ""
    )
    if cell.mark in ("not run", "error") or cell.text == "—":
        return f'<td class="{css}"><a class="v" href="#{anchor}">{escape(cell.text)}</a></td>'
    return (
        f'<td class="{css}"><a class="v" href="#{anchor}"><code>{escape(cell.text)}</code></a>'
        f"{documented}</td>"
    )


def _sql(scenario: ScenarioView, name: str, anchor: str) -> str:
    statements = scenario.statements[name]
    notes = "".join(f'<div class="note">{escape(n)}</div>' for n in scenario.notes[name])
    body = "\n".join(
        escape(s["sql"].rstrip() + ";")
        + (f"\n-- parameters: {escape(s['params'])}" if s.get("params") else "")
        for s in statements
    )
    return (
        f'<details id="{anchor}"><summary>{len(statements)} SQL · '
        f"{scenario.durations[name] * 1000:.1f} ms</summary>{notes}"
        + (f"<pre>{body}</pre>" if body else "")
        + "</details>"
    )


def _changes(changes: Diff | None) -> list[str]:
    if changes is None:
        return []
    lines = changes.lines()
    verdict = "behaviour changed" if changes.behaviour_changed else "no behaviour changed"
    items = "".join(f"<li>{escape(line)}</li>" for line in lines)
    return [
        f"<h2>Changes since the baseline</h2><p>{len(lines)} change(s): {verdict}.</p>"
        f"<ul>{items}</ul>"
    ]


def render(results: Results, changes: Diff | None = None) -> str:
    order = backend_order(results)
    out = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        "<title>SQLAlchemy behaviour matrix</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>SQLAlchemy behaviour matrix</h1>",
        f"<p>Generated {escape(results['generated_at'])}. "
        "Every value was observed on the backend of its column in this run; "
        "green matches the documented expectation, red differs from it. "
        "Click a value for the SQL behind it.</p>",
        *_changes(changes),
        "<h2>Columns</h2><table><tr><th>column</th><th>status</th><th>server</th><th>driver</th>"
        "<th>SQLAlchemy</th><th>Python</th><th>reached through</th><th>URL</th>"
        "<th>scenarios</th></tr>",
    ]
    for name in order:
        b = results["columns"][name]
        status = escape(b["status"])
        if b.get("reason"):
            status += f"<br><small>{escape(b['reason'])}"
            status += f"; {escape(b['remedy'])}</small>" if b.get("remedy") else "</small>"
        if b.get("left_behind"):
            status += f"<br><small>{escape(b['left_behind'])}</small>"
        driver = drivers_of(b)
        counts = ", ".join(f"{n} {s}" for s, n in sorted(tally(results, name).items()))
        cells = [
            name,
            None,
            b.get("server_version") or "—",
            driver,
            b["sqlalchemy"],
            b["python"],
            b.get("found_by") or "—",
            b.get("url") or "—",
            counts or "—",
        ]
        out.append(
            "<tr>"
            + "".join(
                f"<td>{status}</td>" if v is None else f"<td>{escape(str(v))}</td>" for v in cells
            )
            + "</tr>"
        )
    out.append("</table>")

    advice = recommend.updated_at(results)
    if advice is not None:
        out.append(f"<h2>{escape(advice.title)}</h2><p>{escape(advice.explanation)}</p><table>")
        out.append(
            "<tr><th>variant</th>" + "".join(f"<th>{escape(c)}</th>" for c in advice.columns)
        )
        for title, cells in advice.rows:
            out.append(
                f"<tr><td>{escape(title)}</td>" + "".join(f"<td>{escape(c)}</td>" for c in cells)
            )
        out.append(
            "</table><ul>"
            + "".join(
                f"<li><b>{escape(name)}</b>: {escape('; '.join(variants))}</li>"
                for name, variants in advice.best.items()
            )
            + "</ul>"
        )

    for topic in topics(results):
        out.append(f"<h2>{escape(topic.name.replace('_', ' ').capitalize())}</h2><table>")
        out.append(
            "<tr><th>behaviour</th><th>documented</th>"
            + "".join(
                f"<th>{escape(n)}<br><small>{escape(versions(results, n))}</small></th>"
                for n in order
            )
            + "</tr>"
        )
        for scenario in topic.scenarios:
            anchors = {name: f"sql-{scenario.id}-{name}".replace(".", "-") for name in order}
            out.append(
                f'<tr class="scenario"><td><b>{escape(scenario.title)}</b>'
                f"<br><code>{escape(scenario.id)}</code>"
                f'<div class="doc">{escape(scenario.doc)}</div></td><td></td>'
                + "".join(f"<td>{_sql(scenario, name, anchors[name])}</td>" for name in order)
                + "</tr>"
            )
            for row in scenario.rows:
                documented = (
                    "<br>".join(
                        f'<code>{escape(value)}</code> <a href="{escape(source)}">docs</a>'
                        + (f" <small>({escape(names)})</small>" if len(row.expected) > 1 else "")
                        for names, value, source in row.expected
                    )
                    or "—"
                )
                out.append(
                    f"<tr><td>{escape(row.key)}</td><td>{documented}</td>"
                    + "".join(_cell(row.cells[name], anchors[name]) for name in order)
                    + "</tr>"
                )
        out.append("</table>")
        for scenario in topic.scenarios:
            for backend, charts in scenario.measurements.items():
                out += [
                    f'<figure class="chart">{chart.svg(backend, series)}'
                    f"<figcaption>{escape(title)}</figcaption></figure>"
                    for title, series in charts.items()
                ]
    out.append(f"<script>{SCRIPT}</script></body></html>")
    return "\n".join(out) + "\n"
