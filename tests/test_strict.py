"""--matrix-strict: a value that differs from its documented expectation fails the run.

Without it, a mismatch is recorded (the report marks it ❌) and the run passes: the
matrix records what backends do. With it, the scenario's item fails in one line
naming the key, the observed value and the documented one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import NO_DOCKER, ROOT

MISDOCUMENTED = '''
from sqla_matrix.scenario import Context, Doc, scenario


@scenario("One plus one", expect={"sum": Doc(3, "https://example.org/arithmetic")})
def one_plus_one(ctx: Context) -> dict[str, object]:
    """Documented as 3, observed as 2."""
    with ctx.engine.connect() as conn:
        return {"sum": conn.exec_driver_sql("SELECT 1 + 1").scalar_one()}
'''


def _run(
    tmp_path: Path, *options: str, scenarios: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    (tmp_path / "checks").mkdir(exist_ok=True)
    (tmp_path / "checks" / "__init__.py").write_text("")
    for name, text in (scenarios or {"arithmetic.py": MISDOCUMENTED}).items():
        (tmp_path / "checks" / name).write_text(text)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\nmatrix_scenarios = ["checks"]\n'
    )
    results = tmp_path / "results.json"
    env = {**os.environ, **NO_DOCKER, "PYTHONPATH": f"{ROOT}:{tmp_path}"}
    command = [sys.executable, "-m", "pytest", "-p", "sqla_matrix.plugin", "-p", "no:cacheprovider"]
    command += ["--matrix-backend=sqlite", f"--matrix-results={results}", *options]
    ran = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, env=env)
    return ran, json.loads(results.read_text())


@pytest.mark.parametrize("strict", [False, True])
def test_a_mismatch_is_recorded_and_fails_the_run_only_in_strict_mode(
    tmp_path: Path, strict: bool
) -> None:
    ran, document = _run(tmp_path, *(["--matrix-strict"] if strict else []))
    cell = document["scenarios"]["arithmetic.one_plus_one"]["cells"]
    (only,) = cell.values()
    assert only["status"] == "mismatch"
    assert only["mismatches"] == ["sum"]
    assert "matrix: mismatch in arithmetic.one_plus_one: sum: observed 2, documented 3" in (
        ran.stdout
    )
    if strict:
        assert ran.returncode == 1, ran.stdout
        assert "1 failed" in ran.stdout
    else:
        assert ran.returncode == 0, ran.stdout
        assert "1 passed" in ran.stdout


MISSPELT = '''
from sqla_matrix.scenario import Context, Doc, scenario


@scenario("One", expect={"valeu": Doc(1, "https://example.org/one")})
def one(ctx: Context) -> dict[str, object]:
    """Documented under a misspelt key: the documented key is never observed."""
    return {"value": 1}
'''


@pytest.mark.parametrize("strict", [False, True])
def test_a_documented_key_the_scenario_never_returns_is_a_mismatch_not_a_pass(
    tmp_path: Path, strict: bool
) -> None:
    ran, document = _run(
        tmp_path, *(["--matrix-strict"] if strict else []), scenarios={"misspelt.py": MISSPELT}
    )
    (only,) = document["scenarios"]["misspelt.one"]["cells"].values()
    assert only["status"] == "mismatch"
    assert only["marks"] == {"valeu": "never observed"}
    assert only["observed"] == {"value": 1}
    assert "valeu: documented 1, never observed (no such key returned)" in ran.stdout
    assert ran.returncode == (1 if strict else 0), ran.stdout
