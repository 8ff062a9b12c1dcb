"""The CI workflow fans out exactly the configurations nox lists, each with its server at
the configuration's version; the compose file starts what the workflow's canary uses."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from sqla_matrix import fanout, results
from sqla_matrix.backends import BACKENDS
from tests.conftest import ROOT, run_matrix
from tests.test_layout import _noxfile_constant

WORKFLOW = ".github/workflows/matrix.yml"


def _load(path: str) -> dict[str, Any]:
    data = yaml.safe_load((ROOT / path).read_text())
    assert isinstance(data, dict)
    return data


def _nox_cells(*selection: str) -> list[str]:
    listed = subprocess.run(
        [sys.executable, "-m", "nox", "-l", "--json", *selection],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [s["session"] for s in json.loads(listed.stdout) if s["name"] == "matrix"]


def _planned(*selection: str) -> list[dict[str, str]]:
    planned = subprocess.run(
        [sys.executable, "-m", "sqla_matrix.fanout", "plan", *selection],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    jobs: list[dict[str, str]] = json.loads(planned.stdout)["include"]
    return jobs


def _cells_of_the_axes(selection: str) -> list[str]:
    """The configurations the axes' constants in noxfile.py call for, by the README's rules and
    not by the code that builds them: every combination (``matrix``), at most one axis
    off the defaults (``axes``), or none (``default``). (The release history runs in
    sessions of its own, one environment per release: never a configuration.)"""
    series = _noxfile_constant("SQLALCHEMY")
    default_series = _noxfile_constant("DEFAULT_SQLALCHEMY")
    drivers, servers = _noxfile_constant("DRIVERS"), _noxfile_constant("SERVERS")
    configurations = []
    for sqla, backend in itertools.product(series, _noxfile_constant("DATABASES")):
        for server, driver in itertools.product([None, *servers[backend]], drivers[backend]):
            off = [sqla != default_series, server is not None, driver != drivers[backend][0]]
            if (selection == "axes" and sum(off) > 1) or (selection == "default" and any(off)):
                continue
            configurations.append(f"{sqla}-{backend}{server or ''}-{driver}")
    return configurations


@pytest.mark.parametrize(
    ("selection", "count"), [(("-t", "axes"), 29), (("-s", "matrix"), 116), (("-t", "default"), 4)]
)
def test_the_workflow_plans_one_job_per_cell_the_axes_call_for(
    selection: tuple[str, ...], count: int
) -> None:
    """Checked against the axes' constants, not against the nox -l output the plan is
    built from; the counts are the README's (29 configurations for axes)."""
    planned = [job["configuration"] for job in _planned(*selection)]
    assert planned == _cells_of_the_axes(selection[1])
    assert len(planned) == count
    assert [f"matrix({cell})" for cell in planned] == _nox_cells(*selection)


