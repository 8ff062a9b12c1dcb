"""One backend's run: find it, confine it to its own namespace, run cells, clean up."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import time
import uuid
import warnings
from datetime import datetime, timezone
from typing import Any

import sqlalchemy

import models
from harness import redact, results
from harness.backends import BACKENDS
from harness.backends.base import Backend, Namespace, Target
from harness.errors import BackendNotRun, MatrixError, one_line
from harness.recording import Recorder
from harness.scenario import Context, Scenario, expectation_for


def namespace_name() -> str:
    """A fresh name for the run's schema/database/file: recognisable and unique."""
    return f"matrix_{uuid.uuid4().hex[:12]}"


class BackendRun:
    """The life of one backend in one run, and what it recorded."""

    def __init__(self, backend: Backend, *, required: bool = False) -> None:
        self.backend = backend
        self.required = required
        self.status = "not started"
        self.reason: str | None = None
        self.remedy: str | None = None
        self.target: Target | None = None
        self.namespace: Namespace | None = None
        self.recorder: Recorder | None = None
        self.started_at = datetime.now(timezone.utc)
        self._clock = time.perf_counter()
        self.facts: dict[str, Any] = {}  # about the server, kept after it is gone
        self.cells: dict[str, dict[str, Any]] = {}
        self.scenarios: dict[str, Scenario] = {}

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> None:
        """Locate the server and open the namespace; a failure becomes the run's status."""
        try:
            self.target = self.backend.locate(os.environ)
            self.facts = {"url": redact.shown(self.target.url), "found_by": self.target.found_by}
            self.namespace = self.backend.open_namespace(self.target, namespace_name())
            engine = self.namespace.engine
            self.facts.update(
                namespace=self.namespace.name,
                server_version=self.namespace.server_version,
                driver=engine.dialect.driver,
                driver_version=self.backend.driver_version(engine),
            )
            self.recorder = Recorder(engine)
            models.Base.metadata.create_all(self.namespace.engine)
            self.status = "ran"
        except BackendNotRun as absent:
            if self.required:
                self.status = "failed"
                self.reason = f"required by MATRIX_REQUIRE but not available: {absent.reason}"
            else:
                self.status = "not run"
                self.reason = absent.reason
            self.remedy = absent.remedy
        except MatrixError as error:
            self.status, self.reason = "failed", redact.redact(str(error))
        except Exception as error:  # the server went away, a permission was missing...
            self.status = "failed"
            self.reason = f"{self.backend.name}: {redact.redact(one_line(error))}"
        if self.status != "ran":
            self.finish()

    def finish(self) -> None:
        """Drop the namespace and stop any container, whatever happened before."""
        namespace, self.namespace = self.namespace, None
        target, self.target = self.target, None
        try:
            if namespace is not None:
                namespace.drop()
        finally:
            if target is not None:
                target.stop()

    # -- cells -------------------------------------------------------------

    def run(self, scenario: Scenario) -> dict[str, Any]:
        """Run ``scenario`` on this backend and record its cell."""
        self.scenarios[scenario.id] = scenario
        if self.status != "ran" or self.namespace is None or self.recorder is None:
            cell = _not_run(f"{self.backend.name} {self.status}: {self.reason}")
        elif not scenario.applies_to(self.backend.name):
            cell = _not_run(f"applies to {', '.join(scenario.backends or ())} only")
        else:
            cell = self._observe(scenario, self.namespace, self.recorder)
        self.cells[scenario.id] = cell
        return cell

    def _observe(
        self, scenario: Scenario, namespace: Namespace, recorder: Recorder
    ) -> dict[str, Any]:
        ctx = Context(self.backend.name, namespace.engine, recorder, namespace.make_async_engine)
        error: str | None = None
        observed: dict[str, Any] = {}
        start = time.perf_counter()
        with recorder.recording() as statements, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                observed = scenario.func(ctx)
                json.dumps(observed)  # observations must be plain JSON values
            except Exception as exc:
                error = redact.redact(one_line(exc))
            finally:
                duration = time.perf_counter() - start
                with recorder.paused():
                    try:
                        ctx.close()
                    finally:
                        self._empty_shared_tables(namespace)
        expected = {}
        for key, expectation in scenario.expect.items():
            doc = expectation_for(expectation, self.backend.name)
            if doc is not None:
                expected[key] = {"value": doc.value, "source": doc.source}
        mismatches = [
            key
            for key, doc in expected.items()
            if error is None and observed.get(key) != doc["value"]
        ]
        return _cell(
            "error" if error else "mismatch" if mismatches else "pass",
            observed=observed if error is None else {},
            expected=expected,
            mismatches=mismatches,
            error=error,
            warnings=sorted({f"{w.category.__name__}: {w.message}" for w in caught}),
            statements=[statement.as_json() for statement in statements],
            statements_omitted=recorder.omitted,
            measurements=ctx.measurements,
            duration_s=round(duration, 6),
        )

    def _empty_shared_tables(self, namespace: Namespace) -> None:
        with namespace.engine.begin() as conn:
            for table in reversed(models.Base.metadata.sorted_tables):
                conn.execute(table.delete())

    # -- results -----------------------------------------------------------

    def as_results(self) -> results.Results:
        """This backend's part of the results file."""
        document = results.empty()
        document["backends"][self.backend.name] = self.describe()
        for scenario_id, cell in self.cells.items():
            scenario = self.scenarios[scenario_id]
            document["scenarios"][scenario_id] = {
                "title": scenario.title,
                "topic": scenario.topic,
                "tags": list(scenario.tags),
                "doc": scenario.doc,
                "cells": {self.backend.name: cell},
            }
        return document

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "column": list(BACKENDS).index(self.backend.name),
            "status": self.status,
            "reason": self.reason,
            "remedy": self.remedy,
            "required": self.required,
            "url": None,
            "found_by": None,
            "namespace": None,
            "server_version": None,
            "driver": None,
            "driver_version": None,
            "sqlalchemy": sqlalchemy.__version__,
            "python": platform.python_version(),
            "sqlite_library": sqlite3.sqlite_version,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "duration_s": round(time.perf_counter() - self._clock, 3),
        }
        info.update(self.facts)
        return info


def _cell(status: str, **fields: Any) -> dict[str, Any]:
    """One cell of the results file: every field present, those not given empty."""
    return {
        "status": status,
        "observed": {},
        "expected": {},
        "mismatches": [],
        "error": None,
        "reason": None,
        "warnings": [],
        "statements": [],
        "statements_omitted": 0,
        "measurements": {},
        "duration_s": 0.0,
        **fields,
    }


def _not_run(reason: str) -> dict[str, Any]:
    return _cell("not run", reason=reason)
