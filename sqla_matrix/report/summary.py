"""The few lines printed at the end of ``nox``: each backend, and what ran."""

from __future__ import annotations

from sqla_matrix.report.releases import along, split
from sqla_matrix.report.view import (
    backend_differences,
    configuration_order,
    differences,
    tally,
    topics,
)
from sqla_matrix.results import RAN, Results

#: Behaviours named per backend before "and N more".
SHOWN = 4


def render(results: Results) -> str:
    """A line per configuration (the release history: a line per backend), then per backend the
    behaviours in which it differs."""
    lines = []
    for timeline in along(results):
        inner = sum(1 for row in timeline.rows if row.inner)
        missing = f"; {len(timeline.not_run)} not observed" if timeline.not_run else ""
        lines.append(
            f"history {timeline.title}: {timeline.described}: {len(timeline.rows)} "
            f"behaviour(s) differ, {inner} change inside a series{missing}"
        )
    results = split(results)
    for name in configuration_order(results):
        b = results["configurations"][name]
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
    order = configuration_order(results)
    per_backend = backend_differences(results, differences(topics(results), order))
    for backend, behaviours in per_backend.items():
        more = f", and {len(behaviours) - SHOWN} more" if len(behaviours) > SHOWN else ""
        lines.append(
            f"{backend} differs from the other backends in {len(behaviours)} behaviour(s): "
            + "; ".join(behaviours[:SHOWN])
            + more
        )
    return "\n".join(lines)
