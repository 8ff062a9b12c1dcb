"""One backend's run: find it, confine it to its own namespace, run cells, clean up."""

from __future__ import annotations

import os
import statistics
import time
import uuid
from datetime import datetime, timezone
from typing import Any

import sqlalchemy
from sqlalchemy import Engine, MetaData
from sqlalchemy.pool import NullPool

from sqla_matrix import (
    configurations,
    drivers,
    expect,
    judging,
    namespaces,
    observing,
    recorded,
    redact,
    results,
)
from sqla_matrix.backends.base import Backend, Namespace, Target
from sqla_matrix.deadline import CLEANUP_TIMEOUT, Stalled, scenario_timeout, within
from sqla_matrix.drivers import DriverPair
from sqla_matrix.errors import BackendNotRun, MatrixError, one_line
from sqla_matrix.recording import Recorder
from sqla_matrix.scenario import Context, Scenario


def namespace_name() -> str:
    """A fresh name for the run's schema/database/file: recognisable and unique."""
    return f"matrix_{uuid.uuid4().hex[:12]}"


def sqlalchemy_series() -> str:
    """The installed SQLAlchemy's series as a configuration names it: ``sqla21`` for 2.1.9."""
    major, minor = sqlalchemy.__version__.split(".")[:2]
    return configurations.series_token(f"{major}.{minor}")


