"""Three kinds of "no" beside "documented", expectations that hold for some configurations only,
and the flag a known problem raises when it stops reproducing."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from packaging.version import Version

from sqla_matrix import results
from sqla_matrix.expect import Facts, KnownBug, Spec, Unsupported, When, judge
from sqla_matrix.releases import INSTALLED
from sqla_matrix.report import markdown
from sqla_matrix.report.diff import compare
from sqla_matrix.scenario import ByBackend, Context, Doc, scenario
from tests.conftest import ROOT, adhoc_scenario, run_alone, valid

ISSUE = "https://github.com/sqlalchemy/sqlalchemy/issues/11917"
MARIADB_10_11 = Facts(
    "mariadb",
    Version("10.11.19"),
    ("pymysql", "aiomysql"),
    Version("2.0.35"),
    driver_versions={"pymysql": Version("1.1.1"), "aiomysql": Version("0.2.0")},
)


@pytest.mark.parametrize(
    ("spec", "matches"),
    [
        ("mariadb", True),
        ("mariadb>=10.5", True),
        ("mariadb>=10.12", False),
        ("mariadb<11", True),
        ("mysql", False),
        ("+aiomysql", True),
        ("mariadb+mysqldb", False),
        # beside a driver, a version is the driver's (PyMySQL 1.1.1), never the server's
        ("+pymysql<1.2", True),
        ("+pymysql>=10", False),
        ("mariadb+pymysql>=1.1", True),
        ("+mysqldb<9", False),
        ("sqlalchemy<2.0.36", True),
        ("mariadb>=10.5 sqlalchemy>=2.0.36", False),
    ],
)
def test_a_spec_names_backends_server_versions_drivers_and_releases(
    spec: str, matches: bool
) -> None:
    assert Spec.parse(spec, ("pymysql", "aiomysql", "mysqldb")).matches(MARIADB_10_11) is matches


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: When({"postgress": Doc(1, "https://x")}), "unknown backend 'postgress'; known:"),
        (lambda: When({"+psycopg3": Doc(1, "https://x")}), "unknown driver 'psycopg3'; known:"),
        (lambda: ByBackend(postgres=Doc(1, "https://x")), r"ByBackend\(postgres=...\): no such"),
        (lambda: scenario("t", backends=("postgress",)), "unknown backend 'postgress'; known:"),
        (lambda: scenario("t", backends=("sqlite+pysqlit",)), "unknown driver 'pysqlit'; known:"),
        (
            lambda: scenario("t", backends=("sqlite+pymysql",)),
            "pymysql is a driver of mysql, mariadb, not of sqlite",
        ),
        (lambda: scenario("t", backends=("mariadb>=ten",)), "'ten' is not a version"),
    ],
)
def test_a_name_that_no_backend_or_driver_has_is_refused_when_written(
    make: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_each_kind_marks_what_it_sees_and_flags_what_went_away() -> None:
    bug = KnownBug("stale", ISSUE, fixed_in="2.0.36")
    lacking = Unsupported("refused: MySQL 1064", "no RETURNING", "https://dev.mysql.com/")
    assert [judge(bug, "stale"), judge(bug, "expired")] == ["known bug", "known bug no longer seen"]
    assert [judge(lacking, "refused: MySQL 1064"), judge(lacking, "1 row(s) returned")] == [
        "not supported",
        "started to work",
    ]


def _observes(**values: Any) -> Any:
    def observe(ctx: Context) -> dict[str, Any]:
        return dict(values)

    return observe


def test_on_a_real_configuration_the_expectation_of_its_release_applies() -> None:
    """Both sides of a change are documented: the configuration passes on whichever release
    it has."""
    expect: dict[str, Any] = {
        "value": When(
            {
                f"sqlalchemy<{INSTALLED}": KnownBug("old", ISSUE, fixed_in=str(INSTALLED)),
                f"sqlalchemy>={INSTALLED}": Doc("new", "https://docs.sqlalchemy.org/"),
            }
        )
    }
    cell, _ = run_alone("sqlite", adhoc_scenario(_observes(value="new"), expect))
    assert cell["status"] == "pass"
    assert cell["marks"] == {"value": "pass"}
    assert cell["expected"]["value"]["kind"] == "documented"


@pytest.fixture(scope="module")
def known_bug_runs() -> tuple[dict[str, Any], dict[str, Any]]:
    """The same scenario on SQLite twice: once showing its known bug, once not."""
    expect: dict[str, Any] = {"value": KnownBug("stale", ISSUE, fixed_in="2.0.36")}
    documents = []
    for seen in ("stale", "expired"):
        _, run = run_alone("sqlite", adhoc_scenario(_observes(value=seen), expect))
        documents.append(run.as_results())
    return documents[0], documents[1]


def test_a_known_bug_seen_is_its_own_kind_not_a_mismatch(
    known_bug_runs: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    before, _ = known_bug_runs
    cell = next(iter(before["scenarios"]["tests.observe"]["cells"].values()))
    assert (cell["status"], cell["marks"], cell["mismatches"]) == (
        "pass",
        {"value": "known bug"},
        [],
    )
    assert cell["expected"]["value"] == {
        "value": "stale",
        "source": ISSUE,
        "kind": "known bug",
        "issue": ISSUE,
        "fixed_in": "2.0.36",
        "workaround": "",
    }
    assert "| value | `stale` [docs](" in markdown.render(before)
    assert "`stale` 🐛" in markdown.render(before)


def test_a_known_bug_no_longer_seen_is_flagged_in_the_report_and_the_baseline_diff(
    known_bug_runs: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    before, after = known_bug_runs
    report = markdown.render(after)
    assert "## No longer reproducing" in report
    assert "known bug no longer seen: [tests.observe](#r-tests-observe) · value on " in report
    changes = compare(before, after)
    configuration = next(iter(after["configurations"]))
    assert changes.flags == [
        f"known bug no longer seen: tests.observe · {configuration} · value ({ISSUE})"
    ]
    assert changes.lines()[0] == changes.flags[0]


def test_a_schema_2_file_reads_in_todays_layout(
    known_bug_runs: tuple[dict[str, Any], dict[str, Any]], tmp_path: Any
) -> None:
    old = copy.deepcopy(known_bug_runs[0])
    old["schema_version"] = 2
    old["columns"] = old.pop("configurations")  # schema 2 and 3's name for them
    for entry in old["scenarios"].values():
        for cell in entry["cells"].values():
            cell.pop("marks"), cell.pop("why_not_run")
            for doc in cell["expected"].values():
                for field in ("kind", "issue", "fixed_in", "workaround"):
                    doc.pop(field)
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    loaded = results.load(path)
    cell = next(iter(loaded["scenarios"]["tests.observe"]["cells"].values()))
    assert loaded["schema_version"] == results.SCHEMA_VERSION
    assert cell["expected"]["value"]["kind"] == "documented"
    assert cell["marks"] == {"value": "pass"}  # schema 2 knew only documented values


@pytest.mark.parametrize("version", [3, 4])
def test_schema_3_and_4_files_load_in_todays_layout(version: int) -> None:
    """Files the harness wrote before schema 5 (tests/data/: a part of the reference run,
    saved by the code of then: 4 is 3 in the compact form) name configurations "columns"
    and a cell's kind of "no" "kind"; they load with today's names, each release
    configuration's cell expanded."""
    path = ROOT / "tests" / "data" / f"results-schema{version}.json"
    raw = json.loads(path.read_text())
    assert raw["schema_version"] == version
    loaded = results.load(path)
    assert loaded["schema_version"] == results.SCHEMA_VERSION and "compact" not in loaded
    assert "columns" not in loaded and list(loaded["configurations"]) == list(raw["columns"])
    entry = loaded["scenarios"]["row_locks.locks_and_loaders"]
    assert set(entry["cells"]) == set(raw["columns"])
    assert entry["cells"]["sqla2.0.0-sqlite-pysqlite"]["why_not_run"] == "not supported"
    assert not any("kind" in cell for cell in entry["cells"].values())
    valid(loaded)
