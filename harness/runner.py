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
from harness import drivers, redact, results
from harness.backends import BACKENDS
from harness.backends.base import Backend, Namespace, Target
from harness.errors import BackendNotRun, MatrixError, one_line
from harness.recording import Recorder
from harness.scenario import Context, Scenario, expectation_for


def namespace_name() -> str:
    """A fresh name for the run's schema/database/file: recognisable and unique."""
    return f"matrix_{uuid.uuid4().hex[:12]}"


def sqlalchemy_series() -> str:
    """The installed SQLAlchemy's series as a column names it: ``sqla21`` for 2.1.9."""
    major, minor = sqlalchemy.__version__.split(".")[:2]
    return f"sqla{major}{minor}"


class BackendRun:
    """The life of one column in one run (a backend at a server version, through a
    driver, on this SQLAlchemy), and what it recorded."""

    def __init__(
        self,
        backend: Backend,
        *,
        required: bool = False,
        server: str | None = None,
        driver: str | None = None,
        column: str | None = None,
        not_run: str | None = None,
    ) -> None:
        self.backend = backend
        self.required = required
        self.server = server  # the server version asked for; None: whatever is found
        self.driver = driver  # None: the URL's driver, else the backend's default
        self._column = column
        self._not_run = not_run  # known before starting (a driver that did not install)
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

    @property
    def column(self) -> str:
        """The column's id: ``sqla21-postgresql15-psycopg`` (nox's cell id when given)."""
        if self._column:
            return self._column
        driver = self.driver or drivers.DEFAULT[self.backend.name]
        return f"{sqlalchemy_series()}-{self.backend.name}{self.server or ''}-{driver}"

    def start(self) -> None:
        """Locate the server and open the namespace; a failure becomes the run's status."""
        try:
            if self._not_run:
                raise BackendNotRun(self._not_run, "see the cell's nox log")
            self.backend.check_server_request(self.server)
            if self.driver is not None:
                drivers.pair(self.backend.name, self.driver)  # unknown: one line, at once
            self.target = self.backend.locate(os.environ, self.server)
            # A URL's own driver only when it names one (URL.get_driver_name() would
            # give the dialect's default, e.g. mysqldb for "mariadb://").
            self.driver = self.driver or self.target.url.drivername.partition("+")[2] or None
            pair = drivers.pair(self.backend.name, self.driver)
            self.driver = pair.sync.name
            url = self.target.url
            self.target.url = url.set(drivername=f"{url.get_backend_name()}+{self.driver}")
            self.facts = {"url": redact.shown(self.target.url), "found_by": self.target.found_by}
            self.namespace = self.backend.open_namespace(self.target, namespace_name(), pair)
            self.facts.update(
                namespace=self.namespace.name,
                server_version=self.namespace.server_version,
                driver=pair.sync.name,
                driver_version=self.backend.driver_version(pair.sync),
                async_driver=pair.asyncio.name,
                async_driver_version=self.backend.driver_version(pair.asyncio),
            )
            self.backend.check_version(self.namespace.server_version, self.server, self.target)
            engine = self.namespace.engine
            self.recorder = Recorder(engine)
            models.Base.metadata.create_all(engine)
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
            cell = _not_run(f"{self.column} {self.status}: {self.reason}")
        elif not scenario.applies_to(self.backend.name, self.driver):
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
        document["columns"][self.column] = self.describe()
        for scenario_id, cell in self.cells.items():
            scenario = self.scenarios[scenario_id]
            document["scenarios"][scenario_id] = {
                "title": scenario.title,
                "topic": scenario.topic,
                "tags": list(scenario.tags),
                "doc": scenario.doc,
                "cells": {self.column: cell},
            }
        return document

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "backend": self.backend.name,
            "server_requested": self.server,
            "column": self._rank(),
            "status": self.status,
            "reason": self.reason,
            "remedy": self.remedy,
            "required": self.required,
            "url": None,
            "found_by": None,
            "namespace": None,
            "server_version": None,
            "driver": self.driver,
            "driver_version": None,
            "async_driver": None,
            "async_driver_version": None,
            "sqlalchemy": sqlalchemy.__version__,
            "python": platform.python_version(),
            "sqlite_library": sqlite3.sqlite_version,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "duration_s": round(time.perf_counter() - self._clock, 3),
        }
        info.update(self.facts)
        return info

    def _rank(self) -> int:
        """The column's place in the report: backend, then server version, then driver."""
        versions = self.backend.versions
        server = versions.index(self.server) + 1 if self.server in versions else 0
        names = drivers.for_backend(self.backend.name)
        driver = names.index(self.driver) if self.driver in names else 0
        return list(BACKENDS).index(self.backend.name) * 10_000 + server * 100 + driver


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
