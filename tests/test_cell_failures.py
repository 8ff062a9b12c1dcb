"""What nox says when a cell cannot do its work: each failure is a configuration that says why,
in one line, and a cell known not to run builds nothing to say so.

The cells here are this repository's (``nox -s matrix(CELL)`` from its root), pointed at a
scenario package written by the test (``-o matrix_scenarios=PACKAGE``, on PYTHONPATH).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import NO_DOCKER, ROOT, valid

CELL = "sqla21-sqlite-pysqlite"

DIES = '''
import os
import signal

from sqla_matrix.scenario import Context, scenario


@scenario("dies")
def dies(ctx: Context) -> dict[str, object]:
    """Its process dies of SIGSEGV, as a driver's C code or the collector can."""
    os.kill(os.getpid(), signal.SIGSEGV)
    return {}
'''

FINE = '''
from sqla_matrix.scenario import Context, scenario


@scenario("fine")
def fine(ctx: Context) -> dict[str, object]:
    """Observes one value."""
    return {"x": 1}
'''

MISSPELT = '''
from sqla_matrix.scenario import Context, scenario


@scenario("misspelt", backends=["postgress"])
def misspelt(ctx: Context) -> dict[str, object]:
    """Never runs: the backend name is refused when the module is imported."""
    return {"x": 1}
