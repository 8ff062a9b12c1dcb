"""The results file: what each configuration did, per scenario, in a versioned JSON schema.

The words, one meaning each (the README's glossary says the same):

- a **configuration** is what one run of the scenarios ran on: a SQLAlchemy series or
  release, a backend at a server version, a sync driver with its asyncio partner. Its id
  reads ``sqla21-postgresql15-psycopg``; its nox session is ``matrix(<id>)``; the report
  shows it as one column.
- a **cell** is one scenario on one configuration;
- an **observation** is one key's value in a cell;
- a **backend** is the database product (``postgresql``), never a configuration;
- ``kind`` is an expectation's (documented, known bug, not supported); a cell that did
  not run says which of the three kinds of "no" it is in ``why_not_run``. "not supported"
  means one thing in both: the backend lacks it (observed as its substitute behaviour
  under an expectation; not run under a requirement it lacks).

Layout (``schema_version`` 5)::

    {"schema": "sqla-matrix/results", "schema_version": 5, "generated_at": ISO-8601,
     "configurations": {ID: {"backend", "server_requested" (a version, or null),
                          "status": "ran" | "not run" | "failed", "reason", "remedy",
                          "required",
                          "url", "found_by", "namespace", "left_behind" (a namespace
                          that could not be dropped), "server_version",
                          "driver", "driver_version", "async_driver", "async_driver_version",
                          "sqlalchemy", "python", "sqlite_library",
                          "started_at", "duration_s", "round_trip_s", "cpu_s",
                          "alembic", "greenlet", "driver_implementation",
                          "async_driver_implementation" (psycopg's c, binary or python;
                          mysql-connector's C extension or pure Python), "client_time_zone"
                          (the process's, on which naive datetimes depend) (optional)}},
     "scenarios": {SCENARIO: {"title", "topic", "tags", "doc",
                        "cells": {ID: {"status": "pass" | "mismatch" | "error" | "not run",
                                         "observed": {KEY: value},
                                         "expected": {KEY: {"value", "source", "kind":
                                                  "documented" | "known bug" | "not supported",
                                                  (known bug) "issue", "fixed_in", "workaround",
                                                  (not supported) "reason"}},
                                         "mismatches": [KEY], "error", "reason",
                                         "marks": {KEY: "pass" | "mismatch" | "never observed" |
                                                  "known bug" |
                                                  "known bug no longer seen" |
                                                  "not supported" | "started to work"},
                                         "why_not_run" (not run: "not observed here" |
                                                 "not supported" | "not in this release"),
                                         "unavailable": {KEY: why} (not in this
                                                       SQLAlchemy release),
                                         "warnings": ["Category: message"],
                                         "statements": [{"sql", "params", "many"}],
                                         "statements_omitted" (past the first 200),
                                         "measurements": {CHART: {SERIES: {X: Y}}},
                                         "duration_s", "paused_s" (optional: the
                                         scenario's deliberate pauses), "teardown_s"
                                         (dropping its tables afterwards)}}}},
     "releases" (optional): [{"backend", "server", "driver", "scenario", "key",
                              "before", "before_value", "first", "first_value",
                              "observed_between": {RELEASE: value}}]}

``releases`` holds what the former timeline's bisection found: the first SQLAlchemy
release of each value that changed between two timeline configurations (files from
before the release history; the history observes every release instead).

The compact form (``"compact": true``) is for the release history (sqla_matrix/history/):
the cells of release configurations (``sqla2.0.40-sqlite-pysqlite``) leave ``cells``;
each scenario holds its distinct ones once, in ``shared``, and ``shared_by`` names each
such configuration's index into it (most releases observe what their neighbours did). A
``history`` object names the releases run, PyPI's upload order, the yanked releases
skipped (with PyPI's reason) and the notes on releases. ``load`` expands it (the
configurations of one cell share one object: read, never change it); ``save`` writes it
whenever the document holds release configurations.

The same layout as a JSON Schema: sqla_matrix/results.schema.json (every results file
the tests produce is validated against it). Older files load: schema 4 is schema 3 in
the compact form; schema 3 named configurations "columns", each with a rank that is
ignored (the order is derived), and a cell's ``why_not_run`` was its "kind"; schema 1
and 2 files' expectations were all documented, their cells carry no marks, and schema
1 held one configuration per backend under "backends".
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqla_matrix.configurations import is_release
from sqla_matrix.errors import MatrixError
from sqla_matrix.redact import redact_tree

SCHEMA = "sqla-matrix/results"
#: The JSON Schema of a results file.
SCHEMA_FILE = Path(__file__).with_name("results.schema.json")
SCHEMA_VERSION = 5
#: Schema 4: schema 3 in the compact form.
_COMPACT_3 = 4


#: A configuration's status, and a cell's (one scenario on one configuration).
RAN, NOT_RUN, FAILED = "ran", "not run", "failed"
PASS, MISMATCH, ERROR = "pass", "mismatch", "error"
CONFIGURATION_STATUSES = (RAN, NOT_RUN, FAILED)
CELL_STATUSES = (PASS, MISMATCH, ERROR, NOT_RUN)
#: Why a cell was not run when its configuration ran: the three kinds of "no".
NOT_OBSERVED_HERE, NOT_SUPPORTED, NOT_IN_RELEASE = (
    "not observed here",
    "not supported",
    "not in this release",
)
WHY_NOT_RUN = (NOT_OBSERVED_HERE, NOT_SUPPORTED, NOT_IN_RELEASE)

Results = dict[str, Any]

#: Every field of a configuration, in the order above.
CONFIGURATION_FIELDS = (
    "backend", "server_requested", "status", "reason", "remedy", "required",
    "url", "found_by", "namespace", "left_behind", "server_version", "driver",
    "driver_version", "async_driver", "async_driver_version", "sqlalchemy", "python",
    "sqlite_library", "started_at", "duration_s",
)  # fmt: skip
#: A cell with every field present and empty.
EMPTY_CELL: dict[str, Any] = {
    "status": "not run",
    "observed": {},
    "expected": {},
    "mismatches": [],
    "marks": {},
    "why_not_run": None,
    "unavailable": {},
    "error": None,
    "reason": None,
    "warnings": [],
    "statements": [],
    "statements_omitted": 0,
    "measurements": {},
    "duration_s": 0.0,
}


def empty() -> Results:
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "configurations": {},
        "scenarios": {},
    }


def save(results: Results, path: Path) -> None:
    """Write ``results`` (credentials redacted) atomically to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    # The schema marker is the harness's own constant, never a credential: kept as it is
    # even where a password is a word it contains.
    document = compacted({**redact_tree(results), "schema": results["schema"]})
    indent = None if document.get("compact") else 1
    tmp.write_text(json.dumps(document, indent=indent, ensure_ascii=False) + "\n")
    tmp.replace(path)


