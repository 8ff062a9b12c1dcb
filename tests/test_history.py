"""The SQLAlchemy release history: the release list, releases a scenario cannot run on,
the ranges the report writes (each series its own line), the compact results form, and
one release run for real."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from sqla_matrix import releases as release_module
from sqla_matrix import results
from sqla_matrix.history import listing
from sqla_matrix.history.run import Environments, absent, configuration_id
from sqla_matrix.releases import Since
from sqla_matrix.report import markdown
from sqla_matrix.report.releases import along, spans_of, split
from sqla_matrix.scenario import Context, Doc
from tests.conftest import ROOT, adhoc_scenario, run_alone, run_matrix, valid
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


# -- the release list ---------------------------------------------------------------


def test_the_release_list_is_every_release_of_each_series_in_upload_order() -> None:
    every = listing.load()
    versions = [r.version for r in every]
    assert versions[0] == "2.0.0"
    assert all(not Version(v).is_prerelease for v in versions)
    assert {r.series for r in every} == {"2.0", "2.1"}
    assert [r.uploaded for r in every] == sorted(r.uploaded for r in every)
    # 2.1.0 came out before 2.0.55: upload order, not version order.
    assert versions.index("2.1.0") < versions.index("2.0.55")
    # Each series, read alone, is in version order; no release is missing in between.
    for series in listing.SERIES:
        own = [Version(r.version) for r in every if r.series == series]
        assert own == sorted(own)
        assert {v.micro for v in own} == set(range(max(v.micro for v in own) + 1))


def test_a_yanked_release_is_skipped_and_named_with_its_reason() -> None:
    every = listing.load()
    assert [(r.version, r.yanked_reason) for r in listing.yanked(every)] == [
        ("2.0.5", "wheel files failed to build due to a test issue")
    ]
    runnable = [r.version for r in listing.runnable(every)]
    assert "2.0.5" not in runnable and "2.0.5.post1" in runnable


def test_release_notes_start_at_the_floor_of_the_project_and_name_listed_releases() -> None:
    notes = _noxfile_constant("RELEASE_NOTES")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    floor = next(
        Requirement(r)
        for r in project["dependency-groups"]["matrix"]
        if isinstance(r, str) and r.startswith("sqlalchemy")
    )
    listed = {r.version for r in listing.runnable(listing.load())}
    assert min(notes, key=Version) == "2.0.0"
    assert all(floor.specifier.contains(release) for release in notes)
    assert all(text for text in notes.values())
    assert set(notes) <= listed


def test_nox_lists_the_history_by_backend_and_by_series_from_the_committed_list() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "nox", "-l", "--json", "-t", "history-sqlite", "history-sqla20"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    sessions = [s["session"] for s in json.loads(listed.stdout)]
    assert sessions == ["history_of(sqlite)", "history_of(sqla20)", "report"]


# -- ranges ---------------------------------------------------------------------------

SERIES_20 = [f"2.0.{n}" for n in range(0, 12)]


def test_every_release_observed_a_range_starts_and_ends_where_the_value_changed() -> None:
    values = ["a"] * 4 + ["b"] * 8
    assert spans_of(SERIES_20, values, every=SERIES_20) == [
        ("2.0.0–2.0.3", "a"),
        ("since 2.0.4", "b"),
    ]


def test_a_value_seen_in_one_release_is_a_one_release_range() -> None:
    values = ["a"] * 5 + ["b"] + ["a"] * 6
    assert spans_of(SERIES_20, values, every=SERIES_20) == [
        ("2.0.0–2.0.4", "a"),
        ("2.0.5 only", "b"),
        ("since 2.0.6", "a"),
    ]


def test_where_releases_were_not_observed_a_range_says_after_which_it_changed() -> None:
    """An older results file with a few hand-picked releases (the former timeline)."""
    spans = spans_of(["2.0.0", "2.0.13", "2.0.36"], ["a", "b", "b"], {}, SERIES_20)
    assert spans == [("2.0.0", "a"), ("since 2.0.13 (changed after 2.0.0)", "b")]
    pinned = spans_of(["2.0.0", "2.0.13", "2.0.36"], ["a", "a", "b"], {"2.0.36": "2.0.35"})
    assert pinned == [("2.0.0–2.0.35", "a"), ("since 2.0.36", "b")]


@pytest.fixture(scope="module")
def sqlite_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    run = run_matrix("sqlite", tmp_path_factory.mktemp("results"), None, "-k", "onupdate")
    assert run.returncode == 0, run.output
    assert run.results is not None
    return run.results


KEY = "object in the session after ORM update(Model).where()"
SCENARIO = "onupdate.onupdate_sql_function"


def _as_release(document: dict[str, Any], release: str, value: str | None) -> dict[str, Any]:
    """The run as if made on ``release``, with one observation changed to ``value``."""
    part = copy.deepcopy(document)
    name = configuration_id(release, "sqlite", "pysqlite")
    part["configurations"] = {name: {**part["configurations"]["sqlite"], "sqlalchemy": release}}
    for entry in part["scenarios"].values():
        entry["cells"] = {name: entry["cells"]["sqlite"]}
    if value is not None:  # as that release shows it: sqlalchemy#11917, a known bug there
        cell = part["scenarios"][SCENARIO]["cells"][name]
        cell["observed"][KEY] = value
        cell["marks"][KEY] = "known bug"
    return part


def _history(sqlite_run: dict[str, Any], values: dict[str, str | None]) -> results.Results:
    parts = [_as_release(sqlite_run, release, value) for release, value in values.items()]
    merged = results.merge(parts)
    order = [r.version for r in listing.runnable(listing.load())]
    merged["history"] = {"upload_order": order, "notes": {"2.0.55": "a fix in both series"}}
    return merged


def _section(report: str) -> str:
    return report.split("## Along the SQLAlchemy release history", 1)[1].split("## What", 1)[0]


def test_a_change_made_in_both_series_is_said_once(sqlite_run: dict[str, Any]) -> None:
    """2.1.0 was released before 2.0.55: read as one chain by version, 2.0.55's fix would
    look reverted in 2.1.0. Each series its own line, the fix reads once for both."""
    new = sqlite_run["scenarios"][SCENARIO]["cells"]["sqlite"]["observed"][KEY]
    values: dict[str, str | None] = {"2.0.53": "stale", "2.0.54": "stale", "2.0.55": None}
    values |= {"2.0.56": None, "2.1.3": "stale", "2.1.4": "stale", "2.1.5": None, "2.1.6": None}
    history = _history(sqlite_run, values)
    ((timeline,),) = [along(history)]
    assert timeline.described == "2.0.53–2.0.56 (4 releases), 2.1.3–2.1.6 (4 releases)"
    (row,) = [r for r in timeline.rows if r.key == KEY]
    assert [(s.releases, s.value) for s in row.spans] == [
        ("2.0.53–2.0.54 and 2.1.3–2.1.4", "stale"),
        ("since 2.0.55 and 2.1.5", new),
    ]
    assert row.spans[1].note == "2.0.55: a fix in both series"
    section = _section(markdown.render(history))
    assert "since 2.0.55 and 2.1.5: `" in section


def test_a_change_in_one_series_only_reads_per_series(sqlite_run: dict[str, Any]) -> None:
    new = sqlite_run["scenarios"][SCENARIO]["cells"]["sqlite"]["observed"][KEY]
    values: dict[str, str | None] = {"2.0.38": "stale", "2.0.39": "stale", "2.0.40": None}
    values |= {"2.0.41": "stale", "2.1.0": None, "2.1.1": None}
    (timeline,) = along(_history(sqlite_run, values))
    (row,) = [r for r in timeline.rows if r.key == KEY]
    assert [(s.releases, s.value) for s in row.spans] == [
        ("2.0.38–2.0.39", "stale"),
        ("2.0.40 only", new),
        ("since 2.0.41", "stale"),
        ("since 2.1.0", new),
    ]
    assert row.inner  # it changed inside the 2.0 series


def test_the_grid_shows_the_other_columns_and_the_history_reads_as_ranges(
    sqlite_run: dict[str, Any],
) -> None:
    history = _history(sqlite_run, {"2.0.40": None, "2.0.41": None, "2.1.0": None})
    alone = split(history)  # a history run alone: the newest release of each series
    assert set(alone["configurations"]) == {
        "sqla2.0.41-sqlite-pysqlite",
        "sqla2.1.0-sqlite-pysqlite",
    }
    with_cells = results.merge([history, sqlite_run])
    assert list(split(with_cells)["configurations"]) == ["sqlite"]


def test_a_behaviour_page_of_the_site_shows_its_release_ranges(
    sqlite_run: dict[str, Any], tmp_path: Path
) -> None:
    from sqla_matrix.site import pages
    from sqla_matrix.site.words import slug

    values: dict[str, str | None] = {"2.0.34": "stale", "2.0.35": "stale", "2.0.36": None}
    history = _history(sqlite_run, {**values, "2.1.0": None})
    pages.build(history, None, tmp_path / "site")
    page = (tmp_path / "site" / "b" / SCENARIO / f"{slug(KEY)}.html").read_text()
    assert "Release ranges (every SQLAlchemy release, each series its own line)" in page
    assert "2.0.34–2.0.35: <b>stale</b>" in page
    assert "since 2.0.36 and 2.1.0: <b>" in page
    # The grid's rows are the newest release of each series, not every release.
    assert page.count('title="sqla2.0.') == 1


# -- the compact form -------------------------------------------------------------------


def test_release_configurations_are_saved_compact_and_load_as_before(
    sqlite_run: dict[str, Any], tmp_path: Path
) -> None:
    history = _history(sqlite_run, {"2.0.40": "stale", "2.0.41": None, "2.0.42": None})
    path = tmp_path / "history.json"
    results.save(history, path)
    raw = valid(json.loads(path.read_text()))
    assert raw["schema_version"] == results.SCHEMA_VERSION and raw["compact"] is True
    entry = raw["scenarios"][SCENARIO]
    assert entry["cells"] == {}
    assert len(entry["shared"]) == 2  # 2.0.41 and 2.0.42 observed the same: one cell
    loaded = results.load(path)
    assert loaded["schema_version"] == results.SCHEMA_VERSION
    cells = loaded["scenarios"][SCENARIO]["cells"]
    assert cells == history["scenarios"][SCENARIO]["cells"]
    # A file without release configurations is written as before.
    results.save(sqlite_run, tmp_path / "sqlite.json")
    written = json.loads((tmp_path / "sqlite.json").read_text())
    assert (written["schema_version"], "compact" in written) == (results.SCHEMA_VERSION, False)


# -- a release run for real --------------------------------------------------------------


def test_a_release_that_cannot_be_installed_is_a_column_with_its_reason(tmp_path: Path) -> None:
    envs = Environments(tmp_path / "envs", [])
    why = envs.ensure("2.0.999")
    assert why is not None and why.startswith("SQLAlchemy 2.0.999 could not be installed here")
    document = absent("2.0.999", "sqlite", "pysqlite", results.NOT_RUN, why)
    configuration = document["configurations"]["sqla2.0.999-sqlite-pysqlite"]
    assert (configuration["status"], configuration["reason"], configuration["sqlalchemy"]) == (
        "not run",
        why,
        "2.0.999",
    )


def test_one_release_runs_in_an_environment_of_its_own(tmp_path: Path) -> None:
    """The runner as nox -t history-sqlite calls it, on one release and one topic."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = [*project["project"]["dependencies"], *project["dependency-groups"]["matrix"]]
    wanted += project["project"]["optional-dependencies"]["pysqlite"]
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps({"requirements": wanted, "drivers": {"sqlite": "pysqlite"}, "marks": ""})
    )
    command = [sys.executable, "-m", "sqla_matrix.history.run", f"--config={config}"]
    command += [f"--envs={tmp_path / 'envs'}", "--backends=sqlite", "--releases=2.0.40"]
    command += [f"--results-dir={tmp_path / 'results'}", "--", "-k", "onupdate_sql_function"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "history: sqla2.0.40-sqlite-pysqlite ran" in done.stdout
    assert "history: SQLAlchemy 2.0.5 skipped: yanked" in done.stdout
    document = results.load(tmp_path / "results" / "history.json")
    configuration = document["configurations"]["sqla2.0.40-sqlite-pysqlite"]
    assert (configuration["status"], configuration["sqlalchemy"]) == ("ran", "2.0.40")
    cell = document["scenarios"][SCENARIO]["cells"]["sqla2.0.40-sqlite-pysqlite"]
    assert cell["status"] == "pass"
    assert cell["statements"] == [] and cell["statements_omitted"] > 0  # counted, not kept
    assert document["history"]["yanked"] == {
        "2.0.5": listing.yanked(listing.load())[0].yanked_reason
    }


def test_the_report_imports_no_subprocess_or_package_index_code() -> None:
    """The report's layers go one way (issue 36): results and ranges, never bisect."""
    code = (
        "import sys, sqla_matrix.report.markdown, sqla_matrix.report.html, "
        "sqla_matrix.report.summary\n"
        "bad = [m for m in ('sqla_matrix.bisect', 'sqla_matrix.history.run', "
        "'sqla_matrix.history.refresh', 'urllib.request') if m in sys.modules]\n"
        "print(bad)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stderr


def test_the_installed_release_is_the_one_sqlalchemy_reports() -> None:
    import sqlalchemy

    assert str(release_module.INSTALLED) == sqlalchemy.__version__
