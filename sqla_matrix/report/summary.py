"""The few lines printed at the end of ``nox``: each backend, and what ran."""

from __future__ import annotations

from sqla_matrix.report.view import backend_differences, column_order, differences, tally, topics
from sqla_matrix.results import RAN, Results

#: Behaviours named per backend before "and N more".
SHOWN = 4


def render(results: Results) -> str:
    """A line per column, then per backend the behaviours in which it differs."""
    lines = []
    for name in column_order(results):
        b = results["columns"][name]
        counts = tally(results, name)
        if b["status"] == RAN:
            detail = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            where = f"{b.get('server_version')} via {b.get('found_by')}"
            lines.append(f"{name:<11} ran      {where}: {detail}")
        else:
            remedy = f"; {b['remedy']}" if b.get("remedy") else ""
            lines.append(f"{name:<11} {b['status']:<8} {b.get('reason')}{remedy}")
        if b.get("left_behind"):
            lines.append(f"{'':<11} {b['left_behind']}")
    order = column_order(results)
    per_backend = backend_differences(results, differences(topics(results), order))
    for backend, behaviours in per_backend.items():
        more = f", and {len(behaviours) - SHOWN} more" if len(behaviours) > SHOWN else ""
        lines.append(
            f"{backend} differs from the other backends in {len(behaviours)} behaviour(s): "
            + "; ".join(behaviours[:SHOWN])
            + more
        )
    return "\n".join(lines)