def compacted(document: Results) -> Results:
    """``document`` in the compact form when it holds release configurations: each
    scenario's release cells once per distinct content (``shared``), each configuration
    an index into it (``shared_by``); the other configurations' cells stay in ``cells``.
    Else unchanged."""
    if not any(is_release(name) for name in document["configurations"]):
        return document
    scenarios: dict[str, Any] = {}
    for scenario_id, entry in document["scenarios"].items():
        cells: dict[str, Any] = {}
        shared: list[Any] = []
        shared_by: dict[str, int] = {}
        seen: dict[str, int] = {}
        for name, cell in entry["cells"].items():
            if not is_release(name):
                cells[name] = cell
                continue
            text = json.dumps(cell, sort_keys=True, ensure_ascii=False)
            if text not in seen:
                seen[text] = len(shared)
                shared.append(cell)
            shared_by[name] = seen[text]
        scenarios[scenario_id] = {**entry, "cells": cells, "shared": shared, "shared_by": shared_by}
    return {**document, "compact": True, "scenarios": scenarios}


def _expanded(data: Results) -> Results:
    """A compact document (or a schema 4 one) with each release configuration's cell back
    in ``cells`` (one object shared by the configurations that observed the same)."""
    for entry in data["scenarios"].values():
        shared = entry.pop("shared", [])
        for name, index in entry.pop("shared_by", {}).items():
            entry.setdefault("cells", {})[name] = shared[index]
    return {key: value for key, value in data.items() if key != "compact"}


