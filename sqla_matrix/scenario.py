"""What a scenario is: an observing function, its documented expectations, its tags.

A scenario module in ``scenarios/`` reads like the seed notes::

    @scenario(
        "An orphan post: does the database refuse it?",
        tags=("foreign_keys",),
        expect={"orphan post": ByBackend(sqlite=Doc("accepted", SQLITE_FK), ...)},
    )
    def orphan_post(ctx: Context) -> Observed:
        ...
        return {"orphan post": outcome}

The function *observes* and returns what it saw; the harness compares that
with the expectations and records the SQL it caused. Importing the module
registers its scenarios; the pytest plugin collects them from there.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

from sqlalchemy import Engine, MetaData, exc
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session

from sqla_matrix import backends
from sqla_matrix.capabilities import Capabilities
from sqla_matrix.expect import (
    Doc,
    Expected,
    Facts,
    KnownBug,
    Unsupported,
    When,
    backend_names,
    parse_spec,
)
from sqla_matrix.recording import Recorder, Statement
from sqla_matrix.releases import INSTALLED, Since
from sqla_matrix.requirements import Requirement

__all__ = ["ByBackend", "Context", "Doc", "KnownBug", "Observed", "Unsupported", "When", "scenario"]

#: A plain JSON value (checked with json.dumps when a scenario returns it).
_T = TypeVar("_T")

JSON: TypeAlias = Any
#: What a scenario returns: a readable key per behaviour, and the value it observed.
Observed: TypeAlias = dict[str, JSON]


@dataclass(frozen=True)
class ByBackend:
    """An expectation that differs by backend; a backend not named has none. Each may
    itself depend on the configuration: ``ByBackend(postgresql=When({...}))``."""

    docs: Mapping[str, Expected | When]

    def __init__(self, **docs: Expected | When) -> None:
        unknown = sorted(set(docs) - set(backend_names()))
        if unknown:
            raise ValueError(
                f"ByBackend({', '.join(unknown)}=...): no such backend; "
                f"known: {', '.join(backend_names())}"
            )
        object.__setattr__(self, "docs", docs)


Expectation: TypeAlias = "Doc | KnownBug | Unsupported | When | ByBackend"


def expectation_for(
    expectation: Expectation, backend: str, facts: Facts | None = None
) -> Expected | None:
    """What ``backend`` (a configuration with ``facts``, where given) is expected to show,
    if any."""
    found: Expected | When | None = (
        expectation.docs.get(backend) if isinstance(expectation, ByBackend) else expectation
    )
    if isinstance(found, When):
        return found.for_(facts or Facts(backend, None, (), INSTALLED))
    return found


class Context:
    """What a scenario is handed: the backend's engine, sessions, and the SQL so far.

    Everything it gives out is closed by the harness when the scenario ends,
    including tables created with ``create_tables``.
    """

    def __init__(
        self,
        backend: str,
        engine: Engine,
        recorder: Recorder,
        make_async_engine: Callable[[], AsyncEngine] | None = None,
        namespace: str | None = None,
    ) -> None:
        self.backend = backend
        self.engine = engine
        #: The run's own schema, database or file name (``matrix_<hex>``): what a scenario
        #: replaces in text it observes, so that values compare from run to run.
        self.namespace = namespace
        self._recorder = recorder
        self._make_async_engine = make_async_engine
        self._sessions: list[Session] = []
        self._metadatas: list[MetaData] = []
        #: chart -> series -> x -> y, published by the report as charts and tables
        self.measurements: dict[str, dict[str, dict[str, float]]] = {}
        #: Seconds of deliberate pauses (``pause``), part of the run's floor (nox -s bench).
        self.paused = 0.0

    @property
    def dialect(self) -> str:
        """SQLAlchemy's dialect name: sqlite, postgresql, mysql or mariadb. Ask
        :attr:`capabilities` what the backend can do; this keys a table of SQL text
        checked by ``capabilities.per_backend``."""
        return self.engine.dialect.name

    @property
    def capabilities(self) -> Capabilities:
        """What this backend can do and how it spells it (sqla_matrix/capabilities.py):
        facts a scenario asks instead of asking which backend it is."""
        return backends.get(self.backend).capabilities

    @property
    def requires(self) -> Capabilities:
        """The earlier name of :attr:`capabilities` (kept for scenarios written against it)."""
        return self.capabilities

    def run_async(self, main: Callable[[AsyncEngine], Awaitable[_T]]) -> _T:
        """Run ``main`` in one event loop with an async engine on the same namespace
        (asyncpg, aiomysql, aiosqlite), recorded like the sync one and disposed
        in that loop before it closes."""
        if self._make_async_engine is None:
            raise RuntimeError(f"{self.backend} has no async engine here")
        make_async_engine = self._make_async_engine

        async def in_one_loop() -> _T:
            engine = make_async_engine()
            self._recorder.attach(engine.sync_engine)
            try:
                return await main(engine)
            finally:
                await engine.dispose()

        try:
            return asyncio.run(in_one_loop())
        finally:
            # The loop's greenlets and connections are collected here, in the thread
            # that made them: collected later in another scenario's thread, they once
            # took the interpreter down (SIGSEGV while "Garbage-collecting").
            gc.collect()

    def session(self, **kwargs: Any) -> Session:
        """A new ORM session on the backend (closed by the harness afterwards)."""
        session = Session(self.engine, **kwargs)
        self._sessions.append(session)
        return session

    @contextmanager
    def counting(self) -> Iterator[list[Statement]]:
        """The statements issued inside the ``with`` block, counted by the engine's events."""
        with self._recorder.watching() as seen:
            yield seen

    def pause(self, seconds: float) -> None:
        """Wait ``seconds`` on purpose (for a clock to move); recorded in the cell's
        ``paused_s``, so that the benchmark can tell the pauses from the harness's cost."""
        time.sleep(seconds)
        self.paused += seconds

    def paused_on_server(self, seconds: float) -> None:
        """Count a deliberate pause the server made (a statement that sleeps): part of
        the floor in ``paused_s``, like :meth:`pause`."""
        self.paused += seconds

    def measure(self, chart: str, series: str, x: int, y: float) -> None:
        """A measurement the report publishes (a point of ``series`` in ``chart``).

        Unlike observed values, measurements (timings) vary from run to run:
        they are never compared with expectations nor with a baseline.
        """
        self.measurements.setdefault(chart, {}).setdefault(series, {})[str(x)] = y

    def create_tables(self, metadata: MetaData) -> None:
        """Create a scenario's own tables; they are dropped when the scenario ends."""
        metadata.create_all(self.engine)
        self._metadatas.append(metadata)

    def close(self) -> None:
        """Close the scenario's sessions and drop the tables it created (not recorded)."""
        for session in self._sessions:
            session.close()
        for metadata in reversed(self._metadatas):
            try:  # created whole: a DROP per table, without asking first which exist
                metadata.drop_all(self.engine, checkfirst=False)
            except exc.DBAPIError:  # created in part, or the scenario dropped one itself
                metadata.drop_all(self.engine)


