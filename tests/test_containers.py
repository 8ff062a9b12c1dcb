"""The testcontainers path: a server backend started from an image, and removed.

These need a Docker engine; they are skipped without one, and need the images
``nox -s images`` builds (or the ones MATRIX_<BACKEND>_IMAGE names). They tell
a run's container by its appearing in ``docker ps``, so nothing else may start
or stop containers while they run (CI runs them after the matrix).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from sqla_matrix.backends.containers import docker_unavailable
from tests.conftest import finished_run, run_matrix, start_matrix

DOCKER = {"DOCKER_HOST": os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")}
pytestmark = pytest.mark.skipif(
    docker_unavailable() is not None, reason="no Docker engine is reachable"
)


#: Part of the one reason a container test may skip: its image is absent (any other "not
#: run", a container that would not start for instance, fails the test).
IMAGE_ABSENT = "present locally"


def _running() -> set[str]:
    out = subprocess.run(["docker", "ps", "-q"], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_an_image_that_is_absent_and_cannot_be_pulled_is_not_run_with_one_line(
    tmp_path: Path,
) -> None:
    image = "sqla-matrix/no-such-image:0"
    run = run_matrix("postgresql", tmp_path, {**DOCKER, "MATRIX_POSTGRESQL_IMAGE": image})
    assert run.returncode == 0, run.output
    assert run.results is not None
    backend = run.results["configurations"]["postgresql"]
    assert backend["status"] == "not run"
    assert backend["reason"] == f"image '{image}' is not present locally and could not be pulled"
    assert backend["remedy"] == (
        "set MATRIX_POSTGRESQL_IMAGE to an image that exists or MATRIX_POSTGRESQL_URL "
        "(nox -s images builds some versions here)"
    )


def test_a_backend_started_from_its_image_runs_every_scenario_and_is_removed(
    tmp_path: Path,
) -> None:
    image = os.environ.get("MATRIX_MARIADB_IMAGE", "sqla-matrix/mariadb:10.11")
    before = _running()
    run = run_matrix("mariadb", tmp_path, {**DOCKER, "MATRIX_MARIADB_IMAGE": image})
    assert run.returncode == 0, run.output
    assert run.results is not None
    backend = run.results["configurations"]["mariadb"]
    if backend["status"] == "not run" and IMAGE_ABSENT in backend["reason"]:
        pytest.skip(backend["reason"])  # the image was never built here (fails under CI)
    assert backend["status"] == "ran"
    assert backend["found_by"] == f"testcontainers ({image})"
    cells = [s["cells"]["mariadb"]["status"] for s in run.results["scenarios"].values()]
    assert "error" not in cells
    assert _running() == before


def test_a_column_at_a_server_version_starts_the_image_built_for_that_version(
    tmp_path: Path,
) -> None:
    run = run_matrix("postgresql", tmp_path, DOCKER, "--matrix-server=17", "-k", "one_to_many")
    assert run.returncode == 0, run.output
    assert run.results is not None
    configuration = run.results["configurations"]["postgresql"]
    if configuration["status"] == "not run" and IMAGE_ABSENT in configuration["reason"]:
        pytest.skip(configuration["reason"])  # neither the image built here nor postgres:17
    assert configuration["status"] == "ran", configuration["reason"]
    assert configuration["server_requested"] == "17"
    assert configuration["server_version"].startswith("17.")
    assert configuration["found_by"] in (
        "testcontainers (sqla-matrix/postgresql:17)",
        "testcontainers (postgres:17)",
    )


def _matrix_databases(container: str) -> list[str]:
    """The matrix's databases on the MariaDB server in ``container`` (none until it answers)."""
    query = """mariadb -uroot -p"$MYSQL_ROOT_PASSWORD" -N -e "SHOW DATABASES LIKE 'matrix_%'" """
    out = subprocess.run(
        ["docker", "exec", container, "sh", "-c", query], capture_output=True, text=True
    )
    return out.stdout.split() if out.returncode == 0 else []


@pytest.mark.parametrize("when", ["while the server comes up", "during the scenarios"])
def test_ctrl_c_removes_the_container(tmp_path: Path, when: str) -> None:
    image = os.environ.get("MATRIX_MARIADB_IMAGE", "sqla-matrix/mariadb:10.11")
    before = _running()
    results = tmp_path / "results.json"
    proc = start_matrix("mariadb", results, {**DOCKER, "MATRIX_MARIADB_IMAGE": image})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and not _running() - before:
        time.sleep(0.05)
    if when == "during the scenarios":  # once the run has made its database
        (container,) = _running() - before
        while (
            time.monotonic() < deadline and proc.poll() is None and not _matrix_databases(container)
        ):
            time.sleep(0.1)
        time.sleep(1)
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=120)
    run = finished_run(proc.returncode, output, results)
    if run.results and run.results["configurations"]["mariadb"]["reason"] == (
        f"image '{image}' is not present locally and could not be pulled"
    ):
        pytest.skip("the image was never built here")
    assert proc.returncode != 0, output
    assert _running() == before, output
    assert run.results is not None, output
    configuration = run.results["configurations"]["mariadb"]
    if when == "while the server comes up":
        assert (configuration["status"], configuration["reason"]) == (
            "not run",
            "interrupted while setting up",
        )
    else:
        assert configuration["status"] == "ran", output
