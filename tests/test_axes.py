"""What changes when one axis moves: each difference named by its axis, and the
comparison of two configurations (nox -s compare -- FROM TO)."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sqla_matrix import results
from sqla_matrix.compare import compare, pairs, render
from sqla_matrix.errors import MatrixError
from sqla_matrix.report import markdown
from sqla_matrix.report.axes import Config, explain
from sqla_matrix.report.view import Cell, Row
from tests.conftest import ROOT, run_matrix

COLUMNS = {
    "sqla21-sqlite-pysqlite": Config("sqlite", "", "pysqlite + aiosqlite", "sqla21"),
    "sqla21-postgresql-psycopg": Config("postgresql", "", "psycopg + psycopg_async", "sqla21"),
    "sqla21-postgresql-psycopg2": Config("postgresql", "", "psycopg2 + asyncpg", "sqla21"),
    "sqla21-postgresql-pg8000": Config("postgresql", "", "pg8000 + asyncpg", "sqla21"),
    "sqla21-postgresql15-psycopg": Config("postgresql", "15", "psycopg + psycopg_async", "sqla21"),
    "sqla20-postgresql-psycopg": Config("postgresql", "", "psycopg + psycopg_async", "sqla20"),
}


def _row(**values: str) -> Row:
    cells = {name.replace("_", "-"): Cell(value, "") for name, value in values.items()}
    return Row("a behaviour", [], cells)


def test_a_value_that_follows_the_driver_is_explained_within_its_backend() -> None:
    row = _row(
        sqla21_sqlite_pysqlite="12:00",
        sqla21_postgresql_psycopg="17:30",
        sqla21_postgresql_psycopg2="12:00",
        sqla21_postgresql_pg8000="12:00",
        sqla21_postgresql15_psycopg="17:30",
        sqla20_postgresql_psycopg="17:30",
    )
    explained = explain(row, list(COLUMNS), COLUMNS)
    assert explained.within == ["postgresql"]
    assert explained.split == "within postgresql by driver"  # SQLite agrees with asyncpg
    assert explained.within_groups == [
        ("postgresql · psycopg + psycopg_async", "17:30"),
        ("postgresql · pg8000 + asyncpg, psycopg2 + asyncpg", "12:00"),
    ]


def test_a_value_that_only_the_backends_split_is_named_by_backend() -> None:
    row = _row(
        sqla21_sqlite_pysqlite="DATETIME",
        **{n.replace("-", "_"): "TIMESTAMP" for n in COLUMNS if "postgresql" in n},
    )
    explained = explain(row, list(COLUMNS), COLUMNS)
    assert (explained.within, explained.split) == ([], "by backend")
    assert explained.groups == [("sqlite", "DATETIME"), ("postgresql", "TIMESTAMP")]


def test_a_server_version_and_a_release_are_named_on_their_axis() -> None:
    values = {n: "a" for n in COLUMNS}
    values["sqla21-postgresql15-psycopg"] = "b"
    row = Row("k", [], {n: Cell(v, "") for n, v in values.items()})
    assert explain(row, list(COLUMNS), COLUMNS).within_groups[1] == ("postgresql 15", "b")
    values["sqla21-postgresql15-psycopg"], values["sqla20-postgresql-psycopg"] = "a", "b"
    row = Row("k", [], {n: Cell(v, "") for n, v in values.items()})
    explained = explain(row, list(COLUMNS), COLUMNS)
    assert explained.split == "within postgresql by SQLAlchemy release"
    assert explained.within_groups[1] == ("postgresql · sqla20", "b")


@pytest.fixture(scope="module")
def two_drivers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A real SQLite run as two configurations of one backend, 'pysqlite' and 'other', with one
    behaviour changed and one scenario not run on the second (built from the same run:
    SQLite has one driver)."""
    folder = tmp_path_factory.mktemp("results")
    run = run_matrix(
        "sqlite", folder, None, "--matrix-configuration=sqla21-sqlite-pysqlite", "-k", "onupdate"
    )
    assert run.returncode == 0, run.output
    assert run.results is not None
    first = run.results
    second = copy.deepcopy(first)
    configuration = second["configurations"].pop("sqla21-sqlite-pysqlite")
    second["configurations"]["sqla21-sqlite-other"] = {
        **configuration,
        "driver": "other",
        "configuration": 2,
    }
    for entry in second["scenarios"].values():
        entry["cells"] = {"sqla21-sqlite-other": entry["cells"]["sqla21-sqlite-pysqlite"]}
    changed = second["scenarios"]["onupdate.onupdate_sql_function"]["cells"]
    changed["sqla21-sqlite-other"]["observed"]["DDL of updated_at"] = "changed"
    skipped = second["scenarios"]["onupdate.onupdate_python_callable"]["cells"]
    skipped["sqla21-sqlite-other"] = {**skipped["sqla21-sqlite-other"], "status": "not run"}
    return results.merge([first, second])


