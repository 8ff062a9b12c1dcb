"""The reference results that ship with the code: the newest complete run (the axes and
the release history), compacted, in reference/results.json.

    nox -s reference                      # run the cells (nox -t axes history), then compact
    python -m sqla_matrix.site.reference --from report/results.json    # compact a run
    python -m sqla_matrix.site.reference --check     # against the scenario catalogue

The compact form is a results file (the same schema) without what the site does not show:
the statements' parameters and those past the first few, the measurements, the timings;
the release configurations in the compact form (sqla_matrix/results.py), one scenario a line.
``--check`` lists each scenario or documented key that no longer exists and each new one
the reference lacks (exit 1 when any); the site lists the same on its index page.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from pathlib import Path
from typing import Any

from sqla_matrix import results
from sqla_matrix.configurations import is_release
from sqla_matrix.errors import MatrixError
from sqla_matrix.filled import describe

DEFAULT = Path("reference/results.json")
#: Statements kept per cell, each cut at SQL_CHARS (as the site shows them); none for the
#: release configurations (``sqla2.0.36-sqlite-pysqlite``: the history's, or an older timeline's),
#: whose SQL and documented values the series' configurations show (their marks stay).
STATEMENTS, SQL_CHARS = 4, 400
#: Tags of the scenarios the reference run leaves out, as every cell does (noxfile.py LEFT_OUT).
LEFT_OUT = ("cost", "long")
_TIMINGS = ("duration_s", "paused_s", "teardown_s", "round_trip_s", "cpu_s", "started_at")


def compact(document: results.Results) -> results.Results:
    """``document`` without what the site never shows (kept to the results schema)."""
    configurations = {
        name: {
            k: (None if k in ("started_at", "duration_s") else v) for k, v in configuration.items()
        }
        for name, configuration in document["configurations"].items()
    }
    for configuration in configurations.values():
        configuration.pop("round_trip_s", None)
        configuration.pop("cpu_s", None)
    scenarios: dict[str, Any] = {}
    for scenario_id, entry in document["scenarios"].items():
        cells = {}
        for name, cell in entry["cells"].items():
            kept = {k: v for k, v in cell.items() if k not in _TIMINGS}
            kept["duration_s"] = 0.0
            kept["measurements"] = {}
            statements = cell.get("statements", [])
            timeline = is_release(name)
            shown = 0 if timeline else STATEMENTS
            if timeline:  # its marks stay; the documented values are the series configurations'
                kept["expected"] = {}
            kept["statements"] = [
                {"sql": _cut(s.get("sql", "")), "params": None, "many": s.get("many", False)}
                for s in statements[:shown]
            ]
            kept["statements_omitted"] = cell.get("statements_omitted", 0) + max(
                0, len(statements) - shown
            )
            cells[name] = kept
        scenarios[scenario_id] = {**entry, "cells": cells}
    return {**document, "configurations": configurations, "scenarios": scenarios}


def _cut(sql: str) -> str:
    return sql if len(sql) <= SQL_CHARS else sql[:SQL_CHARS] + " …"


def save(document: results.Results, path: Path) -> None:
    """One scenario per line: small, and a new run's diff reads scenario by scenario."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = results.compacted(document)  # the release configurations' cells shared
    head = {k: v for k, v in document.items() if k != "scenarios"}
    lines = [json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1] + ',"scenarios":{']
    items = list(document["scenarios"].items())
    for place, (scenario_id, entry) in enumerate(items):
        comma = "," if place < len(items) - 1 else ""
        text = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
        lines.append(f"{json.dumps(scenario_id)}:{text}{comma}")
    lines.append("}}")
    path.write_text("\n".join(lines) + "\n")


def load(path: Path = DEFAULT) -> results.Results:
    return results.load(path)


def catalogue(package: str = "scenarios") -> dict[str, set[str]]:
    """The scenarios the package declares (ids relative to it, as results name them) and
    each one's documented keys; those the reference run leaves out (LEFT_OUT) are not."""
    from sqla_matrix.scenario import scenarios_of

    root = importlib.import_module(package)
    found: dict[str, set[str]] = {}
    for module in pkgutil.iter_modules(root.__path__):
        if module.name.startswith("_"):
            continue
        name = f"{package}.{module.name}"
        importlib.import_module(name)
        for entry in scenarios_of(name):
            if set(entry.tags) & set(LEFT_OUT):
                continue
            found[entry.id.removeprefix(f"{package}.")] = set(entry.expect)
    return found


def drift(document: results.Results, package: str = "scenarios") -> list[str]:
    """What the reference and the catalogue disagree on, one line each: a scenario or a
    documented key that no longer exists, a new one the reference lacks."""
    try:
        declared = catalogue(package)
    except Exception as error:  # no catalogue here: nothing to check against
        return [f"the catalogue ({package}) could not be read: {error.__class__.__name__}"]
    lines = []
    held = document["scenarios"]
    for scenario_id in sorted(set(held) - set(declared)):
        lines.append(f"{scenario_id}: in the reference, no longer in the catalogue")
    for scenario_id in sorted(set(declared) - set(held)):
        lines.append(f"{scenario_id}: new in the catalogue, the reference lacks it")
    for scenario_id in sorted(set(declared) & set(held)):
        cells = held[scenario_id]["cells"].values()
        seen = {k for c in cells for k in [*c.get("observed", {}), *c.get("expected", {})]}
        documented = {k for c in cells for k in c.get("expected", {})}
        for key in sorted(declared[scenario_id] - seen):
            lines.append(f"{scenario_id} · {key}: new in the catalogue, the reference lacks it")
        for key in sorted(documented - declared[scenario_id]):
            lines.append(f"{scenario_id} · {key}: in the reference, no longer in the catalogue")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sqla_matrix.site.reference")
    parser.add_argument("--from", dest="source", type=Path, help="a run's results.json")
    parser.add_argument("--out", type=Path, default=DEFAULT)
    parser.add_argument("--check", action="store_true", help="against the scenario catalogue")
    parser.add_argument("--scenarios", default="scenarios", help="the scenarios' package")
    args = parser.parse_args(argv)
    try:
        if args.source is not None:
            document = compact(results.load(args.source))
            save(document, args.out)
            print(f"reference: {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")
            print(f"reference: {describe(document)}")
        document = load(args.out)
    except MatrixError as error:
        print(f"reference: {error}", file=sys.stderr)
        return 2
    if not args.check:
        return 0
    lines = drift(document, args.scenarios)
    for line in lines:
        print(f"reference: {line}")
    if lines:
        print("reference: regenerate it with nox -s reference", file=sys.stderr)
        return 1
    print(f"reference: {args.out} matches the catalogue of {args.scenarios}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
