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

import contextlib
import hashlib
import importlib.metadata
import itertools
import json
import os
import signal
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

import nox
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from sqla_matrix import catalog, presence, results
from sqla_matrix import drivers as driver_table
from sqla_matrix.command import cell_arguments
from sqla_matrix.configurations import configuration_id, series_token
from sqla_matrix.errors import MatrixError

#: SQLAlchemy series: a configuration's token and what it installs from PyPI.
SERIES = {"sqla20": "~=2.0.0", "sqla21": "~=2.1.0"}
DEFAULT_SERIES = "sqla21"
#: Seconds a configuration may take to tear down after Ctrl-C (drop its namespace, stop its
#: container, write its results) before nox sends SIGTERM; nox's own default is 0.3.
TEARDOWN_SECONDS = 30.0
#: Seconds between two asks of the index for a newer SQLAlchemy of a reused environment's
#: series (between them, an environment that has what its configuration needs is not even checked).
UPGRADE_EVERY = 12 * 3600
#: Drivers that compile against the client headers (Debian: libmariadb-dev).
COMPILED = ("mysqldb", "mariadbconnector")


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
    """Why a configuration is not run on purpose: its backend (``mysql``) or backend at a version
    (``mysql9.7``) is named in ``MATRIX_OFF``. Its configurations then say so in the report."""
    off = {name.strip() for name in environ.get("MATRIX_OFF", "").split(",") if name.strip()}
    named = [name for name in (backend, f"{backend}{server or ''}") if name in off]
    return f"turned off on purpose (MATRIX_OFF={environ['MATRIX_OFF']})" if named else None


def _younger(path: Path, seconds: float) -> bool:
    return time.time() - path.stat().st_mtime < seconds


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


#: pytest's own exit codes (https://docs.pytest.org/en/stable/reference/exit-codes.html).
PYTEST_EXIT = {2: "interrupted", 3: "internal error", 4: "usage error"}


#: The harness a team's noxfile installs in each configuration unless it names another.
HARNESS = "sqla-matrix"


def installed_harness() -> str:
    """The sqla-matrix installed where nox runs (the one a team's noxfile imports), as a
    requirement: the wheel or checkout it was installed from (PEP 610's direct_url.json),
    else its release."""
    try:
        distribution = importlib.metadata.distribution(HARNESS)
    except importlib.metadata.PackageNotFoundError:
        return HARNESS
    direct = json.loads(distribution.read_text("direct_url.json") or "{}")
    url = str(direct.get("url", ""))
    if url.startswith("file://"):
        return url2pathname(urlparse(url).path)  # a wheel or a checkout, as a path
    if url:
        return f"{HARNESS} @ {url}"
    return f"{HARNESS}=={distribution.version}"


def harness_requirement(harness: str, extras: Sequence[str]) -> str:
    """``harness`` (a wheel, a checkout, a URL or a requirement) with ``extras``; a path
    that names nothing is a one-line MatrixError."""
    listed = f"[{','.join(extras)}]" if extras else ""
    path = Path(harness).expanduser()
    if path.exists():
        return f"{HARNESS}{listed} @ {path.resolve().as_uri()}"
    if "://" in harness:
        return harness if " @ " in harness else f"{HARNESS}{listed} @ {harness}"
    try:
        requirement = Requirement(harness)
    except InvalidRequirement:
        requirement = None
    if requirement is None or os.sep in harness or harness.endswith((".whl", ".tar.gz")):
        raise MatrixError(
            f"the harness {harness!r} cannot be found: MATRIX_HARNESS (or Matrix(harness=...)) "
            "names a wheel, a checkout or a requirement such as sqla-matrix==0.1"
        )
    requirement.extras |= set(extras)
    return str(requirement)


def _extras(pyproject: Mapping[str, Any], names: Sequence[str]) -> list[str]:
    """The requirements of the project's extras ``names`` (this checkout's harness)."""
    table = pyproject.get("project", {}).get("optional-dependencies", {})
    return [requirement for name in names for requirement in table.get(name, [])]