def test_compare_pairs_the_columns_that_differ_in_one_axis_and_lists_what_changed(
    two_drivers: dict[str, Any],
) -> None:
    from sqla_matrix.report.axes import configs

    axis, found = pairs(configs(two_drivers), "pysqlite", "other")
    assert (axis, found) == ("driver", [("sqla21-sqlite-pysqlite", "sqla21-sqlite-other")])
    diff = compare(two_drivers, *found[0])
    assert [(s, k, new) for s, k, _, new in diff.changed] == [
        ("onupdate.onupdate_sql_function", "DDL of updated_at", "changed")
    ]
    skipped = two_drivers["scenarios"]["onupdate.onupdate_python_callable"]["cells"]
    assert diff.one_side == len(skipped["sqla21-sqlite-pysqlite"]["observed"])  # not a change


def test_compare_from_the_command_line_prints_and_writes_compare_md(
    two_drivers: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "results.json"
    results.save(two_drivers, path)
    command = [sys.executable, "-m", "sqla_matrix.compare", "pysqlite", "other"]
    command.append(f"--results={path}")
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "1 of " in done.stdout and "observed on one side only (not counted)" in done.stdout
    assert "| onupdate.onupdate_sql_function · DDL of updated_at |" in done.stdout
    assert (tmp_path / "compare.md").read_text() in done.stdout


PAIR = ("sqla21-sqlite-pysqlite", "sqla21-sqlite-other")


def test_a_value_observed_through_the_asyncio_driver_names_that_driver(
    two_drivers: dict[str, Any],
) -> None:
    """A key marked "(async)" was observed through the configuration's asyncio partner: compare
    names it beside the value, so asyncpg's rowcount never reads as psycopg2's."""
    two_drivers = copy.deepcopy(two_drivers)
    key = "executemany UPDATE: rowcount (async)"
    for configuration, value in (("sqla21-sqlite-pysqlite", 2), ("sqla21-sqlite-other", -1)):
        cell = two_drivers["scenarios"]["onupdate.onupdate_sql_function"]["cells"][configuration]
        cell["observed"][key] = value
    two_drivers["configurations"]["sqla21-sqlite-other"]["async_driver"] = "asyncother"
    text = render("driver", "pysqlite", "other", [compare(two_drivers, *PAIR)])
    assert f"| onupdate.onupdate_sql_function · {key} | `2` (aiosqlite) | `-1` (asyncother) |" in (
        text
    )
    assert "· DDL of updated_at | `" in text and "` (pysqlite) | `changed` (other) |" in text


def test_a_value_that_is_no_axis_value_is_one_line_naming_the_valid_ones(
    two_drivers: dict[str, Any], tmp_path: Path
) -> None:
    from sqla_matrix.report.axes import configs

    with pytest.raises(
        MatrixError, match=r"'psycopg3' is not a configuration id.*driver: other, pysqlite"
    ):
        pairs(configs(two_drivers), "psycopg3", "pysqlite")
    path = tmp_path / "results.json"
    results.save(two_drivers, path)
    command = [sys.executable, "-m", "sqla_matrix.compare", "psycopg3", "x", f"--results={path}"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_the_report_opens_with_what_changes_within_a_backend(two_drivers: dict[str, Any]) -> None:
    report = markdown.render(two_drivers)
    within = report.split("## What changes within a backend", 1)[1].split("## How the", 1)[0]
    assert "DDL of updated_at | within sqlite by driver | sqlite · pysqlite" in within
    assert "sqlite · other + aiosqlite: `changed`" in within


def test_a_value_in_a_listing_carries_the_mark_its_legend_promises() -> None:
    row = Row(
        "k",
        [],
        {
            "a": Cell("1", "pass"),
            "b": Cell("1", "pass"),
            "c": Cell("2", "mismatch", "1"),
            "d": Cell("3", ""),
        },
    )
    assert [markdown.mark(row, value) for value in ("1", "2", "3")] == [" ✅", " ❌", ""]
    assert "✅ matches the documentation, ❌ differs from it, 🐛" in markdown.render(
        results.empty()
    )


def test_compare_of_a_value_the_last_run_did_not_run_names_the_columns_it_found(
    two_drivers: dict[str, Any], tmp_path: Path
) -> None:
    """``nox``, then ``nox -t sqla20``: the second run's results hold sqla20's configurations
    only. Comparing sqla20 with sqla21 then says which configurations it found and which it
    needed, and how to get both in one run."""
    path = tmp_path / "results.json"
    results.save(two_drivers, path)
    command = [sys.executable, "-m", "sqla_matrix.compare", "sqla20", "sqla21", f"--results={path}"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line == (
        "compare: no configuration at 'sqla20' in these results; comparing sqla20 with sqla21 "
        "needs configurations at both, and they hold 2: sqla21-sqlite-pysqlite, "
        "sqla21-sqlite-other. "
        "Each nox run starts the results afresh: run both at once (nox -t sqla20 -t sqla21), "
        "or give --results of a run that has them"
    )


def test_every_column_means_every_column_and_the_others_are_named_with_why() -> None:
    """Row locks: SQLite has none, so its cells are *not supported*; the configurations that
    locked are every configuration but SQLite's, and the row says so (issue 35, item 5)."""
    cells = {name: Cell("locked", "pass") for name in COLUMNS}
    cells["sqla21-sqlite-pysqlite"] = Cell("not supported", "not run")
    explained = explain(Row("first post", [], cells), list(COLUMNS), COLUMNS)
    assert explained.groups == [("postgresql", "locked")]
    assert explained.unobserved == [("sqlite", "not supported")]
    every = {name: Cell("locked", "pass") for name in COLUMNS}
    assert explain(Row("k", [], every), list(COLUMNS), COLUMNS).groups == [
        ("every configuration", "locked")
    ]


def _configuration(backend: str, rank: int) -> dict[str, Any]:
    return {
        **dict.fromkeys(results.CONFIGURATION_FIELDS),
        "backend": backend,
        "status": "ran",
        "configuration": rank,
        "sqlalchemy": "2.1.0",
    }


def test_report_md_lists_the_configurations_a_value_leaves_out_and_why() -> None:
    """Beyond GRID_COLUMNS configurations report.md lists each row's values by
    configuration; a value seen everywhere but on SQLite reads so, and SQLite's cells read
    *not supported*."""
    names = [f"sqla21-postgresql{v}-psycopg" for v in range(10, 19)]
    document = results.empty()
    document["configurations"] = {
        name: _configuration("postgresql", rank) for rank, name in enumerate(names)
    }
    document["configurations"]["sqla21-sqlite-pysqlite"] = _configuration("sqlite", 99)
    locked = {**results.EMPTY_CELL, "status": "pass", "observed": {"first post": "locked"}}
    cells: dict[str, Any] = {name: locked for name in names}
    cells["sqla21-sqlite-pysqlite"] = {**results.EMPTY_CELL, "why_not_run": "not supported"}
    document["scenarios"]["row_locks.joined"] = {"title": "t", "topic": "row_locks", "cells": cells}
    assert len(document["configurations"]) > markdown.GRID_COLUMNS
    report = markdown.render(document)
    assert "| first post | — | postgresql: `locked` · sqlite: _not supported_ |" in report
    assert "every configuration: `locked`" not in report
