"""report.html in a real browser: headless Chromium (Debian's chromium package) driven by
Playwright opens a report of two real configurations and uses its filters as a reader would.
A picture of the first screen goes to report/report-first-screen.png (CI's artifact).

The browser is $MATRIX_BROWSER, else chromium on the PATH; without one the tests
are skipped, unless MATRIX_BROWSER names one that is missing (then they fail).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sqla_matrix import results
from sqla_matrix.compare import compare
from sqla_matrix.report import html
from sqla_matrix.report.view import anchor, configuration_order, differences, topics
from tests.conftest import ROOT, run_matrix, server_url

playwright = pytest.importorskip("playwright.sync_api")

SCENARIOS = "one_to_many or server_time or driver_values"


def _browser() -> str:
    named = os.environ.get("MATRIX_BROWSER")
    if named:
        assert Path(named).exists(), f"MATRIX_BROWSER={named} does not exist"
        return named
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("no Chromium here (Debian: apt-get install chromium)")
    return found


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, results.Results]:
    """A report of SQLite and PostgreSQL (through psycopg and through psycopg2), each
    running a few topics for real."""
    tmp = tmp_path_factory.mktemp("browser")
    server_url("postgresql")
    parts = [
        run_matrix(
            backend,
            tmp / driver,
            None,
            f"--matrix-configuration=sqla21-{backend}-{driver}",
            f"--matrix-driver={driver}",
            "-k",
            SCENARIOS,
        )
        for backend, driver in (
            ("sqlite", "pysqlite"),
            ("postgresql", "psycopg"),
            ("postgresql", "psycopg2"),
        )
    ]
    merged = results.merge(part.results for part in parts if part.results)
    page = tmp / "report.html"
    page.write_text(html.render(merged))
    return page, merged


@pytest.fixture
def page(report: tuple[Path, results.Results]) -> Iterator[Any]:
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=_browser(), args=["--no-sandbox"])
        opened = browser.new_page(viewport={"width": 1400, "height": 900})
        opened.goto(report[0].as_uri())
        yield opened
        browser.close()


def _shown_rows(page: Any) -> set[str]:
    ids: list[str] = page.eval_on_selector_all(
        "#matrix tr.row", "rows => rows.filter(r => !r.hidden).map(r => r.id)"
    )
    return set(ids)


def test_only_rows_that_differ_shows_exactly_the_rows_whose_values_differ(
    page: Any, report: tuple[Path, results.Results]
) -> None:
    merged = report[1]
    every = _shown_rows(page)
    (ROOT / "report").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "report" / "report-first-screen.png"))
    page.check("#f-differ")
    differing = {
        anchor(d.scenario.id, d.row.key)
        for d in differences(topics(merged), configuration_order(merged))
    }
    assert differing  # SQLite and PostgreSQL differ in these topics
    assert _shown_rows(page) == differing
    assert len(differing) < len(every)
    assert page.locator("#count").text_content() == f"{len(differing)} behaviour(s) shown"


def test_with_one_backend_left_no_row_differs(page: Any) -> None:
    page.uncheck("#f-backends input[value=postgresql]")
    page.check("#f-differ")
    assert _shown_rows(page) == set()
    assert page.locator("#matrix th[data-backend=postgresql]").first.is_hidden()


def test_the_search_box_keeps_rows_whose_behaviour_or_scenario_matches(page: Any) -> None:
    page.fill("#f-search", "orphan")
    shown = _shown_rows(page)
    assert shown and all("orphan" in row for row in shown)


def _configuration(report: tuple[Path, results.Results], name: str) -> str:
    """The cell selector of a configuration of the matrix (its position in the report)."""
    return f"td.c{configuration_order(report[1]).index(name)}"


def test_clicking_a_value_shows_the_sql_of_its_cell(
    page: Any, report: tuple[Path, results.Results]
) -> None:
    page.fill("#f-search", "orphan post, default settings")
    cell = _configuration(report, "sqla21-postgresql-psycopg")
    page.locator(f"#matrix tr.row:not([hidden]) {cell}").click()
    panel = page.locator("#matrix tr.sql:not([hidden])")
    assert "on sqla21-postgresql-psycopg" in panel.locator(".sql-title").text_content()
    assert "INSERT INTO posts" in panel.locator("pre").text_content()


def test_neighbouring_columns_of_one_backend_with_one_value_are_one_cell(
    page: Any, report: tuple[Path, results.Results]
) -> None:
    page.fill("#f-search", "orphan post, default settings")
    row = page.locator("#matrix tr.row:not([hidden])").first
    psycopg = row.locator(_configuration(report, "sqla21-postgresql-psycopg"))
    psycopg2 = row.locator(_configuration(report, "sqla21-postgresql-psycopg2"))
    first, second = sorted([psycopg, psycopg2], key=lambda c: c.get_attribute("class"))
    spans = [psycopg.evaluate("td => td.colSpan"), psycopg2.evaluate("td => td.colSpan")]
    assert sorted(spans) == [1, 2]  # one of them spans both, the other is merged into it
    assert psycopg.is_visible() != psycopg2.is_visible()
    assert "sqla21-postgresql-psycopg2" in (first if first.is_visible() else second).evaluate(
        "td => { td.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})); return td.title; }"
    )
    sqlite = row.locator(_configuration(report, "sqla21-sqlite-pysqlite"))
    assert sqlite.evaluate("td => td.colSpan") == 1  # never across two backends


def test_the_compare_view_lists_what_the_driver_changes(
    page: Any, report: tuple[Path, results.Results]
) -> None:
    page.select_option("#c-from", "psycopg2")
    page.select_option("#c-to", "psycopg")
    heading = page.locator("#c-result h3").first.text_content()
    assert heading.startswith("sqla21-postgresql-psycopg2 → sqla21-postgresql-psycopg: ")
    listed = page.locator("#c-result table.compared tr").count() - 1
    # The same pairs and the same behaviours as nox -s compare prints.
    expected = compare(report[1], "sqla21-postgresql-psycopg2", "sqla21-postgresql-psycopg")
    assert listed == len(expected.changed) > 0  # the drivers' tzinfo differ, at least
    assert f": {listed} of {listed + expected.same} behaviours differ" in heading
    page.locator("#compare").scroll_into_view_if_needed()
    page.screenshot(path=str(ROOT / "report" / "report-compare.png"))


def test_the_screenshot_command_pictures_a_report_first_screen(
    report: tuple[Path, results.Results], tmp_path: Path
) -> None:
    picture = tmp_path / "first-screen.png"
    environ = {**os.environ, "MATRIX_BROWSER": _browser()}
    command = [sys.executable, "-m", "sqla_matrix.report.screenshot", str(report[0]), str(picture)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environ)
    assert done.returncode == 0, done.stderr
    assert picture.read_bytes().startswith(b"\x89PNG")


def test_the_screenshot_of_no_report_is_one_line(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "sqla_matrix.report.screenshot"]
    command += [str(tmp_path / "x.html"), "o.png"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2
    assert (
        done.stderr.strip() == f"screenshot: {tmp_path / 'x.html'}: no such report; build it first"
    )
