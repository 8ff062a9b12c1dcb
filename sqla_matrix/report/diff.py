"""What changed between a baseline results file and this run.

A change is any cell whose observed value, status, warnings or documented
value differs, a scenario or backend that appears or disappears, or a backend
whose server, driver (or its implementation), SQLAlchemy, Alembic, greenlet or
Python version, or the client's time zone, differs.

Warnings are compared normalised (sqla_matrix/warned.py) on both sides, so a
baseline written before they were normalised reads the same warnings as equal;
a cell whose file recorded no warnings at all is not compared on them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqla_matrix import warned
from sqla_matrix.report.view import FLAGS, show
from sqla_matrix.results import NOT_RUN, Results

#: What a configuration ran on, recorded later than the rest: a baseline from before has none
#: of them, which is no change.
RECORDED_LATER = (
    "driver_implementation",
    "async_driver_implementation",
    "alembic",
    "greenlet",
    "client_time_zone",
)
VERSIONS = (
    "server_version",
    "driver",
    "driver_version",
    "async_driver",
    "async_driver_version",
    "sqlalchemy",
    "python",
    "sqlite_library",
    *RECORDED_LATER,
)


@dataclass
class Diff:
    #: "known bug no longer seen: scenario · configuration · key (issue)": problems that went away
    flags: list[str] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)  # "scenario · backend · key: old → new"
    scenarios: list[str] = field(default_factory=list)  # "added X" / "removed X"
    backends: list[str] = field(default_factory=list)  # status and version changes

    @property
    def behaviour_changed(self) -> bool:
        """True when an observed value, a status or the set of scenarios changed."""
        return bool(self.cells or self.scenarios or any("status" in b for b in self.backends))

    def lines(self) -> list[str]:
        return [*self.flags, *self.backends, *self.scenarios, *self.cells]


def compare(baseline: Results, current: Results, match_without: str | None = None) -> Diff:
    """What changed from ``baseline`` to ``current``, configuration by configuration (matched
    by name, or by name without the ``match_without`` axis: ``"sqlalchemy"``)."""
    if match_without == "sqlalchemy":
        baseline = _renamed(baseline, current, lambda name: re.sub(r"^sqla\w+?-", "", name))
    diff = Diff()
    for name in sorted(set(baseline["configurations"]) | set(current["configurations"])):
        old, new = baseline["configurations"].get(name), current["configurations"].get(name)
        if old is None or new is None:
            diff.backends.append(f"{name}: backend {'added' if old is None else 'removed'}")
            continue
        if old["status"] != new["status"]:
            diff.backends.append(f"{name}: status {old['status']} → {new['status']}")
        for key in VERSIONS:
            if key in RECORDED_LATER and key not in old:
                continue
            if old.get(key) != new.get(key):
                diff.backends.append(f"{name}: {key} {old.get(key)} → {new.get(key)}")
    old_ids, new_ids = set(baseline["scenarios"]), set(current["scenarios"])
    diff.scenarios += [f"scenario added: {s}" for s in sorted(new_ids - old_ids)]
    diff.scenarios += [f"scenario removed: {s}" for s in sorted(old_ids - new_ids)]
    for scenario_id in sorted(old_ids & new_ids):
        old_cells = baseline["scenarios"][scenario_id]["cells"]
        new_cells = current["scenarios"][scenario_id]["cells"]
        for name in sorted(set(old_cells) & set(new_cells)):
            where = f"{scenario_id} · {name}"
            diff.cells += _cell_changes(where, old_cells[name], new_cells[name])
            diff.flags += _flags(where, old_cells[name], new_cells[name])
    return diff


def _renamed(baseline: Results, current: Results, key: Callable[[str], str]) -> Results:
    """``baseline`` with each configuration renamed to the ``current`` one of the same key."""
    names = {key(name): name for name in current["configurations"]}
    rename = {name: names.get(key(name), name) for name in baseline["configurations"]}
    scenarios = {
        scenario_id: {
            **entry,
            "cells": {rename[n]: c for n, c in entry["cells"].items() if n in rename},
        }
        for scenario_id, entry in baseline["scenarios"].items()
    }
    configurations = {
        rename[name]: configuration for name, configuration in baseline["configurations"].items()
    }
    return {**baseline, "configurations": configurations, "scenarios": scenarios}


def _flags(where: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """A known bug or an unsupported behaviour that the baseline showed and this run
    no longer does, with its source."""
    lines = []
    for key, mark in new.get("marks", {}).items():
        if mark in FLAGS and old.get("marks", {}).get(key) not in FLAGS:
            source = new["expected"].get(key, {}).get("source", "")
            lines.append(f"{mark}: {where} · {key} ({source})")
    return lines


def _cell_changes(where: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    changes = []
    if old["status"] != new["status"]:
        changes.append(f"{where}: status {old['status']} → {new['status']}")
    if old["status"] == NOT_RUN or new["status"] == NOT_RUN:
        return changes
    for key in [*old["observed"], *(k for k in new["observed"] if k not in old["observed"])]:
        before, after = old["observed"].get(key, "(absent)"), new["observed"].get(key, "(absent)")
        if before != after:
            changes.append(f"{where} · {key}: {show(before)} → {show(after)}")
    old_warnings, new_warnings = warned.of(old), warned.of(new)
    if old_warnings is not None and new_warnings is not None:
        gone = [f"- {w}" for w in old_warnings if w not in new_warnings]
        came = [f"+ {w}" for w in new_warnings if w not in old_warnings]
        changes += [f"{where} · {warned.KEY}: {change}" for change in [*gone, *came]]
    for key in sorted(set(old["expected"]) | set(new["expected"])):
        before, after = old["expected"].get(key), new["expected"].get(key)
        if (before or {}).get("value") != (after or {}).get("value"):
            changes.append(f"{where} · {key}: documented value changed")
    return changes
