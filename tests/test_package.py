"""sqla-matrix as a team installs it: the wheel built from this repository, in a fresh
environment, pointed at a team's own models and scenarios by two ini keys."""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT

TEAM_MODELS = """
from datetime import datetime

from sqlalchemy import DateTime, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    placed_at: Mapped[datetime | None] = mapped_column(DateTime, server_default=func.now())
"""

TEAM_SCENARIO = '''
from sqlalchemy import select

from sqla_matrix.scenario import Context, Doc, scenario
from team_models import Order

DEFAULTS = "https://docs.sqlalchemy.org/en/20/core/defaults.html"


@scenario("An order gets the server's time", expect={"placed_at set": Doc(True, DEFAULTS)})
def placed(ctx: Context) -> dict[str, object]:
    """The team's own model, in the team's own namespace."""
    session = ctx.session()
    session.add(Order(id=1))
    session.commit()
    return {"placed_at set": session.scalars(select(Order.placed_at)).one() is not None}
'''

MISSPELT = '''
from sqla_matrix.scenario import ByBackend, Context, Doc, scenario


@scenario("misspelt", expect={"x": ByBackend(postgres=Doc(1, "https://example.org/"))})
def misspelt(ctx: Context) -> dict[str, object]:
    """Never runs: the backend name is refused when the module is imported."""
    return {"x": 1}
'''


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A team's project and an environment holding only the wheel and what it needs."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv builds the wheel and the environment here (pip install uv)")
    root = tmp_path_factory.mktemp("team")
    built = _run([uv, "build", "--wheel", "--out-dir", str(root / "dist"), str(ROOT)], ROOT)
    assert built.returncode == 0, built.stderr
    (wheel,) = (root / "dist").glob("sqla_matrix-*.whl")
    venv = root / "venv"
    assert _run([uv, "venv", "-q", str(venv)], root).returncode == 0
    python = venv / "bin" / "python"
    installed = _run([uv, "pip", "install", "-q", "--python", str(python), str(wheel)], root)
    assert installed.returncode == 0, installed.stderr
    project = root / "project"
    (project / "team_checks").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        textwrap.dedent("""
        [tool.pytest.ini_options]
        pythonpath = ["."]
        matrix_scenarios = ["team_checks"]
        matrix_metadata = "team_models:Base"
        """)
    )
    (project / "team_models.py").write_text(TEAM_MODELS)
    (project / "team_checks" / "__init__.py").write_text("")
    (project / "team_checks" / "orders.py").write_text(TEAM_SCENARIO)
    return project, python


def test_the_wheel_holds_the_harness_alone(team: tuple[Path, Path]) -> None:
    project, python = team
    found = _run([str(python), "-c", "import sqla_matrix, models"], project)
    assert "No module named 'models'" in found.stderr  # this repository's content stays out


def test_a_team_runs_its_own_models_and_scenarios_through_the_entry_point(
    team: tuple[Path, Path],
) -> None:
    project, python = team
    out = project / "report" / "results.json"
    command = [str(python), "-m", "pytest", "--matrix-backend=sqlite", f"--matrix-results={out}"]
    ran = _run([*command, "-p", "no:cacheprovider", "-q"], project)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    document = json.loads(out.read_text())
    cell = document["scenarios"]["team_checks.orders.placed"]["cells"]
    assert [c["status"] for c in cell.values()] == ["pass"]
    assert [c["observed"] for c in cell.values()] == [{"placed_at set": True}]


def test_without_matrix_options_the_plugin_stays_out_of_a_team_test_run(
    team: tuple[Path, Path],
) -> None:
    project, python = team
    (project / "test_plain.py").write_text("def test_plain():\n    assert True\n")
    try:
        ran = _run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], project)
    finally:
        (project / "test_plain.py").unlink()
    assert ran.returncode == 0, ran.stdout
    assert "1 passed" in ran.stdout


def test_a_misspelt_backend_in_a_team_scenario_fails_collection_in_one_line(
    team: tuple[Path, Path],
) -> None:
    project, python = team
    (project / "team_checks" / "misspelt.py").write_text(MISSPELT)
    try:
        ran = _run([str(python), "-m", "pytest", "--matrix-backend=sqlite", "-q"], project)
    finally:
        (project / "team_checks" / "misspelt.py").unlink()
    assert ran.returncode != 0
    assert "ByBackend(postgres=...): no such backend; known: sqlite, postgresql" in ran.stdout
