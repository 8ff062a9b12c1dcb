"""One configuration's run: attach to its server, run its cells, let go.

:class:`BackendRun` is a configuration's identity (a backend at a server version,
through a driver, on this SQLAlchemy), its status, and its cells. Holding the server
(locating it, its namespace, its faults) is sqla_matrix/attachment.py's; whether a
scenario applies and how an observation is judged are pure functions
(sqla_matrix/judging.py); observing one scenario is sqla_matrix/observing.py's; the
configuration's part of the results file is sqla_matrix/recorded.py's.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

import sqlalchemy
from sqlalchemy import MetaData

from sqla_matrix import configurations, expect, judging, observing, recorded, redact, results
from sqla_matrix.attachment import Attachment
from sqla_matrix.backends.base import Backend, Namespace
from sqla_matrix.deadline import Stalled, scenario_timeout, within
from sqla_matrix.drivers import DriverPair
from sqla_matrix.errors import BackendNotRun, MatrixError, one_line
from sqla_matrix.recording import Recorder
from sqla_matrix.scenario import Context, Scenario


def sqlalchemy_series() -> str:
    """The installed SQLAlchemy's series as a configuration names it: ``sqla21`` for 2.1.9."""
    major, minor = sqlalchemy.__version__.split(".")[:2]
    return configurations.series_token(f"{major}.{minor}")


class BackendRun:
    """The life of one configuration in one run, and what it recorded."""

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
        self.required = required
        self.server = server  # the server version asked for; None: whatever is found
        self._driver = driver  # None: the URL's driver, else the backend's default
        self._configuration = configuration
        self._not_run = not_run  # known before starting (a driver that did not install)
        self.attachment = Attachment(backend, server, metadata)
        self.status = "not started"
        self.reason: str | None = None
        self.remedy: str | None = None
        self.started_at = datetime.now(timezone.utc)
        #: Read before any scenario (one may travel in time): naive datetimes depend on it.
        self.client_time_zone = recorded.client_time_zone()
        self._clock = time.perf_counter()
        self.cells: dict[str, dict[str, Any]] = {}
        self.scenarios: dict[str, Scenario] = {}

    # -- what it is ---------------------------------------------------------------

    @property
    def configuration(self) -> str:
        """The configuration's id: ``sqla21-postgresql15-psycopg`` (nox's, when given)."""
        if self._configuration:
            return self._configuration
        driver = self.driver or self.backend.driver_names[0]
        return configurations.configuration_id(
            sqlalchemy_series(), self.backend.name, self.server, driver
        )

    @property
    def driver(self) -> str | None:
        """The sync driver: as asked, until the server tells more (a URL's own driver)."""
        return self.attachment.driver or self._driver

    @property
    def facts(self) -> dict[str, Any]:
        """What is known of the server and drivers, kept after the server is gone."""
        return self.attachment.facts

    @property
    def namespace(self) -> Namespace | None:
        return self.attachment.namespace

    @property
    def pair(self) -> DriverPair | None:
        return self.attachment.pair

    @property
    def left_behind(self) -> str | None:
        return self.attachment.left_behind

    def facts_for_specs(self) -> expect.Facts:
        """This configuration as expectation specs see it (sqla_matrix/recorded.py)."""
        return recorded.facts_for_specs(self)

    # -- its lifecycle ----------------------------------------------------------------

    def start(self) -> None:
        """Attach to the server; a failure becomes the run's status."""
        try:
            self.attachment.open(self._driver, self._not_run, lambda: self.configuration)
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
            self.attachment.stalled = True
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

    def finish(self) -> None:
        """Let go of the server, whatever happened before (nothing here raises)."""
        self.attachment.close()

    # -- its cells --------------------------------------------------------------------

    def run(self, scenario: Scenario) -> dict[str, Any]:
        """Run ``scenario`` on this configuration and record its cell."""
        self.scenarios[scenario.id] = scenario
        held = self.attachment
        if held.lost_during is not None:
            cell = _not_run(f"server lost during {held.lost_during}")
        elif self.status != results.RAN or held.namespace is None or held.recorder is None:
            cell = _not_run(f"{self.configuration} {self.status}: {self.reason}")
        elif (
            why := judging.applicability(
                scenario, self.facts_for_specs(), self.backend.capabilities
            )
        ) is not None:
            cell = _not_run(why.reason, why.why_not_run)
        else:
            cell = self._observe(scenario, held.namespace, held.recorder)
        self.cells[scenario.id] = cell
        return cell

    def skip(self, scenario: Scenario, reason: str) -> None:
        """Record ``scenario`` as not run, for ``reason``."""
        self.scenarios[scenario.id] = scenario
        self.cells[scenario.id] = _not_run(reason)

    def _observe(
        self, scenario: Scenario, namespace: Namespace, recorder: Recorder
    ) -> dict[str, Any]:
        """The scenario's cell; a server that stops answering or dies fails the
        configuration."""
        seconds = scenario_timeout()
        try:
            cell = within(seconds, scenario.id, lambda: self._watch(scenario, namespace, recorder))
        except Stalled as stalled:
            self.attachment.stalled = True
            error = f"the server stopped answering ({stalled})"
            self._lose(scenario.id, error)
            return _cell(results.ERROR, error=error, duration_s=seconds)
        if cell["status"] == results.ERROR and not self.attachment.answers():
            self._lose(scenario.id, cell["error"])
        return cell

    def _lose(self, scenario_id: str, error: str) -> None:
        self.attachment.lost_during = scenario_id
        self.status = results.FAILED
        self.reason = f"server lost during {scenario_id}: {error}"

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
                self.attachment.empty_shared_tables()

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

    # -- its results ------------------------------------------------------------------

    def as_results(self) -> results.Results:
        """This configuration's part of the results file (sqla_matrix/recorded.py)."""
        return recorded.document(self)


def _cell(status: str, **fields: Any) -> dict[str, Any]:
    """One cell of the results file: every field present, those not given empty."""
    return {**results.EMPTY_CELL, "status": status, **fields}


def _not_run(reason: str, why: str | None = None) -> dict[str, Any]:
    """A cell not run, for ``reason``; ``why`` says which kind of "no" it is (not
    observed here, not supported, not in this release), None for a run that stopped."""
    return _cell(results.NOT_RUN, reason=reason, why_not_run=why)
