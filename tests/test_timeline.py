"""The SQLAlchemy timeline: releases a scenario cannot run on, the ranges the report
writes, and the bisection that pins each change to its first release."""

from __future__ import annotations

import copy
import sys
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import pytest
from packaging.requirements import Requirement

from sqla_matrix import releases as release_module
from sqla_matrix.bisect import releases
from sqla_matrix.releases import Since
from sqla_matrix.report import markdown
from sqla_matrix.report.releases import spans_of
from sqla_matrix.scenario import Context, Doc
from sqla_matrix.timeline import Question, bisect_together, questions, timelines
from tests.conftest import ROOT, adhoc_scenario, run_alone, run_matrix
from tests.test_layout import _noxfile_constant

#: A release no installed SQLAlchemy has yet.
FUTURE = Since("99.0.0", "a feature of the far future", "https://example.invalid/changelog")


def test_a_scenario_that_needs_a_newer_release_reads_not_in_this_release() -> None:
    scenario = adhoc_scenario(lambda ctx: {"x": 1})
    scenario = type(scenario)(**{**scenario.__dict__, "since": FUTURE})
    cell, run = run_alone("sqlite", scenario)
    assert run.status == "ran"
    assert cell["status"] == "not run"
    assert cell["reason"].startswith("not in this release: a feature of the far future is new")
    assert "SQLAlchemy 99.0.0" in cell["reason"]


def test_a_key_that_needs_a_newer_release_is_neither_a_value_nor_a_mismatch() -> None:
    def two_keys(ctx: Context) -> dict[str, Any]:
        return {"old feature": "works", "new feature": FUTURE.absent()}

    documented = {"new feature": Doc("works", "https://example.invalid/docs")}
    cell, _ = run_alone("sqlite", adhoc_scenario(two_keys, documented))
    assert cell["status"] == "pass"
    assert cell["observed"] == {"old feature": "works"}
    assert cell["unavailable"]["new feature"].startswith("not in this release")
    assert cell["mismatches"] == []


def test_the_timeline_starts_at_the_floor_of_the_project_and_each_release_says_why() -> None:
    timeline = _noxfile_constant("TIMELINE")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    floor = next(
        Requirement(r)
        for r in project["dependency-groups"]["matrix"]
        if isinstance(r, str) and r.startswith("sqlalchemy")
    )
    assert min(timeline, key=lambda r: tuple(map(int, r.split(".")))) == "2.0.0"
    assert all(floor.specifier.contains(release) for release in timeline)
    assert all(reason for reason in timeline.values())
    assert set(timeline) <= set(releases("2.0.0", "2.1.0"))  # each one is on PyPI


def test_a_range_starts_at_the_release_bisection_pinned() -> None:
    releases_ = ["2.0.0", "2.0.13", "2.0.36", "2.1.9"]
    values = ["stale", "stale", "expired", "expired"]
    assert spans_of(releases_, values, {"2.0.36": "2.0.35"}) == [
        ("2.0.0–2.0.35", "stale"),
        ("since 2.0.36", "expired"),
    ]


def test_without_bisection_a_range_says_after_which_release_it_changed() -> None:
    spans = spans_of(["2.0.0", "2.0.13", "2.0.36"], ["a", "b", "b"], {})
    assert spans == [("2.0.0", "a"), ("since 2.0.13 (changed after 2.0.0)", "b")]


def test_a_value_that_comes_back_is_a_range_of_its_own() -> None:
    spans = spans_of(["2.0.0", "2.0.4", "2.0.10"], ["a", "b", "a"], {"2.0.4": "2.0.3"})
    assert spans == [
        ("2.0.0–2.0.3", "a"),
        ("2.0.4", "b"),
        ("since 2.0.10 (changed after 2.0.4)", "a"),
    ]


