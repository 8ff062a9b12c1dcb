"""The answer-first site (sqla_matrix/site/pages.py) built from a real SQLite run and the
reference results that ship in reference/: a page per behaviour at its permalink, labels
in plain words, the asyncio partner named, the reference's configurations marked as such, the
reference checked against the scenario catalogue, and the sizes the issue asks for."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from sqla_matrix import results
from sqla_matrix.site import pages, reference
from tests.conftest import ROOT, run_matrix

REFERENCE = ROOT / "reference" / "results.json"
SCENARIOS = "server_time or driver_values or insert_defaults or loading or onupdate"
LOCAL = "sqla21-sqlite-pysqlite"


def sqlite_run(folder: Path) -> results.Results:
    """A real SQLite configuration, named as the default cell is (the reference has one too)."""
    run = run_matrix(
        "sqlite", folder, None, f"--matrix-configuration={LOCAL}", "--matrix-driver=pysqlite",
        "-k", SCENARIOS,
    )  # fmt: skip
    assert run.returncode == 0, run.output
    assert run.results is not None
    return run.results


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pages.Site]:
    folder = tmp_path_factory.mktemp("site")
    local = sqlite_run(folder)
    out = folder / "site"
    return out, pages.build(local, reference.load(REFERENCE), out)


def _text(page: Path) -> str:
    return re.sub(r"<[^>]+>", "", page.read_text())


def test_an_internal_key_has_its_permalink_and_a_label_in_plain_words(
    site: tuple[Path, pages.Site],
) -> None:
    page = site[0] / "b" / "server_time.values_read_back" / "server-naive.html"
    html = page.read_text()
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert h1 is not None
    assert "server_default=func.now() into DateTime(): what reads back" in h1.group(1)
    assert "<code>server_naive</code>" in html  # the key stays, as the id


def test_a_value_read_through_the_asyncio_partner_names_that_driver(
    site: tuple[Path, pages.Site],
) -> None:
    folder = site[0] / "b" / "driver_values.rowcount"
    (page,) = folder.glob("executemany-update-of-2-rows-1-unchanged-rowcount-async.html")
    html = page.read_text()
    assert "asyncpg (the asyncio partner of psycopg2)" in html  # from the reference
    assert "aiosqlite (the asyncio partner of pysqlite)" in html  # from this run
    sync = folder / "executemany-update-of-2-rows-1-unchanged-rowcount-sync.html"
    assert "asyncio partner" not in sync.read_text()


def test_columns_this_run_did_not_observe_come_from_the_reference_marked_as_such(
    site: tuple[Path, pages.Site],
) -> None:
    page = site[0] / "b" / "insert_defaults.insert_defaults" / "server-default-func-now-clock.html"
    rows = re.findall(r'<tr class="(here|reference)" title="([^"]+)">', page.read_text())
    here = [name for kind, name in rows if kind == "here"]
    shown_from_reference = [name for kind, name in rows if kind == "reference"]
    assert here == [LOCAL]  # this run's one configuration, and only this run's value for it
    assert LOCAL not in shown_from_reference
    assert any("mariadb" in name for name in shown_from_reference)
    day = reference.load(REFERENCE)["generated_at"][:10]
    verdicts = page.read_text().split('id="verdicts"')[1].split("</section>")[0]
    mariadb = next(line for line in verdicts.split("<li") if ">MariaDB<" in line)
    assert f'<span class="ref">reference run of {day}, MariaDB ' in mariadb  # said where from
    sqlite = next(line for line in verdicts.split("<li") if ">SQLite<" in line)
    assert "reference run" not in sqlite  # this run's own


def test_the_shipped_reference_matches_the_scenario_catalogue() -> None:
    assert reference.drift(reference.load(REFERENCE)) == [], "regenerate: nox -s reference"


def test_a_key_gone_from_the_catalogue_or_new_in_it_is_listed_not_shown_silently(
    tmp_path: Path,
) -> None:
    shipped = reference.load(REFERENCE)
    edited = copy.deepcopy(shipped)
    gone = edited["scenarios"].pop("loading.n_plus_one")
    edited["scenarios"]["loading.renamed_long_ago"] = gone
    cell = next(iter(edited["scenarios"]["onupdate.upserts"]["cells"].values()))
    cell["expected"]["a key no scenario documents any more"] = {
        "value": 1, "source": "https://example.invalid", "kind": "documented"
    }  # fmt: skip
    lines = reference.drift(edited)
    assert lines == [
        "loading.renamed_long_ago: in the reference, no longer in the catalogue",
        "loading.n_plus_one: new in the catalogue, the reference lacks it",
        "onupdate.upserts · a key no scenario documents any more: "
        "in the reference, no longer in the catalogue",
    ]
    out = tmp_path / "site"
    pages.build(None, edited, out, catalogue_drift=lines)
    listed = _text(out / "index.html")
    assert all(line in listed for line in lines)


def test_the_index_and_every_page_stay_within_their_sizes(site: tuple[Path, pages.Site]) -> None:
    out, built = site
    assert (out / "index.html").stat().st_size <= 300_000
    for page in (out / "b").rglob("*.html"):
        assert page.stat().st_size <= 60_000, page
    assert built.pages == len(list(out.rglob("*.html")))


def test_the_compact_form_is_a_results_file_that_loads_again(tmp_path: Path) -> None:
    compacted = reference.compact(reference.load(REFERENCE))
    path = tmp_path / "results.json"
    reference.save(compacted, path)
    again = results.load(path)
    assert again["configurations"] == compacted["configurations"]
    assert again["scenarios"] == compacted["scenarios"]
