"""The matrix's nox sessions, for this repository's noxfile and for a team's.

A team's whole noxfile::

    import nox

    from sqla_matrix.nox import Matrix

    nox.options.sessions = ["matrix", "report"]  # or tags=["default"], as here
    Matrix(
        databases=["sqlite", "postgresql"],
        drivers={"postgresql": ["psycopg", "psycopg2"]},
        servers={"postgresql": ["15", "17"]},
        install=["-e", "."],  # the team's own package (and its dependencies), everywhere
    ).sessions()

That gives it the same sessions this repository has: ``matrix`` (one per configuration:
a SQLAlchemy series, a backend at a server version and a sync driver, tagged by
each token, ``default`` and ``axes``), ``report``, ``compare``, ``fanout`` (the
CI plan and a local fan-out), ``bisect``, ``history`` (every SQLAlchemy release a
configuration: ``nox -t history``, ``-t history-sqlite``, ``-t history-sqla20``) and
``clean``. Configurations run in parallel under ``nox -j auto``.

What each configuration installs: the harness with the extras of its backend and driver
(``sqla-matrix[postgresql,psycopg]``; ``MATRIX_HARNESS`` names another
requirement, a wheel or a checkout), SQLAlchemy of its series, and the team's
``install`` requirements and ``groups`` (PEP 735 dependency groups of its
pyproject.toml). This repository runs the harness from its checkout
(``harness=None``): its configurations install only the extras' requirements.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import nox
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from sqla_matrix import presence, report_folder, results
from sqla_matrix.axes import DEFAULT_SERIES, SERIES, Axes
from sqla_matrix.command import configuration_arguments
from sqla_matrix.configurations import configuration_id
from sqla_matrix.errors import MatrixError
from sqla_matrix.installing import (
    COMPILED,
    HARNESS,
    Installer,
    harness_requirement,
    installed_harness,
)

__all__ = ["COMPILED", "DEFAULT_SERIES", "SERIES", "Matrix", "bytecode_env", "turned_off"]

#: Seconds a configuration may take to tear down after Ctrl-C (drop its namespace, stop
#: its container, write its results) before nox sends SIGTERM; nox's own default is 0.3.
TEARDOWN_SECONDS = 30.0
#: pytest's own exit codes (https://docs.pytest.org/en/stable/reference/exit-codes.html).
PYTEST_EXIT = {2: "interrupted", 3: "internal error", 4: "usage error"}


def bytecode_env(session: nox.Session) -> dict[str, str]:
    """Bytecode cached in the session's own environment, never beside the sources: the
    interpreter writes it under ``<venv>/.pycache`` (PYTHONPYCACHEPREFIX), also where
    PYTHONDONTWRITEBYTECODE is set. Without a cache every run compiles SQLAlchemy,
    pytest and the scenarios from source again: this project's SQLite configuration took
    7.6-7.9 s of user CPU without it and 5.0-5.7 s with it (measured while another
    run was going)."""
    return {
        "PYTHONPYCACHEPREFIX": str(Path(session.virtualenv.location) / ".pycache"),
        "PYTHONDONTWRITEBYTECODE": "",
    }


def turned_off(
    backend: str, server: str | None, environ: Mapping[str, str] = os.environ
) -> str | None:
    """Why a configuration is not run on purpose: its backend (``mysql``) or backend at a
    version (``mysql9.7``) is named in ``MATRIX_OFF``. The report then says so."""
    off = {name.strip() for name in environ.get("MATRIX_OFF", "").split(",") if name.strip()}
    named = [name for name in (backend, f"{backend}{server or ''}") if name in off]
    return f"turned off on purpose (MATRIX_OFF={environ['MATRIX_OFF']})" if named else None


def why_it_died(returncode: int) -> str:
    """A configuration's pytest process that ended without writing its results, in words."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"its pytest process died of {name} before it wrote its results"
    meaning = PYTEST_EXIT.get(returncode)
    return f"its pytest process exited with code {returncode}{f' ({meaning})' if meaning else ''}"


