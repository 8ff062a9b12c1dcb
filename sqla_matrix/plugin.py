"""The pytest plugin that runs a project's scenarios on one backend.

    pytest --matrix-backend postgresql --matrix-results report/results/postgresql.json

It collects the folders or packages the ini key ``matrix_scenarios`` names
(``matrix_scenarios = ["shop_matrix"]``). Each scenario becomes a test item
whose id is ``<topic>.<name>``, the module's name under its root and the
function's (``loading.n_plus_one``), and whose markers are its tags, so
``-k`` and ``-m`` select cells. A scenario that raises fails its item; a
value that differs from the documented expectation is recorded as a
*mismatch* and fails the item only with ``--matrix-strict``. The backend is
set up once, before the first item, and torn down (namespace dropped,
container stopped) at the end, whatever happened. Without ``--matrix-backend``
the plugin (the wheel's pytest11 entry point) is inert and imports nothing more.
"""

from __future__ import annotations

import dataclasses
import gc
import importlib
import importlib.util
import os
import signal
import threading
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# Loaded by every pytest run of a project that has the wheel installed (its pytest11 entry
# point), the plugin imports the harness and SQLAlchemy only once --matrix-backend is given.
if TYPE_CHECKING:
    from sqlalchemy import MetaData

    from sqla_matrix.runner import BackendRun
    from sqla_matrix.scenario import Scenario

