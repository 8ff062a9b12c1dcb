"""A backend is declared in one place, and another package adds one with an entry point.

The third-party backend here is a real distribution on the path: a ``.dist-info`` with
its ``entry_points.txt`` in the group ``sqla_matrix.backends``, and a module holding its
declaration and its implementation (SQLite under another name). A project's scenarios
then run on it by name, and a scenario that needs what it lacks reads "not supported".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqla_matrix import catalog, drivers
from sqla_matrix.backends import BACKENDS
from tests.conftest import NO_DOCKER, ROOT
from tests.test_plugin import _project

LITE = """
from sqla_matrix.backends.sqlite import SQLite
from sqla_matrix.catalog import SQLITE, Declaration

LITE = Declaration(
    "lite",
    "Lite",
    drivers=("pysqlite",),
    versions=(),
    capabilities=SQLITE.capabilities,
    implementation="lite_backend:BACKEND",
)


class Lite(SQLite):
    declaration = LITE


BACKEND = Lite()
"""

NEEDS_ROW_LOCKS = """
from sqla_matrix.requirements import ROW_LOCKS
from sqla_matrix.scenario import Context, scenario


@scenario("Locks a row", requires=(ROW_LOCKS,))
def locks_a_row(ctx: Context) -> dict[str, object]:
    return {"locked": True}
"""


def _package(site: Path, entry: str = "lite = lite_backend:LITE") -> Path:
    """The distribution ``lite-backend`` installed into the folder ``site``."""
    site.mkdir(exist_ok=True)
    (site / "lite_backend.py").write_text(LITE)
    info = site / "lite_backend-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lite-backend\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[sqla_matrix.backends]\n{entry}\n")
    return site


def _python(site: Path, *arguments: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """This interpreter with the package in ``site`` installed (on its path)."""
    env = {**os.environ, **NO_DOCKER, "PYTHONPATH": f"{ROOT}:{site}:{cwd}"}
    return subprocess.run(
        [sys.executable, *arguments], cwd=cwd, capture_output=True, text=True, env=env, timeout=120
    )


def _pytest(site: Path, project: Path, *options: str) -> subprocess.CompletedProcess[str]:
    plugin = ["-m", "pytest", "-p", "sqla_matrix.plugin", "-p", "no:cacheprovider"]
    return _python(site, *plugin, *options, cwd=project)


def test_the_built_in_backends_are_declared_once_and_their_modules_read_it() -> None:
    assert catalog.names() == ("sqlite", "postgresql", "mysql", "mariadb")
    for name, backend in BACKENDS.items():
        declared = catalog.get(name)
        assert backend.declaration is declared
        assert (backend.name, backend.versions) == (declared.name, declared.versions)
        assert backend.capabilities is declared.capabilities
        assert drivers.for_backend(name) == list(declared.drivers)


def test_a_package_adds_a_backend_through_its_entry_point(tmp_path: Path) -> None:
    site = _package(tmp_path / "site")
    listed = _python(site, "-c", "from sqla_matrix.backends import BACKENDS; print(list(BACKENDS))")
    assert listed.stdout.strip() == "['sqlite', 'postgresql', 'mysql', 'mariadb', 'lite']"

    (tmp_path / "project").mkdir()
    project = _project(tmp_path / "project", "checks")
    (project / "checks" / "locks.py").write_text(NEEDS_ROW_LOCKS)
    results = tmp_path / "results.json"
    ran = _pytest(site, project, "--matrix-backend=lite", f"--matrix-results={results}")
    document = json.loads(results.read_text())
    assert ran.returncode == 0, ran.stdout + ran.stderr
    (configuration,) = document["configurations"]
    assert document["configurations"][configuration]["backend"] == "lite"
    cells = {sid: s["cells"][configuration] for sid, s in document["scenarios"].items()}
    assert cells["arithmetic.one_plus_one"]["observed"] == {"sum": 2}
    assert cells["locks.locks_a_row"]["why_not_run"] == "not supported"
    assert cells["locks.locks_a_row"]["reason"].startswith("not supported: lite locks the whole")


def test_a_broken_entry_point_is_one_line_naming_it(tmp_path: Path) -> None:
    site = _package(tmp_path / "site", entry="lite = lite_backend:NOTHING")
    (tmp_path / "project").mkdir()
    project = _project(tmp_path / "project", "checks")
    broken = _pytest(site, project, "--matrix-backend=sqlite")
    assert broken.returncode != 0
    assert broken.stderr.strip() == (
        "ERROR: backend entry point 'lite' (lite_backend:NOTHING) does not load: "
        "AttributeError: module 'lite_backend' has no attribute 'NOTHING'"
    )