class Matrix:
    """The axes of a matrix and the nox sessions that run it.

    ``databases``: backends, in report order. ``sqlalchemy``: series token ->
    specifier (``MATRIX_SQLALCHEMY="==2.0.30"`` adds ``sqlaenv``). ``drivers``:
    sync drivers per backend, the default first (default: every driver the
    harness knows). ``servers``: versions a configuration may ask for (default: none,
    the URL's or the default image's). ``history_notes``: what a release changed (it
    becomes a note on the range it explains); the history (every release of each series
    in sqla_matrix/history/sqlalchemy-releases.json) runs on ``history_databases``
    (default: every one) with each one's default driver. ``exclude_tags``: scenarios of
    these tags are left out of the configurations (a session of the project's own runs
    them, as this repository's ``curves`` runs its ``cost`` curves).

    The axes and their product are sqla_matrix/axes.py's, what a configuration installs
    sqla_matrix/installing.py's; this class runs configurations and registers sessions.
    """

    def __init__(
        self,
        databases: Sequence[str],
        *,
        sqlalchemy: Mapping[str, str] = SERIES,
        default_sqlalchemy: str = DEFAULT_SERIES,
        drivers: Mapping[str, Sequence[str]] | None = None,
        servers: Mapping[str, Sequence[str]] | None = None,
        history_notes: Mapping[str, str] | None = None,
        history_databases: Sequence[str] | None = None,
        install: Sequence[str] = (),
        groups: Sequence[str] = (),
        harness: str | None = HARNESS,
        report_dir: Path | None = None,
        exclude_tags: Sequence[str] = (),
    ) -> None:
        # Checked here without importing SQLAlchemy (the interpreter running nox may not
        # have it); an unknown server version is refused by the configuration's own run.
        # A noxfile's typo is one line (nox would show the noxfile's whole traceback).
        try:
            self.axes = Axes(
                databases,
                sqlalchemy=sqlalchemy,
                default_sqlalchemy=default_sqlalchemy,
                drivers=drivers,
                servers=servers,
                history_databases=history_databases,
            )
        except MatrixError as error:
            raise SystemExit(f"nox: Matrix(...): {error}") from None
        # The default: the sqla-matrix this noxfile runs on (a team installs it in the
        # environment nox runs from), which need not be on the package index.
        default = installed_harness() if harness == HARNESS else harness
        chosen = os.environ.get("MATRIX_HARNESS", default or "") or None
        if chosen is not None:
            try:
                harness_requirement(chosen, [])
            except MatrixError as error:
                raise SystemExit(f"nox: {error}") from None
        self.pyproject: dict[str, Any] = (
            nox.project.load_toml("pyproject.toml") if Path("pyproject.toml").is_file() else {}
        )
        self.installer = Installer(self.pyproject, chosen, install, groups)
        self.history_notes = dict(history_notes or {})
        #: The pytest marks of a configuration: every scenario but those of ``exclude_tags``.
        self.marks = " and ".join(f"not {tag}" for tag in exclude_tags)
        self.report_dir = report_dir or Path(os.environ.get("MATRIX_REPORT_DIR", "report"))
        #: One id per nox invocation, inherited by the processes of --parallel.
        self.invocation = os.environ.setdefault("MATRIX_INVOCATION", uuid.uuid4().hex[:12])

    # -- what a configuration installs ---------------------------------------------------

    def requirements(self, *extras: str, content: bool = True) -> list[str]:
        """The harness with ``extras`` (backends, drivers), and (``content``) the team's
        own requirements and groups, which the scenarios need and the report does not."""
        return self.installer.requirements(*extras, content=content)

    def install(
        self, session: nox.Session, sqla: str, backend: str, driver: str, server: str | None
    ) -> str | None:
        """Install the configuration's SQLAlchemy, harness, drivers and the team's
        requirements; the reason its scenarios are not run: turned off (MATRIX_OFF: its
        driver is not installed, the rest is, to write its "not run" cells), or a driver
        that could not be installed."""
        spec = self.axes.sqlalchemy[sqla]
        try:
            SpecifierSet(spec)
        except InvalidSpecifier:
            session.error(
                f"MATRIX_SQLALCHEMY={os.environ.get('MATRIX_SQLALCHEMY', '')!r} is not a "
                "release or a version specifier; e.g. 2.0.30, ==2.1.0b1 or >=2.0.30,<2.0.40"
            )
        off = turned_off(backend, server)
        not_run = self.installer.install(session, (sqla, spec), backend, driver, off is not None)
        return off or not_run

    # -- running a configuration ---------------------------------------------------------

    def fresh_results(self) -> None:
        """The first configuration of this invocation clears earlier ones' results
        (sqla_matrix/report_folder.py)."""
        report_folder.clear_earlier_runs(self.report_dir, self.invocation)

    def absent(
        self, session: nox.Session, backend: str, server: str | None, driver: str, id: str
    ) -> bool:
        """Whether the configuration ``id`` cannot run, known before anything is installed
        (turned off with MATRIX_OFF, or no server to be had: sqla_matrix/presence.py): then
        the nox process writes it itself, instead of building its whole stack to say "not
        run". A configuration that MATRIX_REQUIRE names fails instead."""
        off = turned_off(backend, server)
        why = (off, "remove it from MATRIX_OFF to run it") if off else None
        why = why or presence.absent(backend, server)
        if why is None:
            return False
        reason, remedy = why
        self.fresh_results()
        required = {n.strip() for n in os.environ.get("MATRIX_REQUIRE", "").split(",")}
        status = results.NOT_RUN
        if f"{backend}{server or ''}" in required:  # as the configuration's own run says it
            status = results.FAILED
            reason = f"required by MATRIX_REQUIRE but not available: {reason}"
        document = results.absent_configuration(id, backend, server, driver, status, reason, remedy)
        results.save(document, self.report_dir / "results" / f"{id}.json")
        session.log(f"matrix: {id} {status}: {reason}")
        self.then_report(session)
        if status == results.FAILED:
            session.error(f"{id}: {reason}")
        return True

    def run_scenarios(
        self,
        session: nox.Session,
        id: str,
        backend: str,
        server: str | None,
        driver: str,
        marks: str,
        not_run: str | None = None,
        part: str = "",
    ) -> None:
        """The scenarios selected by ``marks`` (all, when empty) in the configuration ``id``
        (report/results/<id><part>.json); the plugin collects ``matrix_scenarios``."""
        written = self.report_dir / "results" / f"{id}{part}.json"
        pytest_args = configuration_arguments(
            backend,
            driver=driver,
            server=server,
            configuration=id,
            results=written,
            junit=self.report_dir / "junit" / f"{id}{part}.xml",
            not_run=not_run,
            marks=marks,
        )
        # Only this plugin: no third-party pytest plugin is needed (and each costs start-up).
        env = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", **bytecode_env(session)}
        written.unlink(missing_ok=True)  # an earlier run's: whatever is there now is this run's
        started = time.time()
        try:
            session.run(
                "python",
                "-m",
                "pytest",
                *pytest_args,
                *session.posargs,
                env=env,
                interrupt_timeout=TEARDOWN_SECONDS,
            )
        except nox.command.CommandFailed as failed:
            returncode = getattr(failed, "return_code", None)
            if written.exists() or not isinstance(returncode, int):
                raise  # the configuration recorded why it failed, or nox could not start it
            # A pytest that died (a segfault while collecting garbage) wrote nothing: its
            # configuration is failed, with the signal or exit code, instead of missing.
            reason = f"{why_it_died(returncode)}; see this configuration's nox log"
            document = results.absent_configuration(
                id, backend, server, driver, results.FAILED, reason, started=started
            )
            results.save(document, written)
            session.error(f"{id}: {reason}")

    def run_configuration(
        self, session: nox.Session, sqla: str, backend: str, server: str | None, driver: str
    ) -> None:
        """Every scenario (but those of exclude_tags) in one configuration, then the
        report; nothing is installed for one that cannot run."""
        id = configuration_id(sqla, backend, server, driver)
        if self.absent(session, backend, server, driver, id):
            return
        not_run = self.install(session, sqla, backend, driver, server)
        self.fresh_results()
        self.run_scenarios(session, id, backend, server, driver, self.marks, not_run)
        self.then_report(session)

    def run_part(self, session: nox.Session, backend: str, marks: str, part: str) -> None:
        """The scenarios marked ``marks`` (a tag the configurations leave out: ``cost``,
        ``long``) in ``backend``'s default configuration, written beside it (<id><part>.json),
        then the report."""
        sqla, driver = self.axes.default_sqlalchemy, self.axes.drivers[backend][0]
        id = configuration_id(sqla, backend, None, driver)
        not_run = self.install(session, sqla, backend, driver, None)
        self.run_scenarios(session, id, backend, None, driver, marks, not_run, part=part)
        self.then_report(session)

    def run_history(self, session: nox.Session, selection: str) -> None:
        """The release history on ``selection`` (``all``, a backend, or a series token,
        ``sqla20``): sqla_matrix/history/session.py, then the report."""
        from sqla_matrix.history import session as history_session

        self.fresh_results()
        backends = self.axes.history_databases
        drivers = {b: self.axes.drivers[b][0] for b in backends}
        history_session.run(
            session,
            selection,
            backends=backends,
            drivers=drivers,
            requirements=self.requirements(*backends, *dict.fromkeys(drivers.values())),
            marks=self.marks,
            notes=self.history_notes,
            off=lambda backend: turned_off(backend, None),
            results_dir=self.report_dir / "results",
        )
        self.then_report(session)

    @staticmethod
    def then_report(session: nox.Session) -> None:
        """Queue the report after configurations chosen by name with ``-j 1``. Those chosen
        by tag have it in their selection already (the report carries every one's tags)."""
        try:
            session.notify("report", posargs=[])
        except ValueError:  # nox -j runs each session alone (--no-dependencies): no notify()
            session.log(
                "the report follows configurations selected by tag (nox -t ...); "
                "else: nox -s report"
            )

    @staticmethod
    def run_module(session: nox.Session, module: str, *arguments: str) -> None:
        """``python -m sqla_matrix.MODULE ARGUMENTS`` in the session, its bytecode cached."""
        session.run("python", "-m", f"sqla_matrix.{module}", *arguments, env=bytecode_env(session))

    # -- the sessions ----------------------------------------------------------------------

    def sessions(self, extra_report_tags: Sequence[str] = ()) -> None:
        """Register the matrix's sessions in the noxfile that calls this (in this order:
        the configurations, the history, fan-out, compare, bisect, clean, then the report
        after them: it carries every other session's tags)."""
        planned = [
            nox.param(p.sqlalchemy, p.backend, p.server, p.driver, id=p.id, tags=list(p.tags))
            for p in self.axes.product()
        ]
        nox.session(name="matrix", allow_parallel=True)(
            nox.parametrize(("sqla", "backend", "server", "driver"), planned)(
                _session(self, configuration)
            )
        )
        # Alone: each runs its releases two per core itself, in environments its sessions
        # share (nox -t history-sqlite history-postgresql builds each release's once).
        selections = [nox.param(s, id=s, tags=[tag]) for s, tag in self.axes.history_selections()]
        history_tags = ["history", *(tag for _, tag in self.axes.history_selections())]
        alone: dict[str, Any] = {"venv_backend": "none", "allow_parallel": False}
        nox.session(name="history", tags=["history"], **alone)(_session(self, history))
        nox.session(name="history_of", **alone)(
            nox.parametrize("selection", selections)(_session(self, history_of))
        )
        for body in (fanout, compare, bisect, clean):
            nox.session(name=body.__name__)(_session(self, body))
        tags = {t for p in planned for t in p.tags} | {*extra_report_tags, *history_tags}
        nox.session(name="report", tags=sorted(tags), allow_parallel=False)(_session(self, report))


