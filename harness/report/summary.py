"""The few lines printed at the end of ``nox``: each backend, and what ran."""

from __future__ import annotations

from harness.report.view import backend_order, tally
from harness.results import Results


def render(results: Results) -> str:
    lines = []
    for name in backend_order(results):
        b = results["columns"][name]
        counts = tally(results, name)
        if b["status"] == "ran":
            detail = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            where = f"{b.get('server_version')} via {b.get('found_by')}"
            lines.append(f"{name:<11} ran      {where}: {detail}")
        else:
            remedy = f"; {b['remedy']}" if b.get("remedy") else ""
            lines.append(f"{name:<11} {b['status']:<8} {b.get('reason')}{remedy}")
        if b.get("left_behind"):
            lines.append(f"{'':<11} {b['left_behind']}")
    return "\n".join(lines)
