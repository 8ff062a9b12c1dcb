"""Sessions of the SQLAlchemy behaviour matrix.

    nox                                        # the matrix on every backend, then the report
    nox -s "matrix(backend='postgresql')"      # one backend
    nox -t postgresql                          # the same, by tag
    nox -s "matrix(backend='sqlite')" -- -k one_to_one   # pytest arguments after --
    nox -s tests                               # the project's own tests
    nox -s lint                                # ruff and mypy

Where each backend is found (first match wins): ``MATRIX_<BACKEND>_URL``,
else a testcontainers container of ``MATRIX_<BACKEND>_IMAGE`` (or the
default image) when Docker is reachable, else it is reported as not run.
``MATRIX_REQUIRE=sqlite,postgresql`` turns "not run" into a failure.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["matrix", "report"]

#: The matrix's axis: one session per backend, each with its own drivers.
DATABASES = ["sqlite", "postgresql", "mysql", "mariadb"]

PYPROJECT = nox.project.load_toml("pyproject.toml")
#: Where the report goes (results.json, report.md, report.html, per-backend files).
REPORT_DIR = Path(os.environ.get("MATRIX_REPORT_DIR", "report"))


@nox.session
@nox.parametrize("backend", [nox.param(name, tags=[name]) for name in DATABASES])
def matrix(session: nox.Session, backend: str) -> None:
    """Run every scenario on one backend: nox -s "matrix(backend='sqlite')" [-- PYTEST ARGS]."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "matrix", backend))
    results = REPORT_DIR / "results" / f"{backend}.json"
    session.run(
        "python",
        "-m",
        "pytest",
        "-p",
        "harness.plugin",
        "scenarios",
        f"--backend={backend}",
        f"--results={results}",
        f"--junitxml={REPORT_DIR / 'junit' / f'{backend}.xml'}",
        "-p",
        "no:cacheprovider",
        "-q",
        "-o",
        "addopts=",
        *session.posargs,
    )


@nox.session(venv_backend="none")
def report(session: nox.Session) -> None:
    """Merge the backends' results and write report/: nox -s report."""
    session.run(
        sys.executable,
        "-m",
        "harness.report",
        f"--results-dir={REPORT_DIR / 'results'}",
        f"--out={REPORT_DIR}",
        *session.posargs,
    )


@nox.session
def tests(session: nox.Session) -> None:
    """The project's own tests, against the same backends: nox -s tests [-- PYTEST ARGS]."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "tests"))
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff, mypy (strict), the workflow and compose file against their schemas: nox -s lint."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run(
        "check-jsonschema",
        "--builtin-schema",
        "vendor.github-workflows",
        ".github/workflows/matrix.yml",
    )
    session.run(
        "check-jsonschema", "--builtin-schema", "vendor.compose-spec", "docker/compose.yaml"
    )
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "noxfile.py")
    session.run("mypy")