def _session(matrix: Matrix, body: Callable[..., None]) -> Callable[..., None]:
    """``body(matrix, session, **parameters)`` as a nox session, with its docstring."""

    def run(session: nox.Session, **parameters: Any) -> None:
        body(matrix, session, **parameters)

    run.__doc__, run.__name__ = body.__doc__, body.__name__
    return run


# -- the sessions' bodies (each one's docstring is what nox -l shows) -------------------------


def configuration(
    matrix: Matrix, session: nox.Session, sqla: str, backend: str, server: str | None, driver: str
) -> None:
    """Every scenario (but those of exclude_tags) in one configuration: nox -t ID, -t TAG."""
    matrix.run_configuration(session, sqla, backend, server, driver)


def history(matrix: Matrix, session: nox.Session) -> None:
    """Every SQLAlchemy release of each series a configuration, on every backend's default
    driver, one environment per release: nox -t history
    [-- --releases 2.0.40,2.1.0 --jobs 4 -- PYTEST ARGS]."""
    matrix.run_history(session, "all")


def history_of(matrix: Matrix, session: nox.Session, selection: str) -> None:
    """The history of one backend or one series: nox -t history-sqlite,
    -t history-sqla20 (-s "history_of(sqlite)") [-- as for history]."""
    matrix.run_history(session, selection)