def test_questions_of_one_pair_are_bisected_together_in_few_steps() -> None:
    available = [f"2.0.{n}" for n in range(13, 37)]
    asked = [
        Question("onupdate.a", "object after update()", "2.0.13", "stale", "2.0.36", "expired"),
        Question("onupdate.b", "object after update()", "2.0.13", "stale", "2.0.36", "refreshed"),
    ]
    ran: list[tuple[str, list[str]]] = []

    def run(release: str, scenario_ids: list[str]) -> dict[str, dict[str, Any]]:
        ran.append((release, scenario_ids))
        changed = int(release.rsplit(".", 1)[1]) >= 36
        new = {"onupdate.a": "expired", "onupdate.b": "refreshed"}
        return {
            s: {
                "status": "pass",
                "observed": {"object after update()": new[s] if changed else "stale"},
            }
            for s in scenario_ids
        }

    steps = bisect_together(asked, available, run)
    assert [q.finding(("sqlite", None, "pysqlite"))["first"] for q in asked] == ["2.0.36"] * 2
    assert [q.finding(("sqlite", None, "pysqlite"))["before"] for q in asked] == ["2.0.35"] * 2
    assert steps == len(ran) <= 5  # log2(22) rounded up, shared by both questions
    assert all(ids == ["onupdate.a", "onupdate.b"] for _, ids in ran)


@pytest.fixture(scope="module")
def sqlite_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    run = run_matrix("sqlite", tmp_path_factory.mktemp("results"), None, "-k", "onupdate")
    assert run.returncode == 0, run.output
    assert run.results is not None
    return run.results


def _as_release(document: dict[str, Any], release: str, value: str | None) -> dict[str, Any]:
    """The run as if made on ``release``, with one observation changed to ``value``."""
    part = copy.deepcopy(document)
    column = part["columns"].pop("sqlite")
    part["columns"][f"sqla{release}-sqlite-pysqlite"] = {**column, "sqlalchemy": release}
    for entry in part["scenarios"].values():
        entry["cells"] = {f"sqla{release}-sqlite-pysqlite": entry["cells"]["sqlite"]}
    if value is not None:  # as that release shows it: sqlalchemy#11917, a known bug there
        cell = part["scenarios"]["onupdate.onupdate_sql_function"]["cells"]
        cell[f"sqla{release}-sqlite-pysqlite"]["observed"][KEY] = value
        cell[f"sqla{release}-sqlite-pysqlite"]["marks"][KEY] = "known bug"
    return part


KEY = "object in the session after ORM update(Model).where()"


def test_the_report_shows_each_change_along_the_timeline_as_release_ranges(
    sqlite_run: dict[str, Any],
) -> None:
    from sqla_matrix import results

    parts = [
        _as_release(sqlite_run, "2.0.13", "stale"),
        _as_release(sqlite_run, "2.0.40", None),
        _as_release(sqlite_run, "2.1.9", None),
    ]
    merged = results.merge(parts)
    ((line, columns),) = timelines(merged, least=3).items()
    assert line == ("sqlite", None, "pysqlite")
    asked = questions(merged, line, columns)
    assert [(q.scenario, q.key, q.before, q.after) for q in asked] == [
        ("onupdate.onupdate_sql_function", KEY, "2.0.13", "2.0.40")
    ]
    pinned = results.empty()
    pinned["releases"] = [{**asked[0].finding(line), "before": "2.0.35", "first": "2.0.36"}]
    report = markdown.render(results.merge([*parts, pinned]))
    section = report.split("## Along the SQLAlchemy timeline", 1)[1].split("## Where", 1)[0]
    assert "sqlite · pysqlite: 1 change(s) along 2.0.13, 2.0.40, 2.1.9" in section
    new = sqlite_run["scenarios"]["onupdate.onupdate_sql_function"]["cells"]["sqlite"]
    assert "2.0.13–2.0.35: `stale`" in section  # then the mark of its expectation
    assert f"since 2.0.36: `{new['observed'][KEY]}`" in section


def test_the_installed_release_is_the_one_sqlalchemy_reports() -> None:
    import sqlalchemy

    assert str(release_module.INSTALLED) == sqlalchemy.__version__
