"""The results file: what each backend did, per scenario, in a versioned JSON schema.

Layout (``schema_version`` 1)::

    {"schema": "sqla-matrix/results", "schema_version": 1, "generated_at": ISO-8601,
     "backends": {NAME: {"status": "ran" | "not run" | "failed", "reason", "remedy",
                         "required", "column" (its place in the matrix),
                         "url", "found_by", "namespace", "server_version", "driver",
                         "driver_version", "sqlalchemy", "python", "sqlite_library",
                         "started_at", "duration_s"}},
     "scenarios": {ID: {"title", "topic", "tags", "doc",
                        "cells": {NAME: {"status": "pass" | "mismatch" | "error" | "not run",
                                         "observed": {KEY: value},
                                         "expected": {KEY: {"value", "source"}},
                                         "mismatches": [KEY], "error", "reason",
                                         "warnings": ["Category: message"],
                                         "statements": [{"sql", "params", "many"}],
                                         "statements_omitted" (past the first 200),
                                         "measurements": {CHART: {SERIES: {X: Y}}},
                                         "duration_s"}}}}}

A matrix session writes one file per backend; the report merges them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from harness.errors import MatrixError
from harness.redact import redact_tree

SCHEMA = "sqla-matrix/results"
SCHEMA_VERSION = 1

BACKEND_STATUSES = ("ran", "not run", "failed")
CELL_STATUSES = ("pass", "mismatch", "error", "not run")

Results = dict[str, Any]


def empty() -> Results:
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "backends": {},
        "scenarios": {},
    }


def save(results: Results, path: Path) -> None:
    """Write ``results`` (credentials redacted) atomically to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(redact_tree(results), indent=1, ensure_ascii=False) + "\n")
    tmp.replace(path)


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
    if data.get("schema_version") != SCHEMA_VERSION:
        raise MatrixError(
            f"{path}: results schema version {data.get('schema_version')!r}; "
            f"this version reads {SCHEMA_VERSION}: rerun the matrix to regenerate it"
        )
    if not isinstance(data.get("backends"), dict) or not isinstance(data.get("scenarios"), dict):
        raise MatrixError(f'{path}: malformed results file ("backends" or "scenarios" missing)')
    return data


def merge(parts: Iterable[Results]) -> Results:
    """One results document from several (one per backend): later parts win."""
    merged = empty()
    for part in parts:
        merged["backends"].update(part["backends"])
        for scenario_id, entry in part["scenarios"].items():
            target = merged["scenarios"].setdefault(scenario_id, {**entry, "cells": {}})
            target.update({key: value for key, value in entry.items() if key != "cells"})
            target["cells"].update(entry["cells"])
    return merged


def relabel(part: Results, label: str, rank: int) -> Results:
    """``part`` with each backend renamed ``NAME (LABEL)``, so that several runs
    (PostgreSQL 15 and 17, SQLAlchemy 2.0 and 2.1...) become columns side by side."""
    names = {name: f"{name} ({label})" for name in part["backends"]}
    relabelled = {**part, "backends": {}, "scenarios": {}}
    for name, backend in part["backends"].items():
        column = backend.get("column", 99) * 100 + rank
        relabelled["backends"][names[name]] = {**backend, "column": column, "run": label}
    for scenario_id, entry in part["scenarios"].items():
        cells = {names.get(name, name): cell for name, cell in entry["cells"].items()}
        relabelled["scenarios"][scenario_id] = {**entry, "cells": cells}
    return relabelled