def fanout(matrix: Matrix, session: nox.Session) -> None:
    """Every selected configuration in its own process and report folder, as the CI
    workflow runs them, then one combined report: nox -s fanout -- [-t axes] [--jobs 2]."""
    session.install("nox", *matrix.requirements(content=False), silent=True)
    matrix.run_module(session, "fanout", "run", *session.posargs)


def compare(matrix: Matrix, session: nox.Session) -> None:
    """What changes when one axis moves, on the last run's results (report/compare.md):
    nox -s compare -- FROM TO [--results PATH], e.g. psycopg2 psycopg, sqla20 sqla21."""
    session.install(*matrix.requirements(content=False), silent=True)
    # Into the report folder, also for --results PATH (else beside PATH); arguments after
    # -- come last and win.
    merged, out = matrix.report_dir / "results.json", matrix.report_dir / "compare.md"
    matrix.run_module(session, "compare", f"--results={merged}", f"--out={out}", *session.posargs)


def bisect(matrix: Matrix, session: nox.Session) -> None:
    """The first release of SQLAlchemy (or --package P: a driver, Alembic) whose
    observed value differs: nox -s bisect -- TOPIC.FUNCTION "KEY"
    --from 2.0.30 --to 2.1.9 [--package P] [--backend B] [--driver D]."""
    backend = "sqlite"
    if "--backend" in session.posargs[:-1]:
        backend = session.posargs[session.posargs.index("--backend") + 1]
    if backend not in matrix.axes.databases:
        known = ", ".join(matrix.axes.databases)
        session.error(f"unknown backend {backend!r}: choose one of {known}")
    chosen = [d for d in matrix.axes.drivers[backend] if d in session.posargs]
    driver = (chosen or matrix.axes.drivers[backend])[0]
    session.install(*matrix.requirements(backend, driver))
    matrix.run_module(session, "bisect", *session.posargs)


def clean(matrix: Matrix, session: nox.Session) -> None:
    """Remove the namespaces runs left behind on a backend's server (a server that
    died mid-run), recognised by the marker inside each:
    nox -s clean -- postgresql [--server 15]."""
    backend = session.posargs[0] if session.posargs else ""
    if backend not in matrix.axes.databases:
        names = ",".join(matrix.axes.databases)
        session.error(f"name a backend: nox -s clean -- {{{names}}} [--server V]")
    driver = matrix.axes.drivers[backend][0]
    session.install(*matrix.requirements(backend, driver), silent=True)
    matrix.run_module(session, "namespaces", *session.posargs)


def report(matrix: Matrix, session: nox.Session) -> None:
    """Merge the last run's configurations and write report/: nox -s report
    [-- --baseline OLD]."""
    session.install(*matrix.requirements(content=False), silent=True)
    folder, out = matrix.report_dir / "results", matrix.report_dir
    # Arguments after -- come last and win.
    matrix.run_module(
        session, "report", f"--results-dir={folder}", f"--out={out}", *session.posargs
    )
