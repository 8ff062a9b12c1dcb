"""Warnings are observations: a scenario's warnings, normalised, are compared like its
values in the report, ``compare`` and the baseline diff."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

from sqla_matrix import compare as compare_module
from sqla_matrix import results, warned
from sqla_matrix.report import markdown
from sqla_matrix.report.diff import compare
from sqla_matrix.report.view import topics
from sqla_matrix.scenario import Context
from tests.conftest import ROOT, adhoc_scenario, run_alone, valid


def _warns_about_its_connection(ctx: Context) -> dict[str, Any]:
    """A warning naming what differs in every run: an object's address, the run's
    namespace and its temporary file; and a coroutine never awaited (Python's own
    RuntimeWarning, raised when the coroutine is collected)."""

    async def never_awaited() -> None:
        pass

    with ctx.engine.connect() as conn:
        warnings.warn(f"{conn!r} on {ctx.engine.url.database}", UserWarning, stacklevel=1)
    never_awaited()  # type: ignore[unused-coroutine]  # the point is the RuntimeWarning
    return {"warned": True}


def test_the_same_warnings_read_the_same_in_two_runs_without_addresses_or_names() -> None:
    first, run = run_alone("sqlite", adhoc_scenario(_warns_about_its_connection))
    second, _ = run_alone("sqlite", adhoc_scenario(_warns_about_its_connection))

    assert first["warnings"] == second["warnings"]
    assert first["warnings"] == [
        "RuntimeWarning: coroutine "
        "'_warns_about_its_connection.<locals>.never_awaited' was never awaited",
        "UserWarning: <sqlalchemy.engine.base.Connection object at 0x*> on <tmp>/*",
    ]
    assert run.facts["namespace"] not in json.dumps(first["warnings"])
    valid(run.as_results())


def test_normalising_hides_addresses_namespaces_temporary_and_checkout_paths() -> None:
    raw = (
        "SAWarning: <State object at 0x7f3a5c2e1d90> in matrix_0123456789ab.users, "
        f"see /tmp/matrix_0123456789ab_x1y2/db.sqlite and {ROOT}/scenarios/loading.py:123,\n"
        f'  File "{ROOT}/scenarios/loading.py", line 45'
    )
    once = warned.normalise(raw)
    assert once == (
        "SAWarning: <State object at 0x*> in matrix_*.users, see <tmp>/* and "
        'scenarios/loading.py:*, File "scenarios/loading.py", line *'
    )
    assert warned.normalise(once) == once  # so a file read again reads the same
    assert warned.normalise("UserWarning: flag 0x10 stays") == "UserWarning: flag 0x10 stays"


def _warning_cell(*lines: str) -> dict[str, Any]:
    return {**results.EMPTY_CELL, "status": "pass", "observed": {"value": 1}, "warnings": [*lines]}


def _document(cells: dict[str, dict[str, Any]]) -> dict[str, Any]:
    document = results.empty()
    for rank, name in enumerate(cells):
        configuration = dict.fromkeys(results.CONFIGURATION_FIELDS)
        document["configurations"][name] = {
            **configuration,
            "backend": "sqlite",
            "status": "ran",
            "configuration": rank,
        }
    entry = {"title": "t", "topic": "tests", "tags": [], "doc": "", "cells": cells}
    document["scenarios"]["tests.s"] = entry
    return valid(document)


DEPRECATED = "SADeprecationWarning: The noload() option is deprecated"


def test_a_warning_that_appears_is_a_behaviour_change_against_the_baseline() -> None:
    before = _document({"sqlite": _warning_cell()})
    after = _document({"sqlite": _warning_cell(DEPRECATED)})

    changed = compare(before, after)
    assert changed.cells == [f"tests.s · sqlite · (warnings): + {DEPRECATED}"]
    assert changed.behaviour_changed
    assert compare(after, before).cells == [f"tests.s · sqlite · (warnings): - {DEPRECATED}"]


def test_a_baseline_written_before_warnings_were_normalised_reads_no_change() -> None:
    """An older file holds the raw warning (its own address and namespace), or no
    warnings field at all: neither is a change when the run saw the same warning."""
    raw = "SAWarning: <Connection object at 0x7f00aa11bb22> in matrix_00112233aabb"
    old_raw = _document({"sqlite": _warning_cell(raw)})
    old_without = _document({"sqlite": _warning_cell()})
    del old_without["scenarios"]["tests.s"]["cells"]["sqlite"]["warnings"]
    new = _document({"sqlite": _warning_cell(warned.normalise(raw))})

    assert compare(old_raw, new).lines() == []
    assert compare(old_without, new).lines() == []


def test_the_report_shows_warnings_as_one_more_row_that_differs_between_columns() -> None:
    document = _document(
        {"sqla20-sqlite": _warning_cell(), "sqla21-sqlite": _warning_cell(DEPRECATED)}
    )
    (topic,) = topics(document)
    rows = {row.key: row for row in topic.scenarios[0].rows}
    assert [cell.text for cell in rows["(warnings)"].cells.values()] == ["none", DEPRECATED]
    assert topic.scenarios[0].notes == {"sqla20-sqlite": [], "sqla21-sqlite": []}
    assert f"| (warnings) | — | `none` | `{DEPRECATED}` |" in markdown.render(document)


def test_a_scenario_without_warnings_anywhere_has_no_warnings_row() -> None:
    document = _document({"a": _warning_cell(), "b": _warning_cell()})
    assert [row.key for row in topics(document)[0].scenarios[0].rows] == ["value"]


def test_compare_lists_warnings_that_differ_between_two_columns(tmp_path: Path) -> None:
    document = _document(
        {"sqla20-sqlite": _warning_cell(), "sqla21-sqlite": _warning_cell(DEPRECATED)}
    )
    diff = compare_module.compare(document, "sqla20-sqlite", "sqla21-sqlite")
    assert diff.changed == [("tests.s", "(warnings)", [], [DEPRECATED])]
    assert diff.same == 1  # the observed value; the warnings are the second behaviour
    same = _document({"a": _warning_cell(DEPRECATED), "b": _warning_cell(DEPRECATED)})
    agreed = compare_module.compare(same, "a", "b")
    assert (agreed.changed, agreed.same) == ([], 2)