class Matrix:
    """The axes of a matrix and the nox sessions that run it.

    ``databases``: backends, in report order. ``sqlalchemy``: series token ->
    specifier (``MATRIX_SQLALCHEMY="==2.0.30"`` adds ``sqlaenv``). ``drivers``:
    sync drivers per backend, the default first (default: every driver the
    harness knows). ``servers``: versions a configuration may ask for (default: none, the
    URL's or the default image's). ``history_notes``: what a release changed (it
    becomes a note on the range it explains); the history (every release of each series
    in sqla_matrix/history/sqlalchemy-releases.json) runs on ``history_databases``
    (default: every one) with each one's default driver. ``exclude_tags``:
    scenarios of these tags are left out of the configurations (a session of the project's
    own runs them, as this repository's ``curves`` runs its ``cost`` curves).
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
        # have it); an unknown server version is refused by the configuration's own run. A noxfile's
        # typo is one line (nox would show the noxfile's whole traceback).
        try:
            for name in databases:
                catalog.get(name)
                for driver in (drivers or {}).get(name, []):
                    driver_table.pair(name, driver)
        except MatrixError as error:
            raise SystemExit(f"nox: Matrix(...): {error}") from None
        self.databases = list(databases)
        self.sqlalchemy = dict(sqlalchemy)
        self.default_sqlalchemy = default_sqlalchemy
        self.drivers = {
            name: list((drivers or {}).get(name) or driver_table.for_backend(name))
            for name in self.databases
        }
        self.servers = {name: list((servers or {}).get(name, [])) for name in self.databases}
        self.history_notes = dict(history_notes or {})
        chosen = self.databases if history_databases is None else history_databases
        self.history_databases = [name for name in chosen if name in self.databases]
        requested = os.environ.get("MATRIX_SQLALCHEMY", "").strip()
        if requested:
            spec = requested if requested[0] in "=<>!~" else f"=={requested}"
            self.sqlalchemy["sqlaenv"] = spec
        #: The pytest marks of a configuration: every scenario but those tagged ``exclude_tags``.
        self.marks = " and ".join(f"not {tag}" for tag in exclude_tags)
        self.install_requirements = list(install)
        self.groups = list(groups)
        # The default: the sqla-matrix this noxfile runs on (a team installs it in the
        # environment nox runs from), which need not be on the package index.
        default = installed_harness() if harness == HARNESS else harness
        self.harness = os.environ.get("MATRIX_HARNESS", default or "") or None
        if self.harness is not None:
            try:
                harness_requirement(self.harness, [])
            except MatrixError as error:
                raise SystemExit(f"nox: {error}") from None
        self.pyproject: dict[str, Any] = (
            nox.project.load_toml("pyproject.toml") if Path("pyproject.toml").is_file() else {}
        )
        self.exclude_tags = list(exclude_tags)
        self.report_dir = report_dir or Path(os.environ.get("MATRIX_REPORT_DIR", "report"))
        #: One id per nox invocation, inherited by the processes of --parallel.
        self.invocation = os.environ.setdefault("MATRIX_INVOCATION", uuid.uuid4().hex[:12])
        self.configurations = self._configurations()

    # -- the configurations --------------------------------------------------------------

    def _configurations(self) -> list[Any]:
        """Every configuration of the product of the axes, tagged by each of its tokens,
        ``default`` (all defaults) and ``axes`` (at most one axis off the defaults)."""
        configurations = []
        for sqla, backend in itertools.product(self.sqlalchemy, self.databases):
            pairs = itertools.product([None, *self.servers[backend]], self.drivers[backend])
            for server, driver in pairs:
                off = [sqla != self.default_sqlalchemy, server is not None]
                off.append(driver != self.drivers[backend][0])
                tags = ["all", sqla, backend, driver, f"{sqla}-{backend}", f"{backend}-{driver}"]
                tags += [f"{backend}{server}"] if server else []
                tags += ["default"] if not any(off) else []
                tags += [f"{sqla}-default"] if not any(off[1:]) else []
                tags += ["axes"] if sum(off) <= 1 else []
                configuration = configuration_id(sqla, backend, server, driver)
                tags.append(configuration)  # nox -t ID: that configuration, then the report
                configurations.append(
                    nox.param(sqla, backend, server, driver, id=configuration, tags=tags)
                )
        return configurations

    def history_selections(self) -> list[Any]:
        """The parts of the history a session ``history_of`` runs: one backend
        (``history-sqlite``) or one series (``history-sqla20``), every release of it, one
        environment per release (sqla_matrix/history/run.py). ``history`` runs it all."""
        from sqla_matrix.history import listing

        chosen = [nox.param(b, id=b, tags=[f"history-{b}"]) for b in self.history_databases]
        for series in listing.SERIES:
            token = series_token(series)
            chosen.append(nox.param(token, id=token, tags=[f"history-{token}"]))
        return chosen

    # -- what a configuration installs -----------------------------------------------------

    def requirements(self, *extras: str, content: bool = True) -> list[str]:
        """The harness with ``extras`` (backends, drivers), and (``content``) the team's
        own requirements and groups, which the scenarios need and the report does not."""
        groups = self.groups if content else []
        own = [
            *(nox.project.dependency_groups(self.pyproject, *groups) if groups else []),
            *(self.install_requirements if content else []),
        ]
        if self.harness is None:  # this checkout: the harness is on the path already
            project = self.pyproject.get("project", {})
            harness = [*project.get("dependencies", []), *_extras(self.pyproject, extras)]
        else:
            harness = [harness_requirement(self.harness, extras)]
        return [*harness, *own]

    def install(
        self, session: nox.Session, sqla: str, backend: str, driver: str, server: str | None
    ) -> str | None:
        """Install the configuration's SQLAlchemy, harness, drivers and the team's requirements; the
        reason its configurations are not run: turned off (MATRIX_OFF: its driver is not installed,
        but the rest is, to write its "not run" configurations), or a driver that could not be."""
        off = turned_off(backend, server)
        try:
            SpecifierSet(self.sqlalchemy[sqla])
        except InvalidSpecifier:
            session.error(
                f"MATRIX_SQLALCHEMY={os.environ.get('MATRIX_SQLALCHEMY', '')!r} is not a "
                "release or a version specifier; e.g. 2.0.30, ==2.1.0b1 or >=2.0.30,<2.0.40"
            )
        sqlalchemy = f"sqlalchemy[asyncio]{self.sqlalchemy[sqla]}"
        common = self.requirements(backend)
        requested = [*self.requirements(backend, *([] if off else [driver])), sqlalchemy]
        stamp = Path(session.virtualenv.location) / ".sqla-matrix-installed"
        key = self._stamp(requested)
        if stamp.is_file() and stamp.read_text() == key and _younger(stamp, UPGRADE_EVERY):
            # Installed by an earlier run, and nothing it was asked for has changed: no
            # install check at all (it costs uv or pip a resolution, and CPU, every run).
            return off
        if session.venv_backend == "uv":  # one resolution; -P: SQLAlchemy moves to its newest
            with contextlib.suppress(nox.command.CommandFailed):
                session.install("-P", "sqlalchemy", *requested, silent=True)
                stamp.write_text(key)
                return off
        # One step at a time, so that a failure names the part that failed.
        if self.harness is not None:
            try:
                session.install(common[0], silent=True)
            except nox.command.CommandFailed:
                session.error(
                    f"the harness {common[0]!r} cannot be installed (not on the package index, "
                    "or unreadable); set MATRIX_HARNESS to its wheel, its checkout or a "
                    "requirement the index has; see the installer's output above"
                )
        try:
            session.install(*common, silent=True)
        except nox.command.CommandFailed:
            session.error(
                f"the configuration's requirements cannot be installed ({' '.join(common)}); "
                "see the installer's output above"
            )
        try:
            # -U: a reused environment moves to the newest release the series allows.
            session.install("-U", sqlalchemy, silent=True)
        except nox.command.CommandFailed:
            session.error(
                f"no SQLAlchemy release matches {self.sqlalchemy[sqla]!r} on the package index "
                f"(configuration {sqla}); choose a release listed on https://pypi.org/project/SQLAlchemy/"
            )
        if not off:
            try:
                session.install(*self.requirements(driver), silent=True)
            except nox.command.CommandFailed:
                needs = " (it compiles against the client headers: Debian's libmariadb-dev)"
                return (
                    f"the {driver} driver could not be installed here"
                    f"{needs if driver in COMPILED else ''}; see this configuration's nox log"
                )
        stamp.write_text(key)
        return off

    def _stamp(self, requested: Sequence[str]) -> str:
        """What an environment was installed from: the requirements, the project's
        pyproject.toml (a team's own dependencies) and a harness wheel's size and time."""
        parts = [json.dumps(list(requested))]
        pyproject = Path("pyproject.toml")
        parts.append(pyproject.read_text() if pyproject.is_file() else "")
        harness = Path(self.harness).expanduser() if self.harness else None
        if harness is not None and harness.is_file():
            parts.append(f"{harness.stat().st_size} {harness.stat().st_mtime_ns}")
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    # -- running a configuration -------------------------------------------------------------

    def fresh_results(self) -> None:
        """The first configuration of an invocation clears the results of earlier ones, so that
        the report shows what this invocation ran (``curves`` adds to the last run).
        Configurations starting at once (``-j``) agree on who clears, under a lock."""
        results = self.report_dir / "results"
        marker = results / ".invocation"
        marker.parent.mkdir(parents=True, exist_ok=True)
        with (results / ".lock").open("w") as lock:
            if sys.platform != "win32":  # nox -j is for POSIX systems here
                import fcntl

                fcntl.flock(lock, fcntl.LOCK_EX)
            if marker.exists() and marker.read_text() == self.invocation:
                return
            stale_files = [
                *results.glob("*.json"),
                *(results / "history").glob("*.json"),  # the release history's configurations
                *(self.report_dir / "junit").glob("*.xml"),
            ]
            for stale in stale_files:
                stale.unlink(missing_ok=True)
            marker.write_text(self.invocation)

    def absent(
        self,
        session: nox.Session,
        configuration: str,
        backend: str,
        server: str | None,
        driver: str,
    ) -> bool:
        """Whether the configuration cannot run, known before anything is installed (turned off
        with MATRIX_OFF, or no server to be had: sqla_matrix/presence.py): then the nox
        process writes its configuration itself, instead of building the configuration's whole stack
        to say "not run". A configuration that MATRIX_REQUIRE names fails instead."""
        off = turned_off(backend, server)
        why = (
            (off, "remove it from MATRIX_OFF to run it")
            if off
            else presence.absent(backend, server)
        )
        if why is None:
            return False
        reason, remedy = why
        self.fresh_results()
        required = {n.strip() for n in os.environ.get("MATRIX_REQUIRE", "").split(",")}
        status = results.NOT_RUN
        if f"{backend}{server or ''}" in required:  # as the configuration's own run says it
            status = results.FAILED
            reason = f"required by MATRIX_REQUIRE but not available: {reason}"
        document = results.absent_configuration(
            configuration, backend, server, driver, status, reason, remedy
        )
        results.save(document, self.report_dir / "results" / f"{configuration}.json")
        session.log(f"matrix: {configuration} {status}: {reason}")
        self.then_report(session)
        if status == results.FAILED:
            session.error(f"{configuration}: {reason}")
        return True

    def run_scenarios(
        self,
        session: nox.Session,
        configuration: str,
        backend: str,
        server: str | None,
        driver: str,
        marks: str,
        not_run: str | None = None,
        part: str = "",
    ) -> None:
        """The scenarios selected by ``marks`` (all, when empty) in one configuration
        (report/results/<cell><part>.json); the plugin collects ``matrix_scenarios``."""
        out = self.report_dir
        pytest_args = cell_arguments(
            backend,
            driver=driver,
            server=server,
            configuration=configuration,
            results=out / "results" / f"{configuration}{part}.json",
            junit=out / "junit" / f"{configuration}{part}.xml",
            not_run=not_run,
            marks=marks,
        )
        # Only this plugin: no third-party pytest plugin is needed (and each costs start-up).
        env = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", **bytecode_env(session)}
        written = out / "results" / f"{configuration}{part}.json"
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
                configuration, backend, server, driver, results.FAILED, reason, started=started
            )
            results.save(document, written)
            session.error(f"{configuration}: {reason}")

    def run_part(self, session: nox.Session, backend: str, marks: str, part: str) -> None:
        """The scenarios marked ``marks`` (a tag the configurations leave out: ``cost``,
        ``long``) in ``backend``'s default configuration, written beside it (<id><part>.json),
        then the report."""
        sqla, driver = self.default_sqlalchemy, self.drivers[backend][0]
        configuration = configuration_id(sqla, backend, None, driver)
        not_run = self.install(session, sqla, backend, driver, None)
        self.run_scenarios(session, configuration, backend, None, driver, marks, not_run, part=part)
        self.then_report(session)

    def run_history(self, session: nox.Session, selection: str) -> None:
        """The release history's runner (sqla_matrix/history/run.py) on ``selection``:
        ``all``, a backend, or a series token (``sqla20``)."""
        from sqla_matrix.history import listing

        self.fresh_results()
        backends, series = self.history_databases, list(listing.SERIES)
        if selection in self.history_databases:
            backends = [selection]
        elif selection != "all":
            series = [s for s in listing.SERIES if series_token(s) == selection]
        envs = Path(session.cache_dir) / "history"
        envs.mkdir(parents=True, exist_ok=True)
        drivers = {b: self.drivers[b][0] for b in self.history_databases}
        config = {
            # One environment per release for every backend (whichever the session runs).
            "requirements": self.requirements(
                *self.history_databases, *dict.fromkeys(drivers.values())
            ),
            "drivers": drivers,
            "marks": self.marks,
            "notes": self.history_notes,
            "off": {b: why for b in backends if (why := turned_off(b, None))},
        }
        config_file = envs / f"config-{selection}.json"
        config_file.write_text(json.dumps(config, indent=1))
        session.run(
            sys.executable,
            "-m",
            "sqla_matrix.history.run",
            f"--config={config_file}",
            f"--envs={envs}",
            f"--backends={','.join(backends)}",
            f"--series={','.join(series)}",
            f"--results-dir={self.report_dir / 'results'}",
            *session.posargs,
            external=True,
        )
        self.then_report(session)

    @staticmethod
    def then_report(session: nox.Session) -> None:
        """Queue the report after configurations chosen by name with ``-j 1``. Those chosen by tag
        have it in their selection already (the report carries every configuration's tags)."""
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

    # -- the sessions -----------------------------------------------------------------

    def sessions(self, extra_report_tags: Sequence[str] = ()) -> None:
        """Register the matrix's sessions in the noxfile that calls this (in this order:
        configurations, history, fan-out, compare, bisect, clean, then the report after them)."""
        matrix = self

        @nox.session(name="matrix", allow_parallel=True)
        @nox.parametrize(("sqla", "backend", "server", "driver"), self.configurations)
        def configurations(
            session: nox.Session, sqla: str, backend: str, server: str | None, driver: str
        ) -> None:
            """Every scenario (but those of exclude_tags) in one configuration: nox -t ID,
            -t TAG."""
            configuration = configuration_id(sqla, backend, server, driver)
            if matrix.absent(session, configuration, backend, server, driver):
                return
            not_run = matrix.install(session, sqla, backend, driver, server)
            matrix.fresh_results()
            matrix.run_scenarios(
                session, configuration, backend, server, driver, matrix.marks, not_run
            )
            matrix.then_report(session)

        history_tags = ["history", *(t for p in self.history_selections() for t in p.tags)]

        # Alone: each runs its releases two per core itself, in environments its sessions
        # share (nox -t history-sqlite history-postgresql builds each release's once).
        @nox.session(name="history", venv_backend="none", allow_parallel=False, tags=["history"])
        def history(session: nox.Session) -> None:
            """Every SQLAlchemy release of each series a configuration, on every backend's default
            driver, one environment per release: nox -t history
            [-- --releases 2.0.40,2.1.0 --jobs 4 -- PYTEST ARGS]."""
            matrix.run_history(session, "all")

        @nox.session(name="history_of", venv_backend="none", allow_parallel=False)
        @nox.parametrize("selection", self.history_selections())
        def history_of(session: nox.Session, selection: str) -> None:
            """The history of one backend or one series: nox -t history-sqlite,
            -t history-sqla20 (-s "history_of(sqlite)") [-- as for history]."""
            matrix.run_history(session, selection)

        @nox.session(name="fanout")
        def fanout(session: nox.Session) -> None:
            """Every selected configuration in its own process and report folder, as the CI workflow
            runs them, then one combined report: nox -s fanout -- [-t axes] [--jobs 2]."""
            session.install("nox", *matrix.requirements(content=False), silent=True)
            matrix.run_module(session, "fanout", "run", *session.posargs)

        @nox.session(name="compare")
        def compare(session: nox.Session) -> None:
            """What changes when one axis moves, on the last run's results (report/compare.md):
            nox -s compare -- FROM TO [--results PATH], e.g. psycopg2 psycopg, sqla20 sqla21."""
            session.install(*matrix.requirements(content=False), silent=True)
            # Into the report folder, also for --results PATH (else beside PATH);
            # arguments after -- come last and win.
            merged, out = matrix.report_dir / "results.json", matrix.report_dir / "compare.md"
            args = [f"--results={merged}", f"--out={out}", *session.posargs]
            matrix.run_module(session, "compare", *args)

        @nox.session(name="bisect")
        def bisect(session: nox.Session) -> None:
            """The first release of SQLAlchemy (or --package P: a driver, Alembic) whose
            observed value differs: nox -s bisect -- TOPIC.FUNCTION "KEY"
            --from 2.0.30 --to 2.1.9 [--package P] [--backend B] [--driver D]."""
            backend = "sqlite"
            if "--backend" in session.posargs[:-1]:
                backend = session.posargs[session.posargs.index("--backend") + 1]
            if backend not in matrix.databases:
                known = ", ".join(matrix.databases)
                session.error(f"unknown backend {backend!r}: choose one of {known}")
            chosen = [d for d in matrix.drivers[backend] if d in session.posargs]
            driver = (chosen or matrix.drivers[backend])[0]
            session.install(*matrix.requirements(backend, driver))
            matrix.run_module(session, "bisect", *session.posargs)

        @nox.session(name="clean")
        def clean(session: nox.Session) -> None:
            """Remove the namespaces runs left behind on a backend's server (a server that
            died mid-run), recognised by the marker inside each:
            nox -s clean -- postgresql [--server 15]."""
            backend = session.posargs[0] if session.posargs else ""
            if backend not in matrix.databases:
                names = ",".join(matrix.databases)
                session.error(f"name a backend: nox -s clean -- {{{names}}} [--server V]")
            driver = matrix.drivers[backend][0]
            session.install(*matrix.requirements(backend, driver), silent=True)
            matrix.run_module(session, "namespaces", *session.posargs)

        # The report goes with every selection of configurations (so nox -t TAG ends with it) and
        # runs alone after them, also under nox -j (it is registered after the configurations).
        report_tags = sorted(
            {t for p in self.configurations for t in p.tags}
            | set(extra_report_tags)
            | set(history_tags)
        )

        @nox.session(name="report", tags=report_tags, allow_parallel=False)
        def report(session: nox.Session) -> None:
            """Merge the last run's configurations and write report/: nox -s report
            [-- --baseline OLD]."""
            session.install(*matrix.requirements(content=False), silent=True)
            results_dir, out = matrix.report_dir / "results", matrix.report_dir
            # Arguments after -- come last and win.
            report_args = [f"--results-dir={results_dir}", f"--out={out}", *session.posargs]
            matrix.run_module(session, "report", *report_args)
