"""Bisecting releases of SQLAlchemy or of any package (a driver, Alembic): the search
itself, the release list from PyPI, and ``nox -s bisect`` end to end on real releases."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sqla_matrix.bisect import BisectError, first_change, main, releases, requirement
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


def test_any_package_has_its_own_release_list() -> None:
    assert releases("1.13.0", "1.13.2", package="alembic") == ["1.13.0", "1.13.1", "1.13.2"]
    with pytest.raises(BisectError, match=r"^alembic 1\.13\.99 is not a release on PyPI"):
        releases("1.13.0", "1.13.99", package="alembic")


def test_a_package_is_installed_with_its_extras_and_sqlalchemy_with_asyncio() -> None:
    assert requirement("psycopg[binary]").extras == {"binary"}
    assert requirement("SQLAlchemy").extras == {"asyncio"}
    assert requirement("alembic").extras == set()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--package", "psycopg==3.2.1"], "--package 'psycopg==3.2.1': give the name (and"),
        (["--package", "not a name!"], "--package 'not a name!' is not a package name"),
    ],
    ids=["with-a-version", "not-a-name"],
)
def test_a_bad_package_is_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["onupdate.onupdate_sql_function", "--from", "1", "--to", "2", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"bisect: {message}") and err.count("\n") == 1


def test_a_mirror_of_sqlalchemy_alone_is_refused_for_another_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MATRIX_PYPI_JSON", "https://mirror.invalid/pypi/SQLAlchemy/json")
    with pytest.raises(BisectError, match=r"give MATRIX_PYPI_JSON with \{package\}"):
        releases("1.13.0", "1.13.2", package="alembic")


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
    assert "bisect: 5 SQLAlchemy releases from 2.0.33 to 2.0.37" in output
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


def test_nox_bisect_over_alembic_releases_finds_the_warning_it_stopped_raising(
    tmp_path: Path,
) -> None:
    """``--package alembic``: Alembic 1.13.0 to 1.13.2 installed one at a time, the
    migration scenario run on SQLite at each; its warnings are the value bisected.
    Alembic 1.13.2's changelog (#1394,
    https://alembic.sqlalchemy.org/en/latest/changelog.html#change-1.13.2): it no longer
    calls connection.execute() with an empty tuple, which SQLAlchemy 2.1 deprecates.
    The bisection's temporary folder is gone afterwards, and Alembic is back at the
    version the environment had."""
    command = [sys.executable, "-m", "nox", "-s", "bisect", "--"]
    command += ["migrations_applied.add_and_alter_columns", "(warnings)", "--package", "alembic"]
    command += ["--from", "1.13.0", "--to", "1.13.2"]
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    output = done.stdout + done.stderr
    assert "bisect: 3 alembic releases from 1.13.0 to 1.13.2" in output
    assert "bisect: first changed in alembic 1.13.2" in output
    deprecated = "SADeprecationWarning: Empty parameter sequence passed to execute()."
    assert f'  1.13.1: ["{deprecated}' in output
    assert "  1.13.2: []" in output
    assert "installed again, as before" in output
    assert not list(tmp_path.glob("matrix-bisect-*"))
