"""The issue's four questions, asked of the site in a real browser (headless Chromium through
Playwright, from file://): type a user's words into the search, open the first page it
offers, and find the answer on that page's first screen. The site is built from a real
SQLite run and the shipped reference results, so MariaDB's and PostgreSQL's answers come
from the reference on a machine without those servers. Pictures of each first screen go
to report/site-*.png.

The browser is $MATRIX_BROWSER, else chromium on the PATH (as tests/test_report_browser.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sqla_matrix.site import pages, reference
from tests.conftest import ROOT
from tests.test_report_browser import _browser
from tests.test_site_pages import REFERENCE, sqlite_run

playwright = pytest.importorskip("playwright.sync_api")

VIEWPORT = {"width": 1300, "height": 900}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("site-browser")
    out = folder / "site"
    pages.build(sqlite_run(folder), reference.load(REFERENCE), out)
    return out


@pytest.fixture
def browser_page(site: Path) -> Iterator[Any]:
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=_browser(), args=["--no-sandbox"])
        opened = browser.new_page(viewport=VIEWPORT)
        errors: list[str] = []
        opened.on("pageerror", lambda error: errors.append(str(error)))
        opened.goto((site / "index.html").as_uri())
        yield opened
        assert errors == []
        browser.close()


def ask(page: Any, words: str, picture: str) -> Any:
    """Type ``words`` into the search, open the first result; its verdict for each backend."""
    page.fill("#search", words)
    first = page.locator("#results li a").first
    first.click()
    page.wait_for_load_state()
    (ROOT / "report").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "report" / f"site-{picture}.png"))
    return page


def verdict(page: Any, backend: str) -> str:
    """The backend's verdict line, which must be on the first screen."""
    line = page.locator("li.verdict", has_text=backend).first
    box = line.bounding_box()
    assert box is not None and box["y"] + box["height"] <= VIEWPORT["height"], backend
    text: str = line.text_content()
    return " ".join(text.split())


def test_does_onupdate_func_now_move_updated_at_after_an_orm_update_on_mariadb(
    browser_page: Any,
) -> None:
    page = ask(browser_page, "mariadb onupdate=func.now() update(User).where updated_at", "1")
    assert "update(Model).where(...)" in page.locator("h1").text_content()
    assert "onupdate" in page.url
    line = verdict(page, "MariaDB")
    assert line.startswith("MariaDB yes")  # it moves
    assert "reference run of" in line  # no MariaDB here: from the shipped reference


def test_how_many_statements_selectinload_sends_for_10_users_on_postgresql(
    browser_page: Any,
) -> None:
    page = ask(browser_page, "selectinload N+1 postgresql statements 10 users", "2")
    assert "selectinload, N=10: statements" in page.locator("h1").text_content()
    assert verdict(page, "PostgreSQL").startswith("PostgreSQL 2 ")
    assert verdict(page, "SQLite").startswith("SQLite 2 ")


def test_does_server_default_give_the_same_time_as_default_datetime_now_on_sqlite(
    browser_page: Any,
) -> None:
    page = ask(browser_page, "server_default=func.now() default=datetime.now same time sqlite", "3")
    assert "server_default=func.now(): clock" in page.locator("h1").text_content()
    assert verdict(page, "SQLite").startswith("SQLite the server's")
    beside = page.locator("table.beside tr", has_text="default=datetime.now: clock").first
    assert "the client's" in beside.text_content()  # the other clock, on the same screen
    assert beside.bounding_box()["y"] < VIEWPORT["height"]


def test_what_tzinfo_psycopg_returns_for_a_timestamptz(browser_page: Any) -> None:
    page = ask(browser_page, "psycopg tzinfo timestamptz", "4")
    assert "DateTime(timezone=True)" in page.locator("h1").text_content()
    line = verdict(page, "PostgreSQL")
    assert "tzinfo" in line and "psycopg" in page.content()