class BackendRun:
    """The life of one configuration in one run (a backend at a server version, through a
    driver, on this SQLAlchemy), and what it recorded."""

    def __init__(
        self,
        backend: Backend,
        *,
        required: bool = False,
        server: str | None = None,
        driver: str | None = None,
        configuration: str | None = None,
        not_run: str | None = None,
        metadata: MetaData | None = None,
    ) -> None:
        self.backend = backend
        #: The tables every scenario shares (matrix_metadata), created in the namespace.
        self.metadata = metadata
        self.required = required
        self.server = server  # the server version asked for; None: whatever is found
        self.driver = driver  # None: the URL's driver, else the backend's default
        self._configuration = configuration
        self._not_run = not_run  # known before starting (a driver that did not install)
        self.status = "not started"
        self.reason: str | None = None
        self.remedy: str | None = None
        self.target: Target | None = None
        self.namespace: Namespace | None = None
        self.pair: DriverPair | None = None
        #: The scenario during which the server was lost (died or stopped answering).
        self.lost_during: str | None = None
        self.stalled = False  # the server stopped answering: nothing more is asked of it
        #: One line about a namespace that could not be dropped, and how to remove it.
        self.left_behind: str | None = None
        self.recorder: Recorder | None = None
        self.started_at = datetime.now(timezone.utc)
        #: Read before any scenario (one may travel in time): naive datetimes depend on it.
        self.client_time_zone = recorded.client_time_zone()
        self._clock = time.perf_counter()
        self.facts: dict[str, Any] = {}  # about the server, kept after it is gone
        self.cells: dict[str, dict[str, Any]] = {}
        self.scenarios: dict[str, Scenario] = {}

    # -- lifecycle ---------------------------------------------------------

    @property
    def configuration(self) -> str:
        """The configuration's id: ``sqla21-postgresql15-psycopg`` (nox's cell id when given)."""
        if self._configuration:
            return self._configuration
        driver = self.driver or self.backend.driver_names[0]
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
            self.pair = pair
            self.facts["namespace"] = name = namespace_name()
            within(
                scenario_timeout(), f"{self.configuration}: setting up", lambda: self._open(name)
            )
            self.status = results.RAN
        except BackendNotRun as absent:
            if self.required:
                self.status = results.FAILED
                self.reason = f"required by MATRIX_REQUIRE but not available: {absent.reason}"
            else:
                self.status = results.NOT_RUN
                self.reason = absent.reason
            self.remedy = absent.remedy
        except MatrixError as error:
            self.status, self.reason = results.FAILED, redact.redact(str(error))
        except Stalled as stalled:
            self.stalled = True
            self.status, self.reason = results.FAILED, f"the server stopped answering ({stalled})"
        except Exception as error:  # the server went away, a permission was missing...
            self.status = results.FAILED
            self.reason = f"{self.backend.name}: {redact.redact(one_line(error))}"
        except KeyboardInterrupt:  # Ctrl-C before the first scenario: stop what was started
            self.status, self.reason = results.NOT_RUN, "interrupted while setting up"
            self.finish()
            raise
        if self.status != results.RAN:
            self.finish()

    def _open(self, name: str) -> None:
        """Create the namespace, mark it as the matrix's, and the shared tables in it."""
        assert self.target is not None and self.pair is not None
        self.namespace = self.backend.open_namespace(self.target, name, self.pair)
        self.facts.update(
            namespace=self.namespace.name,
            server_version=self.namespace.server_version,
            driver=self.pair.sync.name,
            driver_version=self.backend.driver_version(self.pair.sync),
            async_driver=self.pair.asyncio.name,
            async_driver_version=self.backend.driver_version(self.pair.asyncio),
        )
        engine = self.namespace.engine
        self.facts.update(
            driver_implementation=self.backend.driver_implementation(self.pair.sync, engine),
            # No async connection is opened for it: the async partners that have more
            # than one implementation (psycopg's) say which without one.
            async_driver_implementation=self.backend.driver_implementation(self.pair.asyncio, None),
        )
        namespaces.mark(engine)
        self.backend.check_version(self.namespace.server_version, self.server, self.target)
        shared = self.metadata.tables.values() if self.metadata is not None else []
        self.recorder = Recorder(engine, tables=[table.name for table in shared])
        if self.metadata is not None:
            self.metadata.create_all(engine)
        self.facts["round_trip_s"] = _round_trip(engine)

    def finish(self) -> None:
        """Drop the namespace and stop any container, whatever happened before.

        A namespace that cannot be dropped (the server is gone) is reported in
        one line with the command that removes it later; nothing here raises.
        """
        namespace, self.namespace = self.namespace, None
        target, self.target = self.target, None
        name = self.facts.get("namespace")
        reason: str | None = None  # why the namespace is still on the server
        try:
            if self.stalled:  # nothing more is asked of a server that stopped answering
                if name is not None:
                    reason = "Stalled: the server stopped answering earlier: no answer within "
                    reason += f"{scenario_timeout():g} s"
            elif namespace is not None:
                try:
                    within(CLEANUP_TIMEOUT, f"dropping {namespace.name}", namespace.drop)
                except Exception as error:
                    reason = redact.redact(one_line(error))
            if reason is not None:
                kind = namespace.kind if namespace is not None else "namespace"
                remove = namespaces.how_to_remove(self.backend.name, self.server)
                self.left_behind = (
                    f"{kind} {name} was left on the server ({reason}); remove it with: {remove}"
                )
        finally:
            if target is not None:
                try:
                    target.stop()
                except Exception as error:
                    self.left_behind = f"{target.found_by}: {redact.redact(one_line(error))}"

    # -- cells -------------------------------------------------------------

    def run(self, scenario: Scenario) -> dict[str, Any]:
        """Run ``scenario`` on this backend and record its cell."""
        self.scenarios[scenario.id] = scenario
        if self.lost_during is not None:
            cell = _not_run(f"server lost during {self.lost_during}")
        elif self.status != results.RAN or self.namespace is None or self.recorder is None:
            cell = _not_run(f"{self.configuration} {self.status}: {self.reason}")
        elif (
            why := judging.applicability(
                scenario, self.facts_for_specs(), self.backend.capabilities
            )
        ) is not None:
            cell = _not_run(why.reason, why.why_not_run)
        else:
            cell = self._observe(scenario, self.namespace, self.recorder)
        self.cells[scenario.id] = cell
        return cell

    def skip(self, scenario: Scenario, reason: str) -> None:
        """Record ``scenario`` as not run, for ``reason``."""
        self.scenarios[scenario.id] = scenario
        self.cells[scenario.id] = _not_run(reason)

    def _observe(
        self, scenario: Scenario, namespace: Namespace, recorder: Recorder
    ) -> dict[str, Any]:
        """The scenario's cell; a server that stops answering or dies fails the configuration."""
        seconds = scenario_timeout()
        try:
            cell = within(seconds, scenario.id, lambda: self._watch(scenario, namespace, recorder))
        except Stalled as stalled:
            self.stalled = True
            error = f"the server stopped answering ({stalled})"
            self._lose(scenario.id, error)
            return _cell("error", error=error, duration_s=seconds)
        if cell["status"] == "error" and not self._server_answers():
            self._lose(scenario.id, cell["error"])
        return cell

    def _lose(self, scenario_id: str, error: str) -> None:
        self.lost_during = scenario_id
        self.status = results.FAILED
        self.reason = f"server lost during {scenario_id}: {error}"

    def _server_answers(self) -> bool:
        """Whether a new connection still gets an answer (asked after a scenario failed)."""
        if self.target is None or self.pair is None:
            return True
        if self.backend.capabilities.namespace == "file":  # no server to lose
            return True
        engine = self.backend.make_engine(
            self.target.url, self.pair.sync, self.target.found_by, poolclass=NullPool
        )

        def ask() -> None:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")

        try:
            within(CLEANUP_TIMEOUT, "probing the server", ask)
            return True
        except Stalled:
            self.stalled = True
            return False
        except Exception:
            return False
        finally:
            engine.dispose()

    def _watch(
        self, scenario: Scenario, namespace: Namespace, recorder: Recorder
    ) -> dict[str, Any]:
        """Observe ``scenario`` once and judge what it showed on this configuration."""
        ctx = Context(
            self.backend.name,
            namespace.engine,
            recorder,
            namespace.make_async_engine,
            namespace=namespace.name,
        )

        def empty_shared_tables() -> None:
            if recorder.touched:  # no statement named them: nothing to empty
                self._empty_shared_tables(namespace)

        seen = observing.watch(scenario, ctx, recorder, after=empty_shared_tables)
        verdict = judging.judge(
            scenario.expect,
            self.facts_for_specs(),
            seen.observed,
            seen.unavailable,
            raised=seen.error is not None,
        )
        return _cell(
            results.ERROR if seen.error else verdict.status,
            observed=seen.observed,
            expected=verdict.expected,
            mismatches=verdict.mismatches,
            marks=verdict.marks,
            unavailable=seen.unavailable,
            error=seen.error,
            warnings=seen.warnings,
            statements=seen.statements,
            statements_omitted=seen.statements_omitted,
            measurements=seen.measurements,
            duration_s=round(seen.duration_s, 6),
            teardown_s=round(seen.teardown_s, 6),
            **({"paused_s": round(seen.paused_s, 3)} if seen.paused_s else {}),
        )

    def facts_for_specs(self) -> expect.Facts:
        """This configuration as expectation specs see it (sqla_matrix/recorded.py)."""
        return recorded.facts_for_specs(self)

    def _empty_shared_tables(self, namespace: Namespace) -> None:
        if self.metadata is None:
            return
        with namespace.engine.begin() as conn:
            for table in reversed(self.metadata.sorted_tables):
                conn.execute(table.delete())

    # -- results -----------------------------------------------------------

    def as_results(self) -> results.Results:
        """This configuration's part of the results file (sqla_matrix/recorded.py)."""
        return recorded.document(self)


def _round_trip(engine: Engine, times: int = 7) -> float:
    """The median seconds of ``SELECT 1`` on a pooled connection: one statement's floor."""
    seconds = []
    with engine.connect() as conn:
        for _ in range(times):
            start = time.perf_counter()
            conn.exec_driver_sql("SELECT 1").close()
            seconds.append(time.perf_counter() - start)
    return round(statistics.median(seconds), 6)


def _cell(status: str, **fields: Any) -> dict[str, Any]:
    """One cell of the results file: every field present, those not given empty."""
    return {**results.EMPTY_CELL, "status": status, **fields}


def _not_run(reason: str, why: str | None = None) -> dict[str, Any]:
    """A cell not run, for ``reason``; ``why`` says which kind of "no" it is (not
    observed here, not supported, not in this release), None for a run that stopped."""
    return _cell(results.NOT_RUN, reason=reason, why_not_run=why)