def load(path: Path) -> Results:
    """Read a results file (any schema version, in today's layout), or a one-line error
    saying why it cannot be used."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise MatrixError(f"{path}: no such results file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise MatrixError(f"{path}: cannot read it ({error.__class__.__name__})") from None
    except json.JSONDecodeError as error:
        raise MatrixError(f"{path}: not valid JSON (line {error.lineno}): {error.msg}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise MatrixError(f'{path}: not a matrix results file (no "schema": "{SCHEMA}")')
    if data.get("schema_version") == 1 and isinstance(data.get("backends"), dict):
        data = _from_schema_1(data)
    version = data.get("schema_version")
    if version not in (2, 3, _COMPACT_3, SCHEMA_VERSION):
        raise MatrixError(
            f"{path}: results schema version {version!r}; "
            f"this version reads 1 to {SCHEMA_VERSION}: rerun the matrix to regenerate it"
        )
    held = "configurations" if version == SCHEMA_VERSION else "columns"
    if not isinstance(data.get(held), dict) or not isinstance(data.get("scenarios"), dict):
        raise MatrixError(f'{path}: malformed results file ("{held}" or "scenarios" missing)')
    try:
        if version == SCHEMA_VERSION:
            return _expanded(data) if data.get("compact") else data
        if version == 2:
            data = _from_schema_2(data)
        return _from_schema_3(_expanded(data) if version == _COMPACT_3 else data)
    except (TypeError, IndexError, AttributeError):
        raise MatrixError(f"{path}: malformed results file (a cell or a shared index)") from None


def _from_schema_1(data: Results) -> Results:
    """A schema 1 document (a configuration per backend, keyed by its name) as schema 2."""
    configurations = {
        name: {
            "backend": name,
            "server_requested": None,
            "async_driver": None,
            "async_driver_version": None,
            **configuration,
        }
        for name, configuration in data["backends"].items()
    }
    rest = {key: value for key, value in data.items() if key != "backends"}
    return {**rest, "schema_version": 2, "columns": configurations}


def _from_schema_2(data: Results) -> Results:
    """A schema 2 document as schema 3: every expectation was documented, and each
    documented key observed gets the mark its mismatches imply."""
    for entry in data["scenarios"].values():
        for cell in entry.get("cells", {}).values():
            for doc in cell.get("expected", {}).values():
                doc.setdefault("kind", "documented")
            mismatched = set(cell.get("mismatches", []))
            cell.setdefault(
                "marks",
                {
                    key: "mismatch" if key in mismatched else "pass"
                    for key in cell.get("expected", {})
                    if key in cell.get("observed", {})
                },
            )
            cell.setdefault("kind", None)
    return {**data, "schema_version": 3}


def _from_schema_3(data: Results) -> Results:
    """A schema 3 document (expanded) as schema 5: its "columns" are configurations,
    without the rank each carried (the order is derived), and a cell's "kind" is its
    ``why_not_run``."""
    configurations = {
        name: {key: value for key, value in configuration.items() if key != "column"}
        for name, configuration in data.pop("columns").items()
    }
    for entry in data["scenarios"].values():
        for cell in entry.get("cells", {}).values():
            if "kind" in cell:  # a cell several release configurations share: once
                cell["why_not_run"] = cell.pop("kind")
            cell.setdefault("why_not_run", None)
    return {**data, "schema_version": SCHEMA_VERSION, "configurations": configurations}


def merge(parts: Iterable[Results]) -> Results:
    """One results document from several (one per configuration): later parts win; the
    timeline's findings (``releases``) and the history's lists are gathered from every
    part."""
    merged = empty()
    for part in parts:
        if part.get("releases"):
            merged.setdefault("releases", []).extend(part["releases"])
        if part.get("history"):
            history = merged.setdefault("history", {})
            for key, value in part["history"].items():
                if isinstance(value, dict):
                    history.setdefault(key, {}).update(value)
                elif isinstance(value, list):
                    held = history.setdefault(key, [])
                    held.extend(v for v in value if v not in held)
        merged["configurations"].update(part["configurations"])
        for scenario_id, entry in part["scenarios"].items():
            target = merged["scenarios"].setdefault(scenario_id, {**entry, "cells": {}})
            target.update({key: value for key, value in entry.items() if key != "cells"})
            target["cells"].update(entry["cells"])
    return merged


def relabel(part: Results, label: str) -> Results:
    """``part`` with each configuration renamed ``CONFIGURATION (LABEL)``, so that several runs
    (two machines, two days...) become configurations side by side (in the order merged)."""
    names = {name: f"{name} ({label})" for name in part["configurations"]}
    relabelled = {**part, "configurations": {}, "scenarios": {}}
    for name, configuration in part["configurations"].items():
        relabelled["configurations"][names[name]] = {**configuration, "run": label}
    for scenario_id, entry in part["scenarios"].items():
        cells = {names.get(name, name): cell for name, cell in entry["cells"].items()}
        relabelled["scenarios"][scenario_id] = {**entry, "cells": cells}
    return relabelled


def absent_configuration(
    cell: str,
    backend: str,
    server: str | None,
    driver: str,
    status: str,
    reason: str,
    remedy: str | None = None,
    started: float | None = None,
) -> Results:
    """A results file written by the nox process for a cell whose pytest wrote none (it
    died, or it was never started: turned off). Its configuration has no cells; the report
    shows each of its scenarios as not run, and the configuration's status and reason."""
    document = empty()
    configuration: dict[str, Any] = dict.fromkeys(CONFIGURATION_FIELDS)
    configuration.update(
        backend=backend,
        server_requested=server,
        driver=driver,
        status=status,
        reason=reason,
        remedy=remedy,
        required=False,
        started_at=document["generated_at"],
        duration_s=0.0,
    )
    if started is not None:  # when its pytest started (time.time()), and how long it lasted
        when = datetime.fromtimestamp(started, timezone.utc)
        configuration.update(
            started_at=when.isoformat(timespec="seconds"),
            duration_s=round(time.time() - started, 3),
        )
    document["configurations"][cell] = configuration
    return document
