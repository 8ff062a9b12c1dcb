"""The report: what a run looks like in results.json, report.md and report.html."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scenarios import _updated_at as recommend
from sqla_matrix import fanout, recorded, results
from sqla_matrix.backends import BACKENDS
from sqla_matrix.errors import MatrixError
from sqla_matrix.report import diff as diff_module
from sqla_matrix.report import html, markdown, summary
from sqla_matrix.report.build import build
from sqla_matrix.report.diff import compare
from sqla_matrix.report.view import Cell, Row, anchor, labels, runs
from sqla_matrix.runner import BackendRun
from sqla_matrix.scenario import Context, Doc
from tests.conftest import ROOT, adhoc_scenario, run_alone, run_matrix, server_url, valid


@pytest.fixture(scope="module")
def sqlite_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The whole matrix on SQLite, as written by a matrix session."""
    run = run_matrix("sqlite", tmp_path_factory.mktemp("results"))
    assert run.returncode == 0, run.output
    assert run.results is not None
    return run.results


def test_results_hold_every_scenario_with_observations_sql_and_versions(
    sqlite_run: dict[str, Any],
) -> None:
    assert sqlite_run["schema"] == "sqla-matrix/results"
    assert sqlite_run["schema_version"] == results.SCHEMA_VERSION
    backend = sqlite_run["configurations"]["sqlite"]
    assert backend["status"] == "ran"
    assert {
        "server_version",
        "driver",
        "driver_version",
        "sqlalchemy",
        "python",
        "sqlite_library",
    } <= set(backend)
    for scenario_id, entry in sqlite_run["scenarios"].items():
        cell = entry["cells"]["sqlite"]
        if cell["status"] == "not run":  # a scenario for other backends only
            assert cell["why_not_run"] in ("not observed here", "not supported"), scenario_id
            continue
        assert cell["status"] in ("pass", "mismatch"), (scenario_id, cell["error"])
        assert cell["observed"], scenario_id
        assert all(e["source"].startswith("https://") for e in cell["expected"].values())
    orphan = sqlite_run["scenarios"]["one_to_many.orphan_post"]["cells"]["sqlite"]
    assert any(s["sql"].startswith("INSERT INTO posts") for s in orphan["statements"])


def test_markdown_and_html_show_each_scenario_each_backend_and_the_sql(
    sqlite_run: dict[str, Any], tmp_path: Path
) -> None:
    (tmp_path / "results").mkdir()
    results.save(sqlite_run, tmp_path / "results" / "sqlite.json")
    merged, _ = build(tmp_path / "results", tmp_path)

    md = (tmp_path / "report.md").read_text()
    page = (tmp_path / "report.html").read_text()
    assert (
        json.loads((tmp_path / "results.json").read_text())["configurations"]
        == merged["configurations"]
    )
    for scenario_id in sqlite_run["scenarios"]:
        assert f"`{scenario_id}` · [SQL](report.html#{anchor(scenario_id)})" in md
        assert f'<tr class="scenario" id="{anchor(scenario_id)}"' in page
    version = sqlite_run["configurations"]["sqlite"]["server_version"]
    assert f"| behaviour | documented | sqlite<br><sub>{version} · pysqlite" in md
    # The SQL is in the page (once per distinct text) and in results.json, not in report.md.
    assert "INSERT INTO posts (title, user_id) VALUES (?, ?);" not in md
    assert "INSERT INTO posts (title, user_id) VALUES (?, ?);" in page
    valid(json.loads((tmp_path / "results.json").read_text()))
    # Self-contained: nothing is loaded from elsewhere.
    assert "<link" not in page and " src=" not in page


def _observes_one(ctx: Context) -> dict[str, Any]:
    with ctx.engine.connect() as conn:
        return {"one": conn.exec_driver_sql("SELECT 1").scalar()}


