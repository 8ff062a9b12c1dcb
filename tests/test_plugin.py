"""The plugin knows nothing of this repository: a project names its own scenario packages
(``matrix_scenarios``), its ids are relative to them, and without ``--matrix-backend``
the plugin imports nothing of the harness."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import NO_DOCKER, ROOT

ARITHMETIC = '''
from sqla_matrix.scenario import Context, Doc, scenario


@scenario("One plus one", tags=("cost",), expect={"sum": Doc(2, "https://example.org/sum")})
def one_plus_one(ctx: Context) -> dict[str, object]:
    """Tagged cost, which means nothing to the harness."""
    with ctx.engine.connect() as conn:
        return {"sum": conn.exec_driver_sql("SELECT 1 + 1").scalar_one()}
'''

MODULES = """
import sys


def test_what_is_imported():
    print("imported:", sorted(m for m in sys.modules if m.split(".")[0] in {MODULES}))
"""


def _project(tmp_path: Path, *roots: str, ini: str | None = None) -> Path:
    """A project with a package of scenarios (module ``arithmetic``) per root."""
    for root in roots:
        (tmp_path / root).mkdir()
        (tmp_path / root / "__init__.py").write_text("")
        (tmp_path / root / "arithmetic.py").write_text(ARITHMETIC)
    listed = ", ".join(f'"{root}"' for root in roots)
    setting = f"matrix_scenarios = [{listed}]\n" if ini is None else ini
    (tmp_path / "pyproject.toml").write_text(f"[tool.pytest.ini_options]\n{setting}")
    return tmp_path


def _pytest(project: Path, *options: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **NO_DOCKER, "PYTHONPATH": f"{ROOT}:{project}"}
    command = [sys.executable, "-m", "pytest", "-p", "sqla_matrix.plugin", "-p", "no:cacheprovider"]
    return subprocess.run(
        [*command, *options], cwd=project, capture_output=True, text=True, env=env, timeout=120
    )


def test_ids_are_relative_to_the_projects_scenario_root_and_no_tag_is_left_out(
    tmp_path: Path,
) -> None:
    project = _project(tmp_path, "shop_checks")
    results = tmp_path / "results.json"
    ran = _pytest(project, "--matrix-backend=sqlite", f"--matrix-results={results}")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    document = json.loads(results.read_text())
    assert list(document["scenarios"]) == ["arithmetic.one_plus_one"]
    assert document["scenarios"]["arithmetic.one_plus_one"]["topic"] == "arithmetic"


def test_without_matrix_scenarios_a_run_says_to_set_it_in_one_line(tmp_path: Path) -> None:
    project = _project(tmp_path, ini="")
    ran = _pytest(project, "--matrix-backend=sqlite")
    assert ran.returncode == 4  # a usage error
    assert "matrix_scenarios is not set: name the folders or packages of your scenarios" in (
        ran.stderr
    )
    assert "Traceback" not in ran.stdout + ran.stderr


def test_an_unknown_scenario_id_is_answered_with_one_of_the_projects_own(tmp_path: Path) -> None:
    project = _project(tmp_path, "shop_checks")
    ran = _pytest(project, "--matrix-backend=sqlite", "--matrix-scenario=nope.nothing")
    assert ran.returncode == 4
    assert (
        "--matrix-scenario nope.nothing: no such scenario; give its id as in results.json "
        "(MODULE.FUNCTION under matrix_scenarios), e.g. arithmetic.one_plus_one"
    ) in ran.stderr


def test_two_roots_with_the_same_id_are_refused_in_one_line(tmp_path: Path) -> None:
    project = _project(tmp_path, "shop_checks", "billing_checks")
    ran = _pytest(project, "--matrix-backend=sqlite", "--co")
    assert ran.returncode == 4
    assert "two scenarios have the id arithmetic.one_plus_one: " in ran.stderr
    assert "Traceback" not in ran.stdout + ran.stderr


def test_without_matrix_backend_the_plugin_imports_neither_the_harness_nor_sqlalchemy(
    tmp_path: Path,
) -> None:
    """Every pytest run of a project with the wheel installed loads the plugin: inert, it
    costs an import of two small modules (SQLAlchemy and the harness took 0.5-1.4 s)."""
    (tmp_path / "test_modules.py").write_text(
        MODULES.replace("{MODULES}", '{"sqla_matrix", "sqlalchemy"}')
    )
    ran = _pytest(tmp_path, "-q", "-s")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "imported: ['sqla_matrix', 'sqla_matrix.plugin']" in ran.stdout
