"""The workflow's report job, `python -m sqla_matrix.fanout report`, run here on configuration
artifacts from a real local fan-out, with the plan.json the workflow's plan job writes.

Its exit code is the job's: 0 with failed configurations (those configurations' own jobs have failed
already), 1 for a behaviour change since the baseline under --fail-on-change (the
weekly schedule), 2 for a broken baseline; the report is appended to the job summary.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SQLITE = "sqla21-sqlite-pysqlite"


def _fanout(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "sqla_matrix.fanout", *arguments]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plan of the default configurations, as the plan job writes it, and the artifacts
    of the SQLite configuration's job, from a real fan-out; the other planned configurations
    left nothing."""
    folder = tmp_path_factory.mktemp("ci")
    planned = _fanout("plan", "-t", "default")
    assert planned.returncode == 0, planned.stderr
    (folder / "plan.json").write_text(planned.stdout)
    ran = _fanout("run", "--out", str(folder / "local"), "-t", SQLITE)
    written = folder / "local" / "configurations" / SQLITE / "results" / f"{SQLITE}.json"
    assert written.is_file(), ran.stdout + ran.stderr
    return folder


def _report(artifacts: Path, out: str, *options: str) -> subprocess.CompletedProcess[str]:
    plan, configurations = artifacts / "plan.json", artifacts / "local" / "configurations"
    arguments = ["report", "--plan", str(plan), "--configurations", str(configurations), "--out"]
    return _fanout(*arguments, str(artifacts / out), *options)


def test_the_first_run_reports_every_planned_cell_and_writes_the_job_summary(
    artifacts: Path,
) -> None:
    summary = artifacts / "summary.md"
    done = _report(artifacts, "first", "--summary", str(summary))
    assert done.returncode == 0, done.stdout + done.stderr
    configurations = json.loads((artifacts / "first" / "results.json").read_text())[
        "configurations"
    ]
    assert configurations[SQLITE]["status"] == "ran"
    failed = {
        name
        for name, configuration in configurations.items()
        if configuration["status"] == "failed"
    }
    assert failed == {
        "sqla21-postgresql-psycopg",
        "sqla21-mysql-pymysql",
        "sqla21-mariadb-pymysql",
    }
    assert "its job left no results file" in configurations["sqla21-mysql-pymysql"]["reason"]
    assert summary.read_text() == (artifacts / "first" / "report.md").read_text()
    assert "failed: 3" in done.stdout


def test_the_same_behaviour_as_the_baseline_passes_the_weekly_check(artifacts: Path) -> None:
    baseline = _report(artifacts, "base")
    assert baseline.returncode == 0
    done = _report(
        artifacts,
        "again",
        "--baseline",
        str(artifacts / "base" / "results.json"),
        "--fail-on-change",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "changes since" in done.stdout and ": none" in done.stdout


def test_a_behaviour_change_fails_the_weekly_check_and_is_in_the_diff(artifacts: Path) -> None:
    assert _report(artifacts, "old").returncode == 0
    document = json.loads((artifacts / "old" / "results.json").read_text())
    cell = document["scenarios"]["loading.n_plus_one"]["cells"][SQLITE]
    key = next(iter(cell["observed"]))
    cell["observed"][key] = "a value from an older release"
    changed = artifacts / "changed.json"
    changed.write_text(json.dumps(document))
    weekly = _report(artifacts, "weekly", "--baseline", str(changed), "--fail-on-change")
    assert weekly.returncode == 1, weekly.stdout + weekly.stderr
    assert "loading.n_plus_one" in (artifacts / "weekly" / "diff.txt").read_text()
    push = _report(artifacts, "push", "--baseline", str(changed))
    assert push.returncode == 0  # a push or pull request shows the change, and passes


def test_a_broken_baseline_is_one_line_and_exit_2(artifacts: Path) -> None:
    broken = artifacts / "broken.json"
    broken.write_text("{not json")
    done = _report(artifacts, "broken", "--baseline", str(broken))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("fanout: ")
