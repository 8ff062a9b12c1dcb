"""What the reference run observed where this run could not, beside this run's own.

The site and the local report.html show, for each configuration this run did not observe (its
server absent here: MySQL on a bare machine), the shipped reference run's configuration of that
name, marked as such (``NAME (reference)``, "reference run of <date>, <versions>").
"""

from __future__ import annotations

import json
from collections.abc import Collection

from sqla_matrix import results

#: The name a reference configuration takes beside this run's own.
REFERENCE_SUFFIX = " (reference)"


def describe(document: results.Results) -> str:
    """``reference run of 2026-05-04, SQLAlchemy 2.0.44, 2.1.0; PostgreSQL 13.22, ...``."""
    ran = [c for c in document["configurations"].values() if c.get("status") == results.RAN]
    sqlalchemy = sorted({str(c.get("sqlalchemy")) for c in ran if c.get("sqlalchemy")})
    servers: dict[str, set[str]] = {}
    for configuration in ran:
        version = str(configuration.get("server_version") or "").split(" ")[0].split("-")[0]
        servers.setdefault(str(configuration.get("backend")), set()).add(version)
    shown = "; ".join(
        f"{backend} {', '.join(sorted(v for v in versions if v)) or '?'}"
        for backend, versions in servers.items()
    )
    day = str(document.get("generated_at", ""))[:10]
    return f"reference run of {day}, SQLAlchemy {_span(sqlalchemy)}; {shown}"


def _span(versions: list[str]) -> str:
    if len(versions) <= 3:
        return ", ".join(versions)
    return f"{versions[0]}–{versions[-1]} ({len(versions)} releases)"


def combine(
    local: results.Results | None,
    reference: results.Results | None,
    only: Collection[str] | None = None,
    suffix: str = REFERENCE_SUFFIX,
) -> tuple[results.Results, dict[str, str]]:
    """One document: this run's configurations, then the reference's (renamed ``NAME (reference)``),
    each holding the scenarios this run's configuration of that name did not observe (not run,
    or absent); and each configuration's origin ("" for this run). ``only``: the reference's
    configurations of these names alone (the local report's: the configurations it has);
    ``suffix``: what a reference configuration's name takes."""
    merged = results.empty()
    origin: dict[str, str] = {}
    if local is not None:
        merged = results.merge([local])
        merged["generated_at"] = local["generated_at"]
        origin = dict.fromkeys(local["configurations"], "")
    if reference is not None:
        label = describe(reference)
        configurations = {
            n: c
            for n, c in reference["configurations"].items()
            if c.get("status") == results.RAN and (only is None or n in only)
        }
        part = results.empty()
        for name, configuration in configurations.items():
            renamed = name + suffix
            part["configurations"][renamed] = dict(configuration)  # in its configuration's place
            origin[renamed] = label
        for scenario_id, entry in reference["scenarios"].items():
            here = merged["scenarios"].get(scenario_id, {}).get("cells", {})
            cells = {
                n + suffix: c
                for n, c in entry["cells"].items()
                if n in configurations
                and here.get(n, {}).get("status", results.NOT_RUN) == results.NOT_RUN
            }  # only where this run's configuration of that name did not observe the scenario
            part["scenarios"][scenario_id] = {**entry, "cells": cells}
        if local is None:
            merged = part
            merged["generated_at"] = reference["generated_at"]
        else:
            for scenario_id, entry in part["scenarios"].items():
                target = merged["scenarios"].setdefault(scenario_id, {**entry, "cells": {}})
                target["cells"].update(entry["cells"])
            merged["configurations"].update(part["configurations"])
        merged.setdefault("releases", [])
        seen = {json.dumps(r, sort_keys=True) for r in merged["releases"]}
        for found in reference.get("releases", []):
            if json.dumps(found, sort_keys=True) not in seen:
                merged["releases"].append(found)
    return merged, origin
