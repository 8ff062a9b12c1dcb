"""One configuration's hold on its server: found, confined to a namespace of its own,
watched for faults, and let go of whatever happened.

An :class:`Attachment` locates the server (sqla_matrix/backends/), opens the run's
uniquely named namespace with the shared tables in it, records what the server and
drivers are (``facts``), and at the end drops the namespace and stops what it started.
It also holds the fault state: a server that stopped answering (``stalled``: nothing
more is asked of it) or that was lost during a scenario (``lost_during``). A namespace
that cannot be dropped is said in one line with the command that removes it later.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, MetaData
from sqlalchemy.pool import NullPool

from sqla_matrix import drivers, namespaces, redact
from sqla_matrix.backends.base import Backend, Namespace, Target
from sqla_matrix.deadline import CLEANUP_TIMEOUT, Stalled, scenario_timeout, within
from sqla_matrix.drivers import DriverPair
from sqla_matrix.errors import BackendNotRun, one_line
from sqla_matrix.recording import Recorder


def namespace_name() -> str:
    """A fresh name for the run's schema/database/file: recognisable and unique."""
    return f"matrix_{uuid.uuid4().hex[:12]}"


class Attachment:
    """A configuration's server: the target, its namespace and recorder, what is known of
    it (``facts``, kept after it is gone) and whether it is still there."""

    def __init__(
        self, backend: Backend, server: str | None, metadata: MetaData | None = None
    ) -> None:
        self.backend = backend
        self.server = server  # the server version asked for; None: whatever is found
        #: The tables every scenario shares (matrix_metadata), created in the namespace.
        self.metadata = metadata
        self.target: Target | None = None
        self.namespace: Namespace | None = None
        self.pair: DriverPair | None = None
        self.recorder: Recorder | None = None
        self.facts: dict[str, Any] = {}
        #: The scenario during which the server was lost (died or stopped answering).
        self.lost_during: str | None = None
        self.stalled = False  # the server stopped answering: nothing more is asked of it
        #: One line about a namespace that could not be dropped, and how to remove it.
        self.left_behind: str | None = None
        #: The sync driver as far as it is known: asked for, the URL's, then the pair's.
        self.driver: str | None = None

    def open(self, driver: str | None, not_run: str | None, label: Callable[[], str]) -> None:
        """Locate the server and open the namespace through ``driver`` (None: the URL's,
        else the backend's default). Raises BackendNotRun (absent), MatrixError
        (unusable), Stalled or what the server raised; ``label()`` names the configuration
        in a timeout."""
        self.driver = driver
        if not_run:
            raise BackendNotRun(not_run, "see the configuration's nox log")
        self.backend.check_server_request(self.server)
        if driver is not None:
            drivers.pair(self.backend.name, driver)  # unknown: one line, at once
        self.target = self.backend.locate(os.environ, self.server)
        # A URL's own driver only when it names one (URL.get_driver_name() would give the
        # dialect's default, e.g. mysqldb for "mariadb://").
        self.driver = driver or self.target.url.drivername.partition("+")[2] or None
        self.pair = drivers.pair(self.backend.name, self.driver)
        self.driver = self.pair.sync.name
        url = self.target.url
        self.target.url = url.set(drivername=f"{url.get_backend_name()}+{self.driver}")
        self.facts = {"url": redact.shown(self.target.url), "found_by": self.target.found_by}
        self.facts["namespace"] = name = namespace_name()
        within(scenario_timeout(), f"{label()}: setting up", lambda: self._confine(name))

    def _confine(self, name: str) -> None:
        """Create the namespace, mark it as the matrix's, and the shared tables in it."""
        assert self.target is not None and self.pair is not None
        backend, pair = self.backend, self.pair
        self.namespace = backend.open_namespace(self.target, name, pair)
        engine = self.namespace.engine
        self.facts.update(
            namespace=self.namespace.name,
            server_version=self.namespace.server_version,
            driver=pair.sync.name,
            driver_version=backend.driver_version(pair.sync),
            async_driver=pair.asyncio.name,
            async_driver_version=backend.driver_version(pair.asyncio),
            driver_implementation=backend.driver_implementation(pair.sync, engine),
            # No async connection is opened for it: the async partners that have more
            # than one implementation (psycopg's) say which without one.
            async_driver_implementation=backend.driver_implementation(pair.asyncio, None),
        )
        namespaces.mark(engine)
        backend.check_version(self.namespace.server_version, self.server, self.target)
        shared = self.metadata.tables.values() if self.metadata is not None else []
        self.recorder = Recorder(engine, tables=[table.name for table in shared])
        if self.metadata is not None:
            self.metadata.create_all(engine)
        self.facts["round_trip_s"] = _round_trip(engine)

    def close(self) -> None:
        """Drop the namespace and stop any container, whatever happened before; nothing
        here raises."""
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

    def answers(self) -> bool:
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

    def empty_shared_tables(self) -> None:
        """Empty the tables every scenario shares, after a scenario wrote to them."""
        if self.metadata is None or self.namespace is None:
            return
        with self.namespace.engine.begin() as conn:
            for table in reversed(self.metadata.sorted_tables):
                conn.execute(table.delete())


def _round_trip(engine: Engine, times: int = 7) -> float:
    """The median seconds of ``SELECT 1`` on a pooled connection: one statement's floor."""
    seconds = []
    with engine.connect() as conn:
        for _ in range(times):
            start = time.perf_counter()
            conn.exec_driver_sql("SELECT 1").close()
            seconds.append(time.perf_counter() - start)
    return round(statistics.median(seconds), 6)
