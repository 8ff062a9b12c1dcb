"""The pieces that name backends and scenarios agree with each other."""

from __future__ import annotations

import ast
import functools
import importlib
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


from typing import Any

import pytest

import scenarios
from sqla_matrix import drivers
from sqla_matrix.backends import BACKENDS
from sqla_matrix.expect import Facts
from sqla_matrix.nox import turned_off
from sqla_matrix.releases import INSTALLED
from sqla_matrix.scenario import ByBackend, When, expectation_for, scenarios_of
from tests.conftest import ROOT, all_scenarios, run_matrix


@functools.cache
def _noxfile_constants() -> dict[str, Any]:
    """noxfile.py's module-level constants (the matrix's axes, the release notes), as its
    own interpreter computes them from the catalogue: it runs in a process of its own
    (importing it registers nox sessions and sets the invocation's id)."""
    code = (
        "import json, runpy\n"
        "names = runpy.run_path('noxfile.py')\n"
        "print(json.dumps({k: v for k, v in names.items() if k.isupper() and "
        "isinstance(v, (str, list, dict, tuple))}, default=repr))"
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MATRIX_")}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    constants: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return constants


def _noxfile_constant(name: str) -> Any:
    """A module-level constant of noxfile.py."""
    constants = _noxfile_constants()
    assert name in constants, f"noxfile.py has no {name}"
    return constants[name]


def test_noxfile_axes_harness_and_extras_agree() -> None:
    """Each backend and each driver is an extra of the distribution (what its cells
    install: sqla-matrix[postgresql,psycopg]), and the noxfile's axes, taken from the
    catalogue, name them all."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = extras["optional-dependencies"]
    assert _noxfile_constant("DATABASES") == list(BACKENDS)
    assert _noxfile_constant("DRIVERS") == {name: drivers.for_backend(name) for name in BACKENDS}
    assert all(name in extras for name in BACKENDS)
    assert all(name in extras for name in drivers.PAIRS)


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_every_driver_of_a_backend_inherits_all_its_scenarios_and_expectations(
    backend: str,
) -> None:
    """A configuration through another driver or at another server version runs what
    the backend's default configuration runs and is held to the same documentation."""

    def share(driver: str) -> tuple[list[str], list[tuple[str, str]]]:
        pair = drivers.pair(backend, driver)
        facts = Facts(backend, None, (pair.sync.name, pair.asyncio.name), INSTALLED)
        ran = [s for s in all_scenarios() if s.applies_to(facts)]
        named = [s for s in ran if any(f"+{driver}" in spec for spec in s.backends or ())]
        documented = [
            (s.id, key)
            for s in ran
            for key, expectation in s.expect.items()
            if expectation_for(expectation, backend) is not None
        ]
        return [s.id for s in ran if s not in named], documented

    default = share(drivers.default(backend))
    assert default[0] and default[1]
    for driver in drivers.for_backend(backend):
        assert share(driver) == default, driver


def test_every_scenario_has_a_unique_id_and_every_expectation_a_source() -> None:
    ids: list[str] = []
    for info in pkgutil.iter_modules(scenarios.__path__):
        module = f"scenarios.{info.name}"
        importlib.import_module(module)
        for entry in scenarios_of(module):
            ids.append(entry.id)
            assert entry.title and entry.doc, entry.id
            for key, expectation in entry.expect.items():
                docs = (
                    list(expectation.docs.values())
                    if isinstance(expectation, ByBackend)
                    else [expectation]
                )
                cases = [e for d in docs for e in (d.cases if isinstance(d, When) else [(0, d)])]
                for _, doc in cases:
                    assert doc.source.startswith("https://"), (entry.id, key)
    assert len(ids) == len(set(ids))
    assert ids


def test_model_modules_import_each_other_only_under_type_checking() -> None:
    for path in sorted((ROOT / "models").glob("*.py")):
        if path.name in ("__init__.py", "base.py"):
            continue
        tree = ast.parse(path.read_text())
        guarded = {
            id(node)
            for block in tree.body
            if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
            for node in ast.walk(block)
        }
        for node in ast.walk(tree):
            module = node.module or "" if isinstance(node, ast.ImportFrom) else ""
            if module.startswith("models.") and module != "models.base":
                assert id(node) in guarded, f"{path.name} imports {module} at run time"


def test_every_documented_key_is_one_a_scenario_observes(tmp_path: Path) -> None:
    """A mistyped expectation key would be documented and never observed: on a SQLite
    run, each key documented for SQLite is observed, or its release lacks it."""
    run = run_matrix("sqlite", tmp_path)
    assert run.results is not None, run.output
    never = []
    for scenario_id, entry in run.results["scenarios"].items():
        for cell in entry["cells"].values():
            if cell["status"] not in ("pass", "mismatch"):
                continue
            seen = {*cell["observed"], *cell.get("unavailable", {})}
            never += [f"{scenario_id} · {key}" for key in cell["expected"] if key not in seen]
    assert never == []


def test_a_backend_turned_off_on_purpose_says_so_and_others_are_not_touched() -> None:
    """MATRIX_OFF=mysql (as .ci/run sets it when MySQL is off): its cells are not run,
    with that reason in the report; a version of it, or another backend, is untouched."""
    environ = {"MATRIX_OFF": "mysql, mariadb10.5"}
    assert (
        turned_off("mysql", "9.7", environ)
        == "turned off on purpose (MATRIX_OFF=mysql, mariadb10.5)"
    )
    assert turned_off("mariadb", "10.5", environ) is not None
    assert turned_off("mariadb", "11.8", environ) is None
    assert turned_off("postgresql", None, environ) is None
    assert turned_off("mysql", None, {}) is None


def test_a_cell_turned_off_on_purpose_writes_its_cells_from_a_fresh_environment(
    tmp_path: Path,
) -> None:
    """The path .ci/run takes with MATRIX_WITHOUT_MYSQL=1 on a new clone: the cell's
    environment is new, its driver is not installed, and its results say why."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATRIX_")}
    env.update(MATRIX_OFF="mysql", MATRIX_REPORT_DIR=str(tmp_path / "report"))
    command = [sys.executable, "-m", "nox", "--envdir", str(tmp_path / "envs")]
    done = subprocess.run(
        [*command, "-s", "matrix(sqla21-mysql-pymysql)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    results = tmp_path / "report" / "results" / "sqla21-mysql-pymysql.json"
    configuration = json.loads(results.read_text())["configurations"]["sqla21-mysql-pymysql"]
    assert (configuration["status"], configuration["reason"]) == (
        "not run",
        "turned off on purpose (MATRIX_OFF=mysql)",
    )


def test_the_tests_run_a_cell_as_nox_does_leaving_out_the_same_tags() -> None:
    from tests.conftest import LEFT_OUT

    tree = ast.parse((ROOT / "noxfile.py").read_text())
    (assigned,) = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "LEFT_OUT" for t in node.targets)
    ]
    assert ast.literal_eval(assigned) == LEFT_OUT
