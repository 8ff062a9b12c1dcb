"""Sessions of the SQLAlchemy behaviour matrix.

    nox                                        # every scenario on every backend, then the report
    nox -s "matrix(backend='postgresql')"      # one backend
    nox -t postgresql                          # the same, by tag
    nox -s "matrix(backend='sqlite')" -- -k one_to_one   # pytest arguments after --
    nox -s curves                              # the loading cost curves (about 1 min per backend)
    nox -s images                              # build the server images from Debian packages
    nox -s containers                          # the server backends through testcontainers
    nox -s tests                               # the project's own tests
    nox -s lint                                # ruff, mypy, the CI files' schemas

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


def _scenarios(
    session: nox.Session, backend: str, part: str, marks: str, out: Path = REPORT_DIR
) -> None:
    """Run the scenarios selected by ``marks`` on ``backend`` (out/results/<backend><part>.json)."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "matrix", backend))
    pytest_args = [
        *("-p", "harness.plugin", "scenarios", f"--backend={backend}"),
        f"--results={out / 'results' / f'{backend}{part}.json'}",
        f"--junitxml={out / 'junit' / f'{backend}{part}.xml'}",
        *("-m", marks, "-p", "no:cacheprovider", "-q", "-o", "addopts="),
    ]
    session.run("python", "-m", "pytest", *pytest_args, *session.posargs)


@nox.session
@nox.parametrize("backend", [nox.param(name, tags=[name]) for name in DATABASES])
def matrix(session: nox.Session, backend: str) -> None:
    """Every scenario but the cost curves on one backend: nox -s "matrix(backend='sqlite')"."""
    _scenarios(session, backend, "", "not cost")


@nox.session
@nox.parametrize("backend", [nox.param(name, tags=[f"{name}-curves"]) for name in DATABASES])
def curves(session: nox.Session, backend: str) -> None:
    """The loading cost curves, then the report: nox -s curves (about a minute per backend)."""
    _scenarios(session, backend, "-cost", "cost")
    session.notify("report")


#: The images ``nox -s images`` builds, used by ``containers`` unless MATRIX_<BACKEND>_IMAGE says.
LOCAL_IMAGES = {
    "postgresql": "sqla-matrix/postgresql:bookworm",
    "mysql": "sqla-matrix/mysql:sid",
    "mariadb": "sqla-matrix/mariadb:bookworm",
}
CONTAINERS_DIR = REPORT_DIR / "containers"


@nox.session(venv_backend="none")
def images(session: nox.Session) -> None:
    """Build the server images from Debian packages (needs Docker): nox -s images [-- NAME...]."""
    session.run("bash", "docker/build-images.sh", *session.posargs, external=True)


@nox.session
@nox.parametrize("backend", [nox.param(name, tags=["containers"]) for name in LOCAL_IMAGES])
def containers(session: nox.Session, backend: str) -> None:
    """A server backend through testcontainers (its URL variable ignored), then the
    report in report/containers/: nox -s containers."""
    image_variable = f"MATRIX_{backend.upper()}_IMAGE"
    session.env[f"MATRIX_{backend.upper()}_URL"] = ""
    session.env[image_variable] = os.environ.get(image_variable) or LOCAL_IMAGES[backend]
    _scenarios(session, backend, "", "not cost", CONTAINERS_DIR)
    report_args = [f"--results-dir={CONTAINERS_DIR / 'results'}", f"--out={CONTAINERS_DIR}"]
    session.notify("report", report_args)


@nox.session(venv_backend="none")
def report(session: nox.Session) -> None:
    """Merge the backends' results and write report/: nox -s report [-- --baseline OLD.json]."""
    results_dir, out = REPORT_DIR / "results", REPORT_DIR
    # Arguments after -- come last and win (``containers`` points it at its own folder).
    report_args = [f"--results-dir={results_dir}", f"--out={out}", *session.posargs]
    session.run(sys.executable, "-m", "harness.report", *report_args)


@nox.session
def tests(session: nox.Session) -> None:
    """The project's own tests, against the same backends: nox -s tests [-- PYTEST ARGS]."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "tests"))
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff, mypy (strict), the workflow and compose file against their schemas: nox -s lint."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "noxfile.py")
    session.run("mypy")
    for schema, path in (
        ("vendor.github-workflows", ".github/workflows/matrix.yml"),
        ("vendor.compose-spec", "docker/compose.yaml"),
    ):
        session.run("check-jsonschema", "--builtin-schema", schema, path)