RUN = pytest.StashKey["BackendRun"]()
#: scenario folder -> the dotted name of the package it is (from the ini key matrix_scenarios)
ROOTS = pytest.StashKey[dict[Path, str]]()
#: Each module that could not be collected, with its error's line.
COLLECTION_ERRORS = pytest.StashKey[list[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "matrix_scenarios",
        "the folders (relative to the rootdir) or packages whose modules hold scenarios",
        type="args",
        default=[],
    )
    parser.addini(
        "matrix_metadata",
        "module:attribute of the MetaData (or DeclarativeBase) created in each namespace",
        default="",
    )
    group = parser.getgroup("matrix", "SQLAlchemy behaviour matrix")
    group.addoption(
        "--matrix-backend", help="run the scenarios on this backend (sqlite, postgresql, ...)"
    )
    group.addoption(
        "--matrix-server", help="a server version the backend must have (15, 10.11, ...)"
    )
    group.addoption("--matrix-driver", help="the sync driver (psycopg, pg8000, mysqldb, ...)")
    group.addoption(
        "--matrix-configuration",
        "--matrix-column",  # its name before results schema 5
        dest="matrix_configuration",
        help="the configuration's id in the report (nox passes its session's id)",
    )
    group.addoption("--matrix-not-run", help="record every scenario as not run, for this reason")
    group.addoption(
        "--matrix-results",
        type=Path,
        help="write the configuration's results file here "
        "(default: report/results/<configuration>.json)",
    )
    group.addoption(
        "--matrix-scenario",
        action="append",
        default=[],
        metavar="ID",
        help="run only this scenario (its id in results.json; may be repeated)",
    )
    group.addoption(
        "--matrix-strict",
        action="store_true",
        help="fail a scenario whose observation differs from its documented expectation",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> None:
    """With ``--matrix-backend`` and no paths, collect the folders ``matrix_scenarios``
    names, not the project's ``testpaths`` (whose conftests need the project's tests'
    own dependencies)."""
    known = early_config.known_args_namespace
    if not getattr(known, "matrix_backend", None) or known.file_or_dir:
        return
    from sqla_matrix.errors import MatrixError

    try:
        folders = [str(folder) for folder in _roots(early_config)]
    except MatrixError as error:
        raise pytest.UsageError(str(error)) from None
    known.file_or_dir = folders
    args.extend(folders)


def pytest_configure(config: pytest.Config) -> None:
    name = config.getoption("matrix_backend")
    if not name:
        return
    from sqla_matrix.errors import MatrixError

    server, driver = config.getoption("matrix_server"), config.getoption("matrix_driver")
    try:  # the registry loads every declared backend, a package's own among them
        from sqla_matrix import backends, drivers
        from sqla_matrix.backends.base import server_limits
        from sqla_matrix.runner import BackendRun

        backend = backends.get(name)
        backend.check_server_request(server)
        if driver is not None:
            drivers.pair(name, driver)
        required = backends.parse_names(os.environ.get("MATRIX_REQUIRE", ""), "MATRIX_REQUIRE")
        server_limits()  # MATRIX_STATEMENT_TIMEOUT, MATRIX_LOCK_TIMEOUT: whole seconds
    except MatrixError as error:
        raise pytest.UsageError(str(error)) from None
    try:
        config.stash[ROOTS] = _roots(config)
        metadata = _metadata(config.getini("matrix_metadata"))
    except MatrixError as error:
        raise pytest.UsageError(str(error)) from None
    _stop_on_sigterm()
    config.stash[RUN] = BackendRun(
        backend,
        required=f"{name}{server or ''}" in required,
        server=server,
        driver=driver,
        configuration=config.getoption("matrix_configuration"),
        not_run=config.getoption("matrix_not_run"),
        metadata=metadata,
    )


def _stop_on_sigterm() -> None:
    """Treat the first SIGTERM as Ctrl-C, so that the configuration is still torn down and
    recorded: nox sends it to a cell it interrupts, CI runners to a job they cancel.
    Python's default for SIGTERM is to die at once, leaving the namespace behind."""
    if threading.current_thread() is not threading.main_thread():
        return

    def interrupt(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the run
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)


def _roots(config: pytest.Config) -> dict[Path, str]:
    """Each folder of scenarios, and the package name its modules are imported under:
    a folder under the rootdir (``tests/matrix``) or a package's name (``shop_matrix``)."""
    from sqla_matrix.errors import MatrixError

    entries = config.getini("matrix_scenarios")
    if not entries:
        raise MatrixError(
            "matrix_scenarios is not set: name the folders or packages of your scenarios "
            'in [tool.pytest.ini_options], e.g. matrix_scenarios = ["myapp_matrix"]'
        )
    roots = {}
    for entry in entries:
        folder = config.rootpath / entry
        if folder.is_dir():
            parts = folder.resolve().relative_to(config.rootpath.resolve()).parts
            roots[folder.resolve()] = ".".join(parts)
            continue
        try:
            spec = importlib.util.find_spec(entry)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.submodule_search_locations:
            raise MatrixError(
                f"matrix_scenarios: {entry!r} is neither a folder under {config.rootpath} "
                "nor an importable package"
            )
        roots[Path(next(iter(spec.submodule_search_locations))).resolve()] = entry
    return roots


def _metadata(spec: str) -> MetaData | None:
    """The MetaData ``module:attribute`` names (a DeclarativeBase gives its own), or None."""
    if not spec:
        return None
    from sqlalchemy import MetaData

    from sqla_matrix import named
    from sqla_matrix.errors import MatrixError

    found = named.resolve(spec, f"matrix_metadata = {spec!r}")
    metadata = getattr(found, "metadata", found)
    if not isinstance(metadata, MetaData):
        raise MatrixError(f"matrix_metadata = {spec!r}: not a MetaData or a DeclarativeBase")
    return metadata


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Two scenarios with one id are an error (their cells would merge); ``--matrix-scenario
    ID``: only those scenarios, and an id that names none is an error."""
    if RUN not in config.stash:
        return
    found: dict[str, str] = {}
    for item in items:
        if isinstance(item, ScenarioItem):
            other = found.setdefault(item.scenario.id, item.nodeid)
            if other != item.nodeid:
                raise pytest.UsageError(
                    f"two scenarios have the id {item.scenario.id}: {other} and {item.nodeid} "
                    "(an id is the module's name under its matrix_scenarios root, then the "
                    "function's); rename one"
                )
    wanted = config.getoption("matrix_scenario")
    if not wanted:
        return
    unknown = [scenario_id for scenario_id in wanted if scenario_id not in found]
    if unknown:
        example = f", e.g. {next(iter(found))}" if found else ""
        raise pytest.UsageError(
            f"--matrix-scenario {unknown[0]}: no such scenario; give its id as in "
            f"results.json (MODULE.FUNCTION under matrix_scenarios){example}"
        )
    items[:] = [i for i in items if isinstance(i, ScenarioItem) and i.scenario.id in wanted]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if RUN not in parent.config.stash or file_path.suffix != ".py":
        return None
    package = parent.config.stash[ROOTS].get(file_path.parent.resolve())
    if package is not None and not file_path.name.startswith("_"):
        return ScenarioModule.from_parent(parent, path=file_path, package=package)
    return None


class ScenarioModule(pytest.File):
    """A module of a scenarios folder: its registered scenarios are the items."""

    def __init__(self, *, package: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.package = package

    def collect(self) -> Iterator[pytest.Item]:
        from sqla_matrix.scenario import scenarios_of

        module = f"{self.package}.{self.path.stem}"
        importlib.import_module(module)
        for registered in scenarios_of(module):
            entry = under_root(registered, self.package)
            item = ScenarioItem.from_parent(self, name=entry.func.__name__, scenario=entry)
            for tag in entry.tags:
                self.config.addinivalue_line("markers", f"{tag}: matrix tag")
                item.add_marker(tag)
            yield item


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """A module that cannot be collected (a misspelt backend in a scenario, an import
    error) fails the configuration, with the error's line, once collection ends."""
    report = yield
    if report.failed and RUN in collector.config.stash:
        crash = getattr(report.longrepr, "reprcrash", None)
        lines = str(getattr(crash, "message", None) or report.longrepr).strip().splitlines()
        line = lines[-1].strip() if lines else "an error"
        found = collector.config.stash.setdefault(COLLECTION_ERRORS, [])
        found.append(f"{report.nodeid or collector.nodeid}: {line}")
    return report


def under_root(entry: Scenario, package: str) -> Scenario:
    """``entry``, its id and topic relative to the scenario root it was collected from: the
    module ``shop_matrix.loading`` of the root ``shop_matrix`` is the topic ``loading``, its
    function ``n_plus_one`` the scenario ``loading.n_plus_one``."""
    topic = entry.topic.removeprefix(f"{package}.")
    return dataclasses.replace(entry, id=f"{topic}.{entry.func.__name__}", topic=topic)


def _progress(scenario_id: str, status: str) -> None:
    """One line per scenario as it ends, in ``MATRIX_PROGRESS`` (a file) when set: to
    follow a long cell (``tail -f``), or to act on the first observed scenario."""
    path = os.environ.get("MATRIX_PROGRESS")
    if path:
        with open(path, "a") as progress:
            progress.write(f"{scenario_id} {status}\n")


class ScenarioFailed(Exception):
    """A scenario raised, or (strict mode) disagreed with its documentation."""


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario

    def runtest(self) -> None:
        from sqla_matrix import results

        cell = self.config.stash[RUN].run(self.scenario)
        _progress(self.scenario.id, cell["status"])
        if cell["status"] == results.NOT_RUN:
            pytest.skip(cell["reason"])
        if cell["status"] == results.ERROR:
            raise ScenarioFailed(cell["error"])
        if cell["status"] == results.MISMATCH and self.config.getoption("matrix_strict"):
            raise ScenarioFailed(_mismatch_line(cell))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.scenario.id


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A scenario's failure is its one line: no captured output or log below it (a
    driver's or the pool's own traceback when a server dies, for instance)."""
    report = yield
    if isinstance(item, ScenarioItem):
        report.sections = []
    return report


def _mismatch_line(cell: dict[str, Any]) -> str:
    observed, expected = cell["observed"], cell["expected"]
    return "; ".join(
        f"{key}: observed {observed[key]!r}, documented {expected[key]['value']!r}"
        if key in observed
        else f"{key}: documented {expected[key]['value']!r}, never observed (no such key returned)"
        for key in cell["mismatches"]
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    """Set the backend up before the first item; without it, record every item as not run."""
    run = session.config.stash.get(RUN, None)
    if run is None or session.config.option.collectonly:
        return None
    # What was imported and collected lives until the process ends: frozen, the
    # collector never walks it again. The full collections of a PostgreSQL cell (each
    # asyncio scenario ends with one; pytest runs two at exit) took 0.13-0.25 s, 1.09 s
    # before (measured with gc.callbacks).
    gc.freeze()
    from sqla_matrix import results

    errors = session.config.stash.get(COLLECTION_ERRORS, [])
    if errors and not session.config.option.continue_on_collection_errors:
        # pytest runs nothing after a collection error: the configuration failed, and says why.
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        run.status, run.reason = results.FAILED, f"collection error in {errors[0]}{more}"
    else:
        run.start()
    if run.status == results.RAN:
        return None  # pytest's own loop runs the items
    for item in session.items:
        if isinstance(item, ScenarioItem):
            run.run(item.scenario)
    return True


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(RUN, None)
    if run is None or session.config.option.collectonly:
        return
    from sqla_matrix import results

    try:
        run.finish()
    finally:
        # Every selected scenario gets a cell, also when the run was cut short.
        for item in session.items:
            if isinstance(item, ScenarioItem) and item.scenario.id not in run.cells:
                run.skip(item.scenario, "the run stopped before this scenario (interrupted)")
        results.save(run.as_results(), _results_path(session.config, run))
        if run.status == results.FAILED:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _results_path(config: pytest.Config, run: BackendRun) -> Path:
    """``--matrix-results``, else ``report/results/<configuration>.json`` under the rootdir."""
    given: Path | None = config.getoption("matrix_results")
    return given or config.rootpath / "report" / "results" / f"{run.configuration}.json"


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    run = config.stash.get(RUN, None)
    if run is None or config.option.collectonly:
        return
    from sqla_matrix import results

    write = terminalreporter.write_line
    facts = run.facts
    if run.status == results.RAN:
        counts: dict[str, int] = {}
        for cell in run.cells.values():
            counts[cell["status"]] = counts.get(cell["status"], 0) + 1
        tally = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        write(
            f"matrix: {run.configuration} ran on {facts.get('server_version')} "
            f"via {facts.get('found_by')}: {tally or 'no scenario selected'}"
        )
        for scenario_id, cell in run.cells.items():
            if cell["status"] == results.MISMATCH:
                write(f"matrix: mismatch in {scenario_id}: {_mismatch_line(cell)}")
    elif run.status == results.NOT_RUN:
        write(f"matrix: {run.configuration} not run: {run.reason}; {run.remedy}")
    else:
        write(f"matrix: {run.configuration} FAILED: {run.reason}", red=True)
    if run.left_behind:
        write(f"matrix: {run.configuration}: {run.left_behind}", red=True)
    write(f"matrix: results in {_results_path(config, run)}")