'''


def _package(root: Path, name: str, modules: dict[str, str]) -> None:
    (root / name).mkdir(parents=True)
    (root / name / "__init__.py").write_text("")
    for module, text in modules.items():
        (root / name / f"{module}.py").write_text(text)


def _environ(tmp_path: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATRIX_")}
    env.update(NO_DOCKER, MATRIX_REPORT_DIR=str(tmp_path / "report"), **more)
    return env


def _nox(tmp_path: Path, *args: str, **env: str) -> tuple[subprocess.CompletedProcess[str], str]:
    done = subprocess.run(
        [sys.executable, "-m", "nox", *args],
        cwd=ROOT,
        env=_environ(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done, done.stdout + done.stderr


def _configuration(tmp_path: Path, cell: str = CELL) -> tuple[dict[str, Any], dict[str, Any]]:
    document = valid(json.loads((tmp_path / "report" / "results" / f"{cell}.json").read_text()))
    return document["configurations"][cell], document["scenarios"]


def test_a_cell_whose_pytest_dies_is_a_failed_column_naming_the_signal(tmp_path: Path) -> None:
    """Item 6: the pytest of a cell killed by SIGSEGV writes no results file; nox writes
    the configuration itself, failed, with the signal, and the report shows it."""
    _package(tmp_path, "dying", {"dies": DIES})
    session = f"matrix({CELL})"
    done, output = _nox(
        tmp_path, "-s", session, "--", "-o", "matrix_scenarios=dying", PYTHONPATH=str(tmp_path)
    )
    assert done.returncode != 0, output
    configuration, _ = _configuration(tmp_path)
    assert configuration["status"] == "failed"
    assert configuration["reason"].startswith("its pytest process died of SIGSEGV"), configuration
    assert f"{CELL}: its pytest process died of SIGSEGV" in output

    report, output = _nox(tmp_path, "-s", "report")
    assert report.returncode == 0, output
    assert f"{CELL} failed   its pytest process died of SIGSEGV" in output


def test_a_collection_error_fails_the_column_with_the_error_line(tmp_path: Path) -> None:
    """Item 10: a scenario module naming a backend that does not exist cannot be
    imported; its configuration is failed with that line, not "ran" with its scenarios not run."""
    _package(tmp_path, "typo", {"fine": FINE, "misspelt": MISSPELT})
    session = f"matrix({CELL})"
    done, output = _nox(
        tmp_path, "-s", session, "--", "-o", "matrix_scenarios=typo", PYTHONPATH=str(tmp_path)
    )
    assert done.returncode != 0, output
    configuration, scenarios = _configuration(tmp_path)
    assert configuration["status"] == "failed"
    assert "collection error in" in configuration["reason"]
    assert "unknown backend 'postgress'; known: sqlite, postgresql" in configuration["reason"]
    assert scenarios["fine.fine"]["cells"][CELL]["status"] == "not run"


def test_a_misspelt_backend_in_matrix_is_one_line(tmp_path: Path) -> None:
    """Item 10: the same typo in a noxfile's Matrix(...) is one line, not nox's traceback."""
    noxfile = tmp_path / "noxfile.py"
    noxfile.write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
        "from sqla_matrix.nox import Matrix\n"
        'Matrix(["sqlite", "postgress"]).sessions()\n'
    )
    done, output = _nox(tmp_path, "-f", str(noxfile), "-l")
    assert done.returncode != 0
    assert output.strip().splitlines() == [
        "nox: Matrix(...): unknown backend 'postgress': "
        "choose one of sqlite, postgresql, mysql, mariadb"
    ]


def test_a_harness_path_that_names_nothing_is_one_line(tmp_path: Path) -> None:
    """Item 9: MATRIX_HARNESS naming a wheel that is not there says so, in one line."""
    noxfile = tmp_path / "noxfile.py"
    noxfile.write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
        "from sqla_matrix.nox import Matrix\n"
        'Matrix(["sqlite"]).sessions()\n'
    )
    wheel = tmp_path / "gone" / "sqla_matrix-0.1-py3-none-any.whl"
    done, output = _nox(tmp_path, "-f", str(noxfile), "-l", MATRIX_HARNESS=str(wheel))
    assert done.returncode != 0
    assert output.strip().splitlines() == [
        f"nox: the harness {str(wheel)!r} cannot be found: MATRIX_HARNESS (or "
        "Matrix(harness=...)) names a wheel, a checkout or a requirement such as "
        "sqla-matrix==0.1"
    ]


def test_a_cell_turned_off_installs_nothing_and_says_so(tmp_path: Path) -> None:
    """Item 17: MATRIX_OFF is known before anything is installed: the nox process writes
    the configuration, not run, and the cell's environment stays empty (no SQLAlchemy, no
    harness: it was about 111 MB when the whole stack was built to say "not run")."""
    cell = "sqla21-mariadb-pymysql"
    envs = tmp_path / "envs"
    done, output = _nox(
        tmp_path, "--envdir", str(envs), "-s", f"matrix({cell})", MATRIX_OFF="mariadb"
    )
    assert done.returncode == 0, output
    configuration, scenarios = _configuration(tmp_path, cell)
    assert (configuration["status"], configuration["reason"]) == (
        "not run",
        "turned off on purpose (MATRIX_OFF=mariadb)",
    )
    assert scenarios == {}  # the report shows each scenario as not run in this configuration
    installed = [p.name for p in envs.rglob("site-packages/*")]
    assert not [name for name in installed if name.lower().startswith(("sqlalchemy", "pytest"))]


def test_a_cell_without_a_server_installs_nothing_and_says_why(tmp_path: Path) -> None:
    """Item 17: no URL and no Docker engine (and no embedded server for MySQL) is known
    before anything is installed: the configuration says so with the reason and remedy the
    cell's own run gives (tests/test_bad_input.py), and nothing is installed."""
    cell = "sqla21-mysql-pymysql"
    envs = tmp_path / "envs"
    done, output = _nox(tmp_path, "--envdir", str(envs), "-s", f"matrix({cell})")
    assert done.returncode == 0, output
    configuration, scenarios = _configuration(tmp_path, cell)
    assert (configuration["status"], configuration["reason"]) == (
        "not run",
        "MATRIX_MYSQL_URL is not set and no Docker engine is reachable",
    )
    assert configuration["remedy"] == (
        "set MATRIX_MYSQL_URL=mysql+pymysql://user:password@host:port/database or start Docker"
    )
    assert scenarios == {}
    installed = [p.name for p in envs.rglob("site-packages/*")]
    assert not [name for name in installed if name.lower().startswith(("sqlalchemy", "pytest"))]


def test_a_required_cell_turned_off_fails(tmp_path: Path) -> None:
    """MATRIX_REQUIRE still turns that "not run" into a failure, as a cell's own run does."""
    cell = "sqla21-mariadb-pymysql"
    done, output = _nox(
        tmp_path,
        "--envdir",
        str(tmp_path / "envs"),
        "-s",
        f"matrix({cell})",
        MATRIX_OFF="mariadb",
        MATRIX_REQUIRE="mariadb",
    )
    assert done.returncode != 0, output
    configuration, _ = _configuration(tmp_path, cell)
    assert configuration["status"] == "failed"
    assert configuration["reason"] == (
        "required by MATRIX_REQUIRE but not available: turned off on purpose (MATRIX_OFF=mariadb)"
    )


def test_compare_with_results_elsewhere_writes_into_the_report_folder(tmp_path: Path) -> None:
    """Item 19: nox -s compare -- ... --results PATH writes report/compare.md (as the
    README says), not compare.md beside PATH."""
    _package(tmp_path, "one", {"fine": FINE})
    done, output = _nox(
        tmp_path, "-s", f"matrix({CELL})", "--", "-o", "matrix_scenarios=one",
        PYTHONPATH=str(tmp_path),
    )  # fmt: skip
    assert done.returncode == 0, output
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "results.json").write_text(
        (tmp_path / "report" / "results" / f"{CELL}.json").read_text()
    )
    args = ["-s", "compare", "--", CELL, CELL, f"--results={elsewhere / 'results.json'}"]
    done, output = _nox(tmp_path, *args)
    assert done.returncode == 0, output
    assert (tmp_path / "report" / "compare.md").is_file()
    assert not (elsewhere / "compare.md").exists()
