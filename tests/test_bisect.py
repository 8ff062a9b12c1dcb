"""Bisecting SQLAlchemy releases: the search itself, the release list from PyPI, and
``nox -s bisect`` end to end on real releases."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sqla_matrix.bisect import BisectError, first_change, releases
from tests.conftest import ROOT

VERSIONS = [f"2.0.{n}" for n in range(30, 50)]


def test_bisection_finds_the_first_release_with_the_new_value_in_few_steps() -> None:
    asked: list[str] = []

    def observe(version: str) -> str:
        asked.append(version)
        return "stale" if int(version.rsplit(".", 1)[1]) < 36 else "expired"

    found = first_change(VERSIONS, observe)
    assert found is not None
    assert (found.before, found.first) == ("2.0.35", "2.0.36")
    assert (found.before_value, found.first_value) == ("stale", "expired")
    assert found.steps == len(asked) <= 2 + 5  # both ends, then log2(20) rounded up


def test_the_same_value_at_both_ends_is_no_change() -> None:
    assert first_change(VERSIONS, lambda version: 1) is None


def test_the_release_list_comes_from_pypi_oldest_first_without_pre_releases() -> None:
    found = releases("2.0.34", "2.0.36")
    assert found == ["2.0.34", "2.0.35", "2.0.36"]


def test_a_release_that_does_not_exist_is_one_line() -> None:
    with pytest.raises(BisectError, match=r"^SQLAlchemy 2\.0\.999 is not a release on PyPI"):
        releases("2.0.30", "2.0.999")


def test_nox_bisect_installs_real_releases_and_lands_on_the_known_change() -> None:
    """End to end, as the README shows it: ``nox -s bisect`` installs SQLAlchemy 2.0.33
    to 2.0.37 from the index one at a time, runs the scenario on SQLite at each, and
    names 2.0.36, whose changelog says onupdate columns are refreshed after an ORM
    UPDATE with WHERE (#11917)."""
    key = "object in the session after ORM update(Model).where()"
    command = [sys.executable, "-m", "nox", "-s", "bisect", "--"]
    command += ["onupdate.onupdate_sql_function", key, "--from", "2.0.33", "--to", "2.0.37"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    output = done.stdout + done.stderr
    assert "bisect: 5 releases from 2.0.33 to 2.0.37" in output
    assert "bisect: first changed in SQLAlchemy 2.0.36" in output
    assert '2.0.35: "stale (the value before the UPDATE)"' in output
    assert '2.0.36: "expired (reloaded on access)"' in output


def test_nox_bisect_names_an_unknown_scenario_in_one_line() -> None:
    command = [sys.executable, "-m", "nox", "-s", "bisect", "--", "onupdate.no_such_scenario"]
    command += ["--from", "2.0.35", "--to", "2.0.36"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode != 0
    assert (
        "bisect: no scenario 'onupdate.no_such_scenario' on SQLAlchemy 2.0.35: give its id "
        "as in results.json" in done.stdout + done.stderr
    )