def test_a_value_that_differs_from_its_documentation_is_a_marked_mismatch() -> None:
    wrong = adhoc_scenario(_observes_one, {"one": Doc(2, "https://example.org/says-two")})
    cell, run = run_alone("sqlite", wrong)

    assert cell["status"] == "mismatch"
    assert cell["observed"] == {"one": 1}
    assert cell["mismatches"] == ["one"]
    assert cell["statements"][0]["sql"] == "SELECT 1"
    document = run.as_results()
    assert (
        "| one | `2` [docs](https://example.org/says-two) | `1` ❌ (expected: `2`) |"
        in markdown.render(document)
    )
    assert '<td class="c0 mismatch"' in html.render(document)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON (line 1)"),
        (
            '{"schema": "something else"}',
            'not a matrix results file (no "schema": "sqla-matrix/results")',
        ),
        (
            '{"schema": "sqla-matrix/results", "schema_version": 99}',
            "results schema version 99; this version reads 1",
        ),
    ],
    ids=["broken-json", "other-schema", "newer-version"],
)
def test_an_unusable_results_file_is_one_clear_error(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "old.json"
    path.write_text(content)
    with pytest.raises(MatrixError, match="^" + str(path)) as caught:
        results.load(path)
    assert message in str(caught.value)


def test_the_report_command_without_results_says_what_to_do(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "sqla_matrix.report", f"--results-dir={tmp_path}"]
    proc = subprocess.run(
        [*command, f"--out={tmp_path}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        == f"report: {tmp_path}: no results files; run the matrix first (nox -s matrix)"
    )


def test_the_updated_at_recommendation_is_derived_from_the_observations(
    sqlite_run: dict[str, Any],
) -> None:
    advice = recommend.updated_at(sqlite_run)
    assert advice is not None
    verdicts = {title: cells[advice.configurations.index("sqlite")] for title, cells in advice.rows}
    by_scenario = {e["title"]: sid for sid, e in sqlite_run["scenarios"].items()}
    verdict = {by_scenario[title]: v for title, v in verdicts.items()}
    assert verdict["onupdate.onupdate_sql_function"] == "ORM ✓ · ad hoc SQL ✗"
    assert verdict["onupdate.server_onupdate_fetched_value_alone"] == "ORM ✗ · ad hoc SQL ✗"
    # An AFTER UPDATE trigger re-stamps the row after RETURNING has read it.
    assert verdict["onupdate.trigger"] == "ORM ✓ (✗ with eager_defaults=True) · ad hoc SQL ✓"
    # MySQL's own way is a row of its own; it does not run on SQLite.
    assert verdict["onupdate.mysql_on_update_current_timestamp"] == "—"
    # Only the scenarios tagged as variants are rows: the upserts answer another question.
    assert (
        "onupdate.upserts" not in verdict
        and "onupdate.explicit_value_and_update_paths" not in verdict
    )
    assert advice.best == {"sqlite": [sqlite_run["scenarios"]["onupdate.trigger"]["title"]]}


def _report(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "sqla_matrix.report",
            f"--results-dir={tmp_path / 'results'}",
            f"--out={tmp_path / 'out'}",
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_a_rerun_with_the_same_behaviour_reports_no_change(
    sqlite_run: dict[str, Any], tmp_path: Path
) -> None:
    results.save(sqlite_run, tmp_path / "results" / "sqlite.json")
    results.save(sqlite_run, tmp_path / "baseline.json")
    proc = _report(tmp_path, f"--baseline={tmp_path / 'baseline.json'}", "--fail-on-change")
    assert proc.returncode == 0, proc.stderr
    assert f"changes since {tmp_path / 'baseline.json'}: none" in proc.stdout
    assert "0 change(s): no behaviour changed." in (tmp_path / "out" / "report.md").read_text()


def test_a_column_this_run_could_not_observe_shows_the_reference_values_in_report_html(
    sqlite_run: dict[str, Any], tmp_path: Path
) -> None:
    """MySQL turned off here: report.html shows the shipped reference run's MySQL configuration
    beside it, named as the reference's; results.json and report.md hold this run alone."""
    off = results.absent_configuration(
        "sqla21-mysql-pymysql", "mysql", None, "pymysql", "not run", "turned off on purpose"
    )
    results.save(sqlite_run, tmp_path / "results" / "sqlite.json")
    results.save(off, tmp_path / "results" / "mysql.json")
    proc = _report(tmp_path)
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "out" / "report.html").read_text()
    day = results.load(ROOT / "reference" / "results.json")["generated_at"][:10]
    assert f"sqla21-mysql-pymysql (reference run of {day})" in page
    # The page's opening sentence says which configurations this run did not observe itself.
    assert (
        "Every value was observed on the backend of its configuration in this run, but in "
        f"sqla21-mysql-pymysql (reference run of {day}): the shipped reference run"
    ) in page
    assert "(reference run of" not in (tmp_path / "out" / "report.md").read_text()
    assert "pysqlite (reference run of" not in page  # SQLite ran here: its own cells alone
    written = results.load(tmp_path / "out" / "results.json")
    assert sorted(written["configurations"]) == sorted(
        [*sqlite_run["configurations"], "sqla21-mysql-pymysql"]
    )


def test_a_changed_observation_is_named_and_fails_on_request(
    sqlite_run: dict[str, Any], tmp_path: Path
) -> None:
    results.save(sqlite_run, tmp_path / "results" / "sqlite.json")
    baseline = json.loads(json.dumps(sqlite_run))
    cell = baseline["scenarios"]["one_to_many.orphan_post"]["cells"]["sqlite"]
    cell["observed"]["orphan post, default settings"] = "rejected"
    baseline["configurations"]["sqlite"]["server_version"] = "3.0.0"
    results.save(baseline, tmp_path / "baseline.json")

    proc = _report(tmp_path, f"--baseline={tmp_path / 'baseline.json'}", "--fail-on-change")
    assert proc.returncode == 1
    changed = (
        "one_to_many.orphan_post · sqlite · orphan post, default settings: rejected → accepted"
    )
    assert f"  {changed}" in proc.stdout.splitlines()
    assert "sqlite: server_version 3.0.0 → " in proc.stdout
    md = (tmp_path / "out" / "report.md").read_text()
    assert md.index("## Changes since the baseline") < md.index("## Configurations")
    assert (tmp_path / "out" / "diff.txt").read_text().count("\n") == 2
    assert _report(tmp_path, f"--baseline={tmp_path / 'baseline.json'}").returncode == 0


def test_a_broken_baseline_is_one_line(sqlite_run: dict[str, Any], tmp_path: Path) -> None:
    results.save(sqlite_run, tmp_path / "results" / "sqlite.json")
    (tmp_path / "baseline.json").write_text("{")
    proc = _report(tmp_path, f"--baseline={tmp_path / 'baseline.json'}")
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith(f"report: {tmp_path / 'baseline.json'}: not valid JSON")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_a_schema_1_baseline_is_read_as_one_configuration_per_backend(
    sqlite_run: dict[str, Any], tmp_path: Path
) -> None:
    # Schema 1 (before the axes) keyed each backend's one configuration by its name.
    old = json.loads(json.dumps(sqlite_run))
    old["schema_version"] = 1
    old["backends"] = old.pop("configurations")
    for configuration in old["backends"].values():
        for key in ("backend", "server_requested", "async_driver", "async_driver_version"):
            del configuration[key]
    (tmp_path / "v1.json").write_text(json.dumps(old))
    loaded = results.load(tmp_path / "v1.json")
    assert loaded["schema_version"] == results.SCHEMA_VERSION
    assert loaded["configurations"]["sqlite"]["backend"] == "sqlite"
    assert loaded["configurations"]["sqlite"]["server_requested"] is None
    results.save(sqlite_run, tmp_path / "results" / "sqlite.json")
    proc = _report(tmp_path, f"--baseline={tmp_path / 'v1.json'}", "--fail-on-change")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_several_runs_become_columns_side_by_side_headed_by_their_versions(
    sqlite_run: dict[str, Any], tmp_path: Path
) -> None:
    older = json.loads(json.dumps(sqlite_run))
    older["configurations"]["sqlite"]["sqlalchemy"] = "2.0.36"
    results.save(older, tmp_path / "old.json")
    results.save(sqlite_run, tmp_path / "new.json")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sqla_matrix.report",
            f"--out={tmp_path / 'out'}",
            f"--combine=sa20={tmp_path / 'old.json'}",
            f"--combine=now={tmp_path / 'new.json'}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    combined = json.loads((tmp_path / "out" / "results.json").read_text())
    assert list(combined["configurations"]) == ["sqlite (sa20)", "sqlite (now)"]
    md = (tmp_path / "out" / "report.md").read_text()
    assert "sqlite (sa20)<br><sub>" in md and "SQLAlchemy 2.0.36</sub>" in md
    orphan = combined["scenarios"]["one_to_many.orphan_post"]["cells"]
    assert set(orphan) == {"sqlite (sa20)", "sqlite (now)"}


def _measures(ctx: Context) -> dict[str, Any]:
    for n in (10, 100, 1000):
        with ctx.counting() as statements, ctx.engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT {n}")
        ctx.measure("seconds for N", "one select", n, n / 1000)
    return {"statements per step": len(statements)}


def test_measurements_are_published_as_a_chart_and_a_table_but_never_compared() -> None:
    cell, run = run_alone("sqlite", adhoc_scenario(_measures))

    assert cell["observed"] == {"statements per step": 1}
    assert cell["measurements"] == {
        "seconds for N": {"one select": {"10": 0.01, "100": 0.1, "1000": 1.0}}
    }
    document = run.as_results()
    page = html.render(document)
    assert "<svg" in page and "<figcaption>seconds for N</figcaption>" in page
    assert "| one select | 10 ms | 100 ms | 1 s |" in markdown.render(document)


def test_values_that_change_across_versions_read_as_ranges_of_neighbouring_columns() -> None:
    order = [f"sqla21-postgresql{v}-psycopg" for v in ("15", "16", "17", "18")]
    values = {"15": "x", "16": "x", "17": "x", "18": "y"}
    row = Row("key", [], {name: Cell(values[name[17:19]], "") for name in order})
    short = labels(order)
    assert short[order[0]] == "postgresql15"
    assert runs(row, order, short) == [("postgresql15–postgresql17", "x"), ("postgresql18", "y")]
    row.cells[order[1]] = Cell("not run", "not run")  # left out, and no range spans it
    assert runs(row, order, short)[0] == ("postgresql15", "x")


def test_report_md_of_the_full_matrix_stays_under_512_kib(
    sqlite_run: dict[str, Any],
) -> None:
    """Every cell of the full matrix (nox -s matrix), each holding a real SQLite run's
    observations: the Markdown lists values as ranges, without SQL."""
    cells = [entry["session"][7:-1] for entry in fanout.sessions(["-s", "matrix"])]
    assert len(cells) > 100
    parts = []
    for rank, cell in enumerate(cells):
        part = json.loads(json.dumps(sqlite_run).replace('"sqlite"', f'"{cell}"'))
        part["configurations"][cell]["backend"] = "sqlite"
        part["configurations"][cell]["configuration"] = rank
        parts.append(part)
    md = markdown.render(results.merge(parts))
    assert len(md.encode()) <= 512 * 1024


def test_the_terminal_summary_names_the_behaviours_in_which_a_backend_differs(
    tmp_path: Path,
) -> None:
    server_url("postgresql")
    parts = [
        run_matrix(backend, tmp_path / backend, None, "-k", "orphan_post").results
        for backend in ("sqlite", "postgresql")
    ]
    lines = summary.render(results.merge(p for p in parts if p)).splitlines()
    assert (
        "sqlite differs from the other backends in 2 behaviour(s): "
        "one_to_many.orphan_post · orphan post, default settings; "
        "one_to_many.orphan_post · error"
    ) in lines


def test_timings_are_never_compared_and_an_observed_value_always_is(
    sqlite_run: dict[str, Any],
) -> None:
    """Against a baseline, a run whose every timing differs (scenario durations, pauses
    and teardowns, measurements, the configuration's duration, round trip, CPU and start) has
    no change; one observed value changed is a behaviour change."""
    timed = json.loads(json.dumps(sqlite_run))
    timed["generated_at"] = "2030-01-01T00:00:00+00:00"
    for configuration in timed["configurations"].values():
        configuration.update(duration_s=999.0, round_trip_s=1.0, cpu_s=99.0)
        configuration.update(started_at="2030-01-01T00:00:00")
    for entry in timed["scenarios"].values():
        for cell in entry["cells"].values():
            cell["duration_s"] = cell["duration_s"] * 3 + 1
            cell["paused_s"] = cell["teardown_s"] = 9.0
            for series in cell["measurements"].values():
                for points in series.values():
                    points.update({x: y * 10 + 1 for x, y in points.items()})
    unchanged = compare(sqlite_run, timed)
    assert unchanged.lines() == []
    assert not unchanged.behaviour_changed
    first = next(e for e in timed["scenarios"].values() if e["cells"]["sqlite"]["observed"])
    key = next(iter(first["cells"]["sqlite"]["observed"]))
    first["cells"]["sqlite"]["observed"][key] = "something else"
    changed = compare(sqlite_run, timed)
    assert changed.behaviour_changed
    assert [line for line in changed.cells if key in line and "something else" in line]


# -- what else a configuration's answers depend on (issue 35, item 7) ----------------


def test_a_column_records_alembic_greenlet_and_the_clients_time_zone(tmp_path: Path) -> None:
    """Every naive datetime depends on the client process's zone, which a machine in UTC
    hides: the configuration records it as the process saw it, with Alembic's and greenlet's
    versions, and both reports show them in the Configurations table and on hover."""
    run = run_matrix("sqlite", tmp_path, {"TZ": "Asia/Kolkata"}, "-k", "orphan_post")
    assert run.returncode == 0, run.output
    assert run.results is not None
    configuration = valid(run.results)["configurations"]["sqlite"]
    assert configuration["client_time_zone"] == "Asia/Kolkata: IST +05:30"
    assert configuration["alembic"] == importlib.metadata.version("alembic")
    assert configuration["greenlet"] == importlib.metadata.version("greenlet")
    assert configuration["driver_implementation"] is None  # pysqlite has one implementation
    shown = (
        f"Alembic {configuration['alembic']} · greenlet {configuration['greenlet']} · "
        "client time zone Asia/Kolkata: IST +05:30"
    )
    assert f"| {shown} |" in markdown.render(run.results)
    page = html.render(run.results)
    assert f"<td>{shown}</td>" in page
    assert f" · {shown}" in page.split('<tr class="configs">', 1)[1].split("</tr>", 1)[0]


def test_a_psycopg_column_records_which_of_its_implementations_ran() -> None:
    """psycopg wraps libpq in C, in its binary wheel or in Python (psycopg.pq.__impl__);
    each may answer differently, so the configuration says which ran, beside its version."""
    server_url("postgresql")
    import psycopg

    _, run = run_alone("postgresql", adhoc_scenario(_observes_one))
    document = valid(run.as_results())
    configuration = document["configurations"][run.configuration]
    assert configuration["driver_implementation"] == psycopg.pq.__impl__
    assert configuration["async_driver_implementation"] == psycopg.pq.__impl__
    version = configuration["driver_version"]
    assert f"psycopg {version} ({psycopg.pq.__impl__}) + psycopg_async" in markdown.render(document)


def test_a_mysql_connector_column_says_whether_its_c_extension_ran() -> None:
    """mysql-connector runs its C extension where it is installed, else pure Python:
    read from the class of the connection it opened."""
    server_url("mariadb")
    import mysql.connector

    run = BackendRun(BACKENDS["mariadb"], driver="mysqlconnector")
    run.start()
    try:
        assert run.status == "ran", run.reason
        implementation = recorded.describe(run)["driver_implementation"]
    finally:
        run.finish()
    assert implementation == ("C extension" if mysql.connector.HAVE_CEXT else "pure Python")


def test_a_file_from_before_these_were_recorded_still_loads_and_changes_nothing(
    tmp_path: Path,
) -> None:
    _, run = run_alone("sqlite", adhoc_scenario(_observes_one))
    current = run.as_results()
    older = json.loads(json.dumps(current))
    for key in diff_module.RECORDED_LATER:
        del older["configurations"][run.configuration][key]
    results.save(older, tmp_path / "old.json")
    loaded = valid(results.load(tmp_path / "old.json"))
    python = loaded["configurations"][run.configuration]["python"]
    assert f"| {python} | — |" in markdown.render(loaded)  # "also ran on": not recorded
    assert compare(loaded, current).lines() == []
    changed = json.loads(json.dumps(current))
    changed["configurations"][run.configuration]["client_time_zone"] = "Europe/Paris: CET +01:00"
    assert compare(changed, current).backends == [
        f"{run.configuration}: client_time_zone Europe/Paris: CET +01:00 → "
        f"{recorded.client_time_zone()}"
    ]