ScenarioFunction: TypeAlias = Callable[[Context], "Observed"]


@dataclass(frozen=True)
class Scenario:
    """One behaviour to observe on every backend (a row group of the report)."""

    id: str
    title: str
    func: ScenarioFunction
    topic: str
    tags: tuple[str, ...]
    expect: Mapping[str, Expectation]
    backends: tuple[str, ...] | None
    doc: str = ""
    #: What it needs of SQLAlchemy: on an older release it reads "not in this release".
    since: Since | None = None
    #: Backends left out of ``backends`` because they lack it (else: not observed here).
    elsewhere: Mapping[str, Unsupported] | None = None
    #: What it needs of a backend's capabilities; a backend without one: not supported.
    requires: tuple[Requirement, ...] = ()

    def applies_to(self, facts: Facts) -> bool:
        """Whether the configuration ``facts`` describes runs this scenario.

        ``backends`` entries are specs in the grammar of ``When`` (SQLAlchemy's
        testing plugin's): ``postgresql`` (any driver), ``postgresql+pg8000``,
        ``+asyncpg``, ``mariadb>=10.6``; the first that matches admits the configuration.
        """
        if self.backends is None:
            return True
        return any(parse_spec(spec).matches(facts) for spec in self.backends)


#: module name -> the scenarios it registered, in source order
_REGISTRY: dict[str, list[Scenario]] = {}


def scenario(
    title: str,
    *,
    tags: Sequence[str] = (),
    expect: Mapping[str, Expectation] | None = None,
    requires: Sequence[Requirement] = (),
    backends: Sequence[str] | None = None,
    since: Since | None = None,
    elsewhere: Mapping[str, Unsupported] | None = None,
) -> Callable[[ScenarioFunction], ScenarioFunction]:
    """Register the decorated function as a scenario of its module's topic.

    ``expect`` maps an observed key to its documented value; keys without an
    expectation are still observed and reported. ``requires`` says what the
    scenario needs of a backend (sqla_matrix/requirements.py): a backend whose
    capabilities lack one reads *not supported*, with the requirement's reason.
    ``backends`` restricts it to configurations by spec instead (a driver, a server
    version): a team's pin; elsewhere it is reported as not run.
    ``since`` names what it needs of SQLAlchemy: a configuration on an older release
    reports it as not in this release (a key alone says so with ``Since.absent()``).
    ``elsewhere`` says why a backend left out of ``backends`` lacks the behaviour
    (``Unsupported``); a backend left out without one is *not observed here*.
    """
    for name in elsewhere or {}:
        if name not in backend_names():
            raise ValueError(
                f"scenario {title!r}: no backend {name!r}; known: {', '.join(backend_names())}"
            )
    for spec in backends or ():
        try:  # the names, drivers and versions of each, checked as When checks its specs
            parse_spec(spec)
        except ValueError as error:
            raise ValueError(f"scenario {title!r}: backends=: {error}") from None

    def register(func: ScenarioFunction) -> ScenarioFunction:
        # Qualified by the whole module name here; the plugin makes it relative to the
        # scenario root it collects (shop_matrix.loading -> loading.n_plus_one).
        topic = func.__module__
        entry = Scenario(
            id=f"{topic}.{func.__name__}",
            title=title,
            func=func,
            topic=topic,
            tags=(topic.rsplit(".", 1)[-1], *tags),
            expect=dict(expect or {}),
            backends=tuple(backends) if backends is not None else None,
            doc=" ".join((func.__doc__ or "").split()),
            since=since,
            elsewhere=dict(elsewhere) if elsewhere else None,
            requires=tuple(requires),
        )
        _REGISTRY.setdefault(func.__module__, []).append(entry)
        return func

    return register


def scenarios_of(module: str) -> list[Scenario]:
    """The scenarios a module registered when it was imported, in source order."""
    return list(_REGISTRY.get(module, []))
