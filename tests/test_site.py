"""The weekly site: the report, and every week's results kept from the published site."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sqla_matrix import results
from sqla_matrix.report.build import write
from sqla_matrix.site import build
from tests.conftest import ROOT, run_matrix


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real report folder (report.html, report.md, results.json) of one SQLite cell."""
    folder = tmp_path_factory.mktemp("report")
    run = run_matrix("sqlite", folder, None, "-k", "one_to_many")
    assert run.returncode == 0, run.output
    assert run.results is not None
    write(run.results, folder)
    return folder


def test_the_site_keeps_each_week_the_published_site_held(report: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    build(report, first, "2026-11-30", None)
    lines = build(report, second, "2026-12-07", first.as_uri())  # the published site, as a URL
    assert lines == ["site: 2 week(s) in " + str(second)]
    history = json.loads((second / "history.json").read_text())
    assert [week["date"] for week in history] == ["2026-12-07", "2026-11-30"]
    for week in history:
        results.load(second / "history" / week["date"] / "results.json")
    assert (second / "report.html").read_text() == (report / "report.html").read_text()
    assert (second / "b").is_dir()  # the answers' pages (tests/test_site_pages.py)
    assert 'href="history/2026-11-30/results.json"' in (second / "history.html").read_text()


def test_a_week_the_published_site_lost_is_named_not_dropped_silently(
    report: Path, tmp_path: Path
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    build(report, first, "2026-11-30", None)
    (first / "history" / "2026-11-30" / "results.json").unlink()
    lines = build(report, second, "2026-12-07", first.as_uri())
    assert lines[0] == f"site: 1 week(s) in {second}"
    assert "2026-11-30" in lines[1] and "could not be fetched" in lines[1]
    assert "could not be fetched" in (second / "history.html").read_text()


def test_without_a_report_the_site_command_says_what_to_do(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "sqla_matrix.site", f"--report={tmp_path}"]
    command.append(f"--out={tmp_path}/s")
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == f"site: {tmp_path}: no report.html; build the report first (nox -s report)"
    )
