"""The results file: what each backend did, per scenario, in a versioned JSON schema.

Layout (``schema_version`` 3)::

    {"schema": "sqla-matrix/results", "schema_version": 2, "generated_at": ISO-8601,
     "columns": {COLUMN: {"backend", "server_requested" (a version, or null),
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
     "scenarios": {ID: {"title", "topic", "tags", "doc",
                        "cells": {COLUMN: {"status": "pass" | "mismatch" | "error" | "not run",
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
                                         "kind" (not run: "not observed here" |
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
release of each value that changed between two timeline columns (files from before the
release history; the history observes every release instead).

Schema 4 is schema 3 in a column-major, compact form for the release history
(sqla_matrix/history/): the cells of release columns (``sqla2.0.40-sqlite-pysqlite``)
leave ``cells``; each scenario holds its distinct ones once, in ``shared``, and
``shared_by`` names each such column's index into it (most releases observe what their
neighbours did). A ``history`` object names the releases run, PyPI's upload order, the
yanked releases skipped (with PyPI's reason) and the notes on releases. ``load`` expands
it to schema 3's layout (the columns of one cell share one object: read, never change
it); ``save`` writes schema 4 whenever the document holds release columns, else 3.

The same layout as a JSON Schema: sqla_matrix/results.schema.json (every results
file the tests produce is validated against it). Schema 1 and 2 files are read
as schema 3: their expectations were all documented, their cells carry no marks.

A COLUMN is one configuration, named like its nox cell:
``sqla21-postgresql15-psycopg`` (SQLAlchemy series, backend and the server
version asked for, sync driver). A matrix session writes one file per column;
the report merges them. Schema 1 files (one column per backend, under
"backends") are read as schema 2.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqla_matrix.errors import MatrixError
from sqla_matrix.redact import redact_tree

SCHEMA = "sqla-matrix/results"
#: The JSON Schema of a results file.
SCHEMA_FILE = Path(__file__).with_name("results.schema.json")
SCHEMA_VERSION = 3
#: The column-major form of a document holding release columns (the release history).
COMPACT_VERSION = 4
#: A release column's id: ``sqla2.0.40-sqlite-pysqlite`` (a series' reads ``sqla20-...``).
RELEASE_COLUMN = re.compile(r"^sqla\d+\.\d+")


def is_release_column(name: str) -> bool:
    """A column of one SQLAlchemy release (the history's), not of a series."""
    return bool(RELEASE_COLUMN.match(name))


#: A column's status, and a cell's (one scenario on one column).
RAN, NOT_RUN, FAILED = "ran", "not run", "failed"
PASS, MISMATCH, ERROR = "pass", "mismatch", "error"
BACKEND_STATUSES = (RAN, NOT_RUN, FAILED)
CELL_STATUSES = (PASS, MISMATCH, ERROR, NOT_RUN)
#: Why a cell was not run when its column ran: the three kinds of "no".
NOT_OBSERVED_HERE, NOT_SUPPORTED, NOT_IN_RELEASE = (
    "not observed here",
    "not supported",
    "not in this release",
)
NOT_RUN_KINDS = (NOT_OBSERVED_HERE, NOT_SUPPORTED, NOT_IN_RELEASE)

Results = dict[str, Any]

#: Every field of a column, in the order above.
COLUMN_FIELDS = (
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
    "kind": None,
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
        "columns": {},
        "scenarios": {},
    }


def save(results: Results, path: Path) -> None:
    """Write ``results`` (credentials redacted) atomically to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    # The schema marker is the harness's own constant, never a credential: kept as it is
    # even where a password is a word it contains.
    document = column_major({**redact_tree(results), "schema": results["schema"]})
    indent = None if document["schema_version"] == COMPACT_VERSION else 1
    tmp.write_text(json.dumps(document, indent=indent, ensure_ascii=False) + "\n")
    tmp.replace(path)


def column_major(document: Results) -> Results:
    """``document`` in schema 4's form when it holds release columns: each scenario's
    release cells once per distinct content (``shared``), each column an index into it
    (``shared_by``); the other columns' cells stay in ``cells``. Else unchanged."""
    if not any(is_release_column(name) for name in document["columns"]):
        return document
    scenarios: dict[str, Any] = {}
    for scenario_id, entry in document["scenarios"].items():
        cells: dict[str, Any] = {}
        shared: list[Any] = []
        shared_by: dict[str, int] = {}
        seen: dict[str, int] = {}
        for name, cell in entry["cells"].items():
            if not is_release_column(name):
                cells[name] = cell
                continue
            text = json.dumps(cell, sort_keys=True, ensure_ascii=False)
            if text not in seen:
                seen[text] = len(shared)
                shared.append(cell)
            shared_by[name] = seen[text]
        scenarios[scenario_id] = {**entry, "cells": cells, "shared": shared, "shared_by": shared_by}
    return {**document, "schema_version": COMPACT_VERSION, "scenarios": scenarios}


def _from_column_major(data: Results) -> Results:
    """A schema 4 document in schema 3's layout: each release column gets its cell back
    (one object shared by the columns that observed the same)."""
    for entry in data["scenarios"].values():
        shared = entry.pop("shared", [])
        for name, index in entry.pop("shared_by", {}).items():
            entry.setdefault("cells", {})[name] = shared[index]
    return {**data, "schema_version": SCHEMA_VERSION}


def load(path: Path) -> Results:
    """Read a results file, or a one-line error saying why it cannot be used."""
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
    if data.get("schema_version") not in (2, SCHEMA_VERSION, COMPACT_VERSION):
        raise MatrixError(
            f"{path}: results schema version {data.get('schema_version')!r}; "
            f"this version reads 1 to {COMPACT_VERSION}: rerun the matrix to regenerate it"
        )
    if not isinstance(data.get("columns"), dict) or not isinstance(data.get("scenarios"), dict):
        raise MatrixError(f'{path}: malformed results file ("columns" or "scenarios" missing)')
    if data["schema_version"] == 2:
        data = _from_schema_2(data)
    if data["schema_version"] == COMPACT_VERSION:
        try:
            data = _from_column_major(data)
        except (TypeError, IndexError, AttributeError):
            raise MatrixError(f"{path}: malformed results file (a shared cell's index)") from None
    document: Results = data
    return document


def _from_schema_1(data: Results) -> Results:
    """A schema 1 document (a column per backend, keyed by its name) as schema 2."""
    columns = {
        name: {
            "backend": name,
            "server_requested": None,
            "async_driver": None,
            "async_driver_version": None,
            **column,
        }
        for name, column in data["backends"].items()
    }
    rest = {key: value for key, value in data.items() if key != "backends"}
    return {**rest, "schema_version": 2, "columns": columns}


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
    return {**data, "schema_version": SCHEMA_VERSION}


def merge(parts: Iterable[Results]) -> Results:
    """One results document from several (one per column): later parts win; the
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
        merged["columns"].update(part["columns"])
        for scenario_id, entry in part["scenarios"].items():
            target = merged["scenarios"].setdefault(scenario_id, {**entry, "cells": {}})
            target.update({key: value for key, value in entry.items() if key != "cells"})
            target["cells"].update(entry["cells"])
    return merged


def relabel(part: Results, label: str) -> Results:
    """``part`` with each column renamed ``COLUMN (LABEL)``, so that several runs
    (two machines, two days...) become columns side by side (in the order merged)."""
    names = {name: f"{name} ({label})" for name in part["columns"]}
    relabelled = {**part, "columns": {}, "scenarios": {}}
    for name, column in part["columns"].items():
        relabelled["columns"][names[name]] = {**column, "run": label}
    for scenario_id, entry in part["scenarios"].items():
        cells = {names.get(name, name): cell for name, cell in entry["cells"].items()}
        relabelled["scenarios"][scenario_id] = {**entry, "cells": cells}
    return relabelled


def absent_column(
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
    died, or it was never started: turned off). Its column has no cells; the report
    shows each of its scenarios as not run, and the column's status and reason."""
    document = empty()
    column: dict[str, Any] = dict.fromkeys(COLUMN_FIELDS)
    column.update(
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
        column.update(
            started_at=when.isoformat(timespec="seconds"),
            duration_s=round(time.time() - started, 3),
        )
    document["columns"][cell] = column
    return document