def test_each_cell_job_runs_its_nox_session_against_its_own_service_container() -> None:
    jobs = _load(WORKFLOW)["jobs"]
    plan_step = next(step for step in jobs["plan"]["steps"] if step.get("id") == "plan")
    assert "python -m sqla_matrix.fanout plan $SELECTION" in plan_step["run"]
    assert "'-s matrix'" in plan_step["env"]["SELECTION"]  # the schedule: every configuration
    assert "'-t axes'" in plan_step["env"]["SELECTION"]  # a push: each axis once
    configuration = jobs["configuration"]
    assert configuration["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    assert configuration["strategy"]["fail-fast"] is False
    assert configuration["services"]["db"]["image"] == "${{ matrix.image }}"
    runs = [step.get("run", "") for step in configuration["steps"]]
    assert 'nox -s "${{ matrix.session }}"' in runs
    assert 'echo "${{ matrix.url_variable }}=${{ matrix.url }}" >> "$GITHUB_ENV"' in runs
    report_runs = " ".join(step.get("run", "") for step in jobs["report"]["steps"])
    assert (
        "python -m sqla_matrix.fanout report --plan plan.json --configurations configurations"
        in report_runs
    )
    assert set(jobs["report"]["needs"]) == {"plan", "configuration"}


def test_a_cell_at_a_server_version_gets_the_official_image_of_that_version() -> None:
    jobs = {job["configuration"]: job for job in _planned("-s", "matrix")}
    assert jobs["sqla21-postgresql15-psycopg"]["image"] == "postgres:15"
    assert jobs["sqla20-mariadb10.11-mysqldb"]["image"] == "mariadb:10.11"
    assert jobs["sqla21-mysql9.7-pymysql"]["image"] == "mysql:9.7"
    assert jobs["sqla21-postgresql-psycopg"]["image"] == "postgres:17"  # the default version
    assert jobs["sqla21-sqlite-pysqlite"]["image"] == ""  # no service container
    assert jobs["sqla21-postgresql15-psycopg"]["url_variable"] == "MATRIX_POSTGRESQL_15_URL"
    for job in jobs.values():
        backend = BACKENDS[job["backend"]]
        if job["image"]:
            assert job["url_variable"] == backend.variable("URL", job["server"] or None)
            assert job["url"].startswith(f"{backend.dialects[0]}://")


def test_combine_reports_a_cell_whose_job_left_no_results_as_a_failed_column(
    tmp_path: Path,
) -> None:
    ran = run_matrix(
        "sqlite",
        tmp_path,
        None,
        "--matrix-configuration=sqla21-sqlite-pysqlite",
        "-k",
        "one_to_one",
    )
    # As the report job downloads them: path "configurations", pattern "configuration-*".
    downloaded = tmp_path / "configurations" / "configuration-sqla21-sqlite-pysqlite" / "results"
    downloaded.mkdir(parents=True)
    (downloaded / "sqla21-sqlite-pysqlite.json").write_text(ran.results_text)
    planned = [job for job in _planned("-t", "default") if job["backend"] in ("sqlite", "mysql")]
    merged = fanout.combine(planned, tmp_path / "configurations")
    assert merged["configurations"]["sqla21-sqlite-pysqlite"]["status"] == "ran"
    lost = merged["configurations"]["sqla21-mysql-pymysql"]
    assert lost["status"] == "failed"
    assert lost["reason"].startswith("its job left no results file")
    assert set(lost) == set(results.CONFIGURATION_FIELDS)
    for entry in merged["scenarios"].values():
        assert entry["cells"]["sqla21-mysql-pymysql"]["status"] == "not run"


def test_compose_and_the_canary_run_the_same_images_on_the_same_ports() -> None:
    services = _load(WORKFLOW)["jobs"]["canary"]["services"]
    compose = _load("docker/compose.yaml")["services"]
    assert set(compose) == set(services) == {"postgresql", "mysql", "mariadb"}
    for name, service in services.items():
        assert compose[name]["image"] == service["image"], name
        ports = [p.removeprefix("127.0.0.1:") for p in compose[name]["ports"]]
        assert ports == service["ports"], name


def test_the_urls_in_the_compose_file_are_the_ones_the_canary_uses() -> None:
    env = _load(WORKFLOW)["jobs"]["canary"]["env"]
    header = (ROOT / "docker/compose.yaml").read_text()
    exported = dict(re.findall(r"export (MATRIX_\w+_URL)=(\S+)", header))
    assert exported == {k: v for k, v in env.items() if k.endswith("_URL")}


def test_a_password_that_is_a_word_of_the_output_still_leaves_a_readable_results_file(
    tmp_path: Path,
) -> None:
    """Every password is redacted wherever it appears. The service containers' password
    was "matrix", so each CI configuration wrote "sqla-***/results" as its schema and no report
    could read it. The schema marker is now kept, and CI's password is no word of ours."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from sqla_matrix import redact, results\n"
        "redact.register('matrix')\n"
        "document = results.empty()\n"
        "results.save(document, Path(sys.argv[1]))\n"
        "print(results.load(Path(sys.argv[1]))['schema'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "r.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == results.SCHEMA
    run = run_matrix("sqlite", tmp_path, None, "-k", "onupdate")
    assert run.results is not None
    assert fanout.SERVICE_PASSWORD not in run.results_text
