"""The answer-first site: an index of topics and questions, one page per behaviour, and a
search that finds what users type, all static and working from file://.

    python -m sqla_matrix.site.pages [--results report/results.json] [--out report/site]
                                     [--reference reference/results.json] [--scenarios scenarios]

(``nox -s site``.) Each behaviour has its permalink, ``b/<scenario id>/<slug of its key>.html``
(the key stays its id; the page shows its label): the question in a user's words, a verdict
per backend, the grid of every configuration (backend × server version × driver × SQLAlchemy) in
support colours, the release ranges the timeline found, the SQL, the expectation's source,
known bugs and workarounds, and the scenario's other behaviours. Each scenario has a page
listing its behaviours (``b/<scenario id>/index.html``).

Configurations this run could not observe (not run, or absent) are shown from the reference
results that ship with the code (reference/, sqla_matrix/site/reference.py), each marked
"reference run of <date>, <versions>", in rows of their own, never mixed with this run's.

The search index is lunr's (the ``lunr`` package builds what lunr.js reads, as MkDocs'
search does), loaded as a script so that it needs no server and no network.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from packaging.version import InvalidVersion, Version

from sqla_matrix import results
from sqla_matrix.errors import MatrixError
from sqla_matrix.filled import REFERENCE_SUFFIX, combine
from sqla_matrix.report.releases import along, split
from sqla_matrix.report.view import (
    Cell,
    Row,
    ScenarioView,
    configuration_order,
    through_async,
    topics,
)
from sqla_matrix.results import ERROR, NOT_RUN, RAN
from sqla_matrix.site import reference as reference_results
from sqla_matrix.site.words import Vocabulary, search_text, slug, vocabulary

HERE = Path(__file__).parent
#: Where each behaviour's page is, from the site's root.
BEHAVIOURS = "b"
#: Scenarios with more behaviours than this list them without their verdicts (page size).
LONG_SCENARIO = 100
#: The statements shown per backend on a page, each cut at this many characters.
STATEMENTS_SHOWN, SQL_CHARS = 6, 400
#: Neighbouring behaviours listed on a page (the scenario page lists them all).
NEIGHBOURS = 24
#: Behaviours listed under a scenario on the index (the scenario page lists them all).
ON_INDEX = 12

#: A mark (sqla_matrix/report/view.py) -> (support class, what it says)
SUPPORT = {
    "pass": ("documented", "as documented"),
    "mismatch": ("differs", "differs from the documentation"),
    "known bug": ("bug", "known bug"),
    "known bug no longer seen": ("differs", "known bug no longer seen"),
    "started to work": ("differs", "started to work, though documented as not supported"),
    "not supported": ("unsupported", "not supported"),
    "never observed": ("unobserved", "not observed"),
    "": ("observed", "observed; no documented expectation"),
    "error": ("error", "error"),
}
#: The support legend, in the order the grid's colours are explained.
LEGEND = [
    ("documented", "as documented"),
    ("differs", "differs from the documentation"),
    ("bug", "known bug"),
    ("unsupported", "not supported"),
    ("unobserved", "not observed"),
    ("notrun", "not run"),
    ("observed", "observed, no documented expectation"),
    ("error", "error"),
]
#: The worst support first: a backend's verdict carries the worst of its configurations'.
WORST = ["bug", "unsupported", "differs", "error", "documented", "observed", "unobserved"]


@dataclass
class GridRow:
    configuration: str
    backend: str
    server: str
    driver: str
    sqlalchemy: str
    value: str
    support: str  # a class of LEGEND
    says: str
    documented: str | None
    origin: str  # "" (this run) or "reference run of <date>"


@dataclass
class Verdict:
    backend: str
    text: str
    support: str
    says: str
    origin: str


@dataclass
class Behaviour:
    scenario: ScenarioView
    key: str
    label: str
    path: str
    question: str
    synonyms: list[str]
    verdicts: list[Verdict] = field(default_factory=list)
    grid: list[GridRow] = field(default_factory=list)


def _backend_name(backend: str) -> str:
    """The product's own name, as its backend module gives it ("PostgreSQL")."""
    from sqla_matrix import catalog

    declared = catalog.declared()
    return declared[backend].title if backend in declared else backend


def _server(configuration: dict[str, Any]) -> str:
    version = str(
        configuration.get("server_version") or configuration.get("server_requested") or ""
    )
    return version.split(" ")[0].split("-")[0] or "—"


def _support(cell: Cell, status: str) -> tuple[str, str]:
    if cell.mark == NOT_RUN:
        if cell.text == "not supported":
            return "unsupported", "not supported"
        if cell.text in ("not observed here", "not in this release"):
            return "unobserved", cell.text
        return "notrun", "not run"
    if cell.mark == ERROR:
        return "error", "error"
    if cell.text == "—" and cell.mark in ("", "never observed"):
        return "unobserved", "not observed"
    return SUPPORT.get(cell.mark, ("observed", cell.mark))


def _grid(
    row: Row, order: list[str], merged: results.Results, origin: dict[str, str], key: str
) -> list[GridRow]:
    grid = []
    for name in order:
        configuration = merged["configurations"][name]
        cell = row.cells[name]
        if cell.text == "absent":  # the configuration holds no cell of this scenario
            continue
        support, says = _support(cell, configuration.get("status", ""))
        driver = str(configuration.get("driver") or "—")
        if through_async(key) and configuration.get("async_driver"):
            driver = f"{configuration['async_driver']} (the asyncio partner of {driver})"
        grid.append(
            GridRow(
                configuration=name.removesuffix(REFERENCE_SUFFIX),
                backend=str(configuration.get("backend")),
                server=_server(configuration) if configuration.get("status") == RAN else "—",
                driver=driver,
                sqlalchemy=str(configuration.get("sqlalchemy") or "—"),
                value=cell.text if configuration.get("status") == RAN else NOT_RUN,
                support=support if configuration.get("status") == RAN else "notrun",
                says=says
                if configuration.get("status") == RAN
                else str(configuration.get("reason") or ""),
                documented=cell.documented,
                origin=origin.get(name, ""),
            )
        )
    return grid


def _verdicts(grid: list[GridRow]) -> list[Verdict]:
    """One line per backend: this run's values where it observed the behaviour, else the
    reference run's (said so)."""
    verdicts = []
    for backend in dict.fromkeys(g.backend for g in grid):
        rows = [g for g in grid if g.backend == backend]
        observed = [g for g in rows if g.support not in ("notrun", "unobserved", "error")]
        here = [g for g in observed if not g.origin]
        shown = here or observed
        if not shown:
            why = rows[0].says if all(g.support == "notrun" for g in rows) else ""
            unobserved = [g for g in rows if g.support == "unobserved"]
            says = unobserved[0].says if unobserved else "not run" + (f": {why}" if why else "")
            kind = "unobserved" if unobserved else "notrun"
            verdicts.append(Verdict(_backend_name(backend), says, kind, says, ""))
            continue
        values: dict[str, list[GridRow]] = {}
        for g in shown:
            values.setdefault(g.value, []).append(g)
        if len(values) == 1:
            (value,) = values
            count = len(shown)
            text = f"{value} (all {count} configurations)" if count > 1 else value
        else:
            text = "; ".join(
                f"{value} ({_configurations_named(cols, shown)})" for value, cols in values.items()
            )
        support = min((g.support for g in shown), key=WORST.index)
        says = next(g.says for g in shown if g.support == support)
        origin = ""
        if not here:  # "reference run of <date>, <this backend's versions>"
            servers = ", ".join(sorted({g.server for g in shown}))
            releases = ", ".join(sorted({g.sqlalchemy for g in shown}, key=_release))
            day = shown[0].origin.split(",")[0]
            origin = f"{day}, {_backend_name(backend)} {servers}, SQLAlchemy {releases}"
        verdicts.append(Verdict(_backend_name(backend), text, support, says, origin))
    return verdicts


def _release(version: str) -> Version:
    try:
        return Version(version)
    except InvalidVersion:
        return Version("0")


def _configurations_named(configurations: list[GridRow], every: list[GridRow]) -> str:
    """The configurations holding one value, named by the axes on which the backend's configurations
    (``every``) vary, an axis left out where the value holds for all of it: ``psycopg2,
    pg8000``, ``psycopg · SQLAlchemy 2.0.58``."""
    parts = []
    for axis, named in (("driver", ""), ("server", "server "), ("sqlalchemy", "SQLAlchemy ")):
        mine = list(dict.fromkeys(getattr(g, axis).split(" (")[0] for g in configurations))
        all_of_it = {getattr(g, axis).split(" (")[0] for g in every}
        if len(all_of_it) > 1 and set(mine) != all_of_it:
            parts.append(named + ", ".join(mine[:4]) + (" …" if len(mine) > 4 else ""))
    return " · ".join(parts) or f"{len(configurations)} configurations"


def _expectations(merged: results.Results, scenario_id: str, key: str) -> list[dict[str, Any]]:
    """Each distinct expectation of ``key``, with the backends it is for."""
    found: dict[str, dict[str, Any]] = {}
    for name, cell in merged["scenarios"][scenario_id]["cells"].items():
        doc = cell.get("expected", {}).get(key)
        if doc is None:
            continue
        ident = json.dumps(doc, sort_keys=True, default=str)
        entry = found.setdefault(ident, {**doc, "backends": []})
        backend = _backend_name(str(merged["configurations"].get(name, {}).get("backend")))
        if backend not in entry["backends"]:
            entry["backends"].append(backend)
    return list(found.values())


def _statements(
    merged: results.Results, scenario_id: str, order: list[str], origin: dict[str, str]
) -> list[dict[str, Any]]:
    """Per backend, the SQL of its first configuration that kept any (this run's first)."""
    shown: dict[str, dict[str, Any]] = {}
    cells = merged["scenarios"][scenario_id]["cells"]
    for name in sorted(order, key=lambda n: bool(origin.get(n))):
        backend = str(merged["configurations"][name].get("backend"))
        statements = cells.get(name, {}).get("statements") or []
        if backend in shown or not statements:
            continue
        sql = [_cut(str(s.get("sql", ""))) for s in statements[:STATEMENTS_SHOWN]]
        shown[backend] = {
            "backend": _backend_name(backend),
            "configuration": name.removesuffix(REFERENCE_SUFFIX),
            "origin": origin.get(name, ""),
            "sql": sql,
            "more": len(statements) - len(sql),
        }
    return list(shown.values())


def _cut(sql: str) -> str:
    return sql if len(sql) <= SQL_CHARS else sql[:SQL_CHARS] + " …"


def _releases(merged: results.Results, scenario_id: str, key: str) -> list[dict[str, Any]]:
    return [
        r
        for r in merged.get("releases", [])
        if r.get("scenario") == scenario_id and r.get("key") == key
    ]


def _module(scenario_id: str, package: str) -> tuple[str, str]:
    """The scenario's module (under ``package``) and its function name."""
    topic, _, function = scenario_id.rpartition(".")
    return f"{package}.{topic}" if package else topic, function


@dataclass
class Site:
    pages: int
    bytes: int
    index_bytes: int
    largest: tuple[str, int]
    seconds: float
    drift: list[str]


@dataclass
class _Search:
    """What the search index holds: each page's words, and what a result shows of it
    ([title, line, scenario])."""

    documents: list[dict[str, str]] = field(default_factory=list)
    shown: dict[str, list[str]] = field(default_factory=dict)

    def add(self, path: str, title: str, synonyms: str, body: str, shown: list[str]) -> None:
        self.documents.append({"id": path, "title": title, "synonyms": synonyms, "body": body})
        self.shown[path] = shown


def build(
    local: results.Results | None,
    reference: results.Results | None,
    out: Path,
    package: str = "scenarios",
    catalogue_drift: list[str] | None = None,
) -> Site:
    """Write the site into ``out`` (replacing it); what it holds."""
    started = time.perf_counter()
    if local is None and reference is None:
        raise MatrixError("no results to build the site from (nox -s report, or reference/)")
    merged, origin = combine(local, reference)
    # The release history's configurations read as ranges on each page; the grid shows the others.
    ranges: dict[tuple[str, str], list[tuple[str, list[Any]]]] = {}
    for line in along(merged):
        for found in line.rows:
            ranges.setdefault((found.scenario.id, found.key), []).append((line.title, found.spans))
    merged = split(merged)
    order = configuration_order(merged)
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    _start(out)
    common = {
        "legend": LEGEND,
        "references": sorted({o for o in origin.values() if o}),
        "generated_at": merged.get("generated_at", ""),
        "here": bool(local),
    }
    search = _Search()
    index_topics = []
    pages = 0
    vocabularies: dict[str, Vocabulary] = {}
    for topic in topics(merged):
        listed = []
        for scenario in topic.scenarios:
            module, function = _module(scenario.id, package)
            words = vocabularies.setdefault(module, vocabulary(module))
            rows = [r for r in scenario.rows if r.key != "(no observation)"]
            behaviours = _behaviours(scenario, rows, words, function, merged, order, origin)
            statements = _statements(merged, scenario.id, order, origin)
            scenario_path = f"{BEHAVIOURS}/{scenario.id}/index.html"
            for place, behaviour in enumerate(behaviours):
                page = env.get_template("behaviour.html.j2").render(
                    root="../../",
                    b=behaviour,
                    scenario=scenario,
                    topic=topic.name,
                    scenario_path=scenario_path,
                    expectations=_expectations(merged, scenario.id, behaviour.key),
                    releases=_releases(merged, scenario.id, behaviour.key),
                    ranges=ranges.get((scenario.id, behaviour.key), []),
                    statements=statements,
                    near=_near(behaviours, place),
                    beside=_beside(behaviours, place),
                    total=len(behaviours),
                    **common,
                )
                _write(out / behaviour.path, page)
                pages += 1
                _index_behaviour(search, behaviour, scenario, topic.name)
            page = env.get_template("scenario.html.j2").render(
                root="../../",
                verdicts=len(behaviours) <= LONG_SCENARIO,
                scenario=scenario,
                topic=topic.name,
                behaviours=behaviours,
                statements=statements,
                **common,
            )
            _write(out / scenario_path, page)
            pages += 1
            sql = [s for block in statements for s in block["sql"]]
            search.add(
                scenario_path,
                search_text([scenario.title]),
                search_text(words.synonyms_of(function, None)),
                search_text([scenario.doc, topic.name, *sql]),
                [scenario.title, scenario.doc[:220], "scenario"],
            )
            listed.append((scenario, scenario_path, behaviours))
        index_topics.append((topic.name, listed))
    _write(
        out / "index.html",
        env.get_template("index.html.j2").render(
            root="",
            topics=index_topics,
            on_index=ON_INDEX,
            drift=catalogue_drift or [],
            configurations=[
                (
                    name.removesuffix(REFERENCE_SUFFIX),
                    merged["configurations"][name],
                    origin.get(name),
                )
                for name in order
            ],
            **common,
        ),
    )
    _write(out / "search-index.js", _search_index(search.documents, search.shown))
    return _measured(out, pages + 1, time.perf_counter() - started, catalogue_drift or [])


def _beside(behaviours: list[Behaviour], place: int, shown: int = 6) -> list[Behaviour]:
    """What a behaviour page shows beside its own row: the same measure of the scenario's
    other subjects first (``default=datetime.now: clock`` beside ``server_default=func.now():
    clock``), then its neighbours in the scenario's order."""
    measure = behaviours[place].key.rpartition(": ")[2]
    same = [n for n, b in enumerate(behaviours) if b.key.rpartition(": ")[2] == measure]
    near = range(max(0, place - 3), min(len(behaviours), place + 4))
    picked = [n for n in dict.fromkeys([*same[: shown // 2 + 1], *near]) if n != place]
    return [behaviours[n] for n in sorted(picked[:shown])]


def _start(out: Path) -> None:
    """``out`` emptied, with the pages' static files (lunr.js, its licence, script, style)."""
    if out.exists():
        shutil.rmtree(out)
    (out / "static").mkdir(parents=True)
    for asset in ("lunr.min.js", "LUNR-LICENSE.txt", "site.js", "site.css"):
        shutil.copyfile(HERE / "static" / asset, out / "static" / asset)


def _index_behaviour(
    search: _Search, behaviour: Behaviour, scenario: ScenarioView, topic: str
) -> None:
    """A behaviour page in the search: its label and key, synonyms, and the values, drivers
    and backends on it; a result shows its verdicts."""
    # Sorted: the same results give the same index, byte for byte.
    values = sorted({g.value for g in behaviour.grid if g.support != "notrun"})
    drivers = sorted({g.driver for g in behaviour.grid})
    body = [scenario.title, topic, *(value[:200] for value in values), *drivers]
    verdicts = " · ".join(
        f"{v.backend}: {v.text}" + (" (reference run)" if v.origin else "")
        for v in behaviour.verdicts
    )
    search.add(
        behaviour.path,
        search_text([behaviour.label, behaviour.key]),
        search_text(behaviour.synonyms),
        search_text([*body, *(v.backend for v in behaviour.verdicts)]),
        [behaviour.label, verdicts[:260], scenario.title],
    )


def _measured(out: Path, pages: int, seconds: float, drift: list[str]) -> Site:
    """What was written into ``out``: pages, bytes, the index's and the largest page's size."""
    sizes = {str(p.relative_to(out)): p.stat().st_size for p in out.rglob("*.html")}
    largest = max((kv for kv in sizes.items() if kv[0] != "index.html"), key=lambda kv: kv[1])
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return Site(pages, total, sizes["index.html"], largest, seconds, drift)


def _behaviours(
    scenario: ScenarioView,
    rows: list[Row],
    words: Vocabulary,
    function: str,
    merged: results.Results,
    order: list[str],
    origin: dict[str, str],
) -> list[Behaviour]:
    taken: set[str] = set()
    found = []
    for row in rows:
        label = words.label(row.key)
        name = slug(row.key)
        while name in taken:  # two keys with one slug: the later gets a suffix, stably
            name += "-2"
        taken.add(name)
        grid = _grid(row, order, merged, origin, row.key)
        behaviour = Behaviour(
            scenario=scenario,
            key=row.key,
            label=label,
            path=f"{BEHAVIOURS}/{scenario.id}/{name}.html",
            question=f"{scenario.title}: {label}",
            synonyms=words.synonyms_of(function, row.key),
            grid=grid,
        )
        behaviour.verdicts = _verdicts(grid)
        found.append(behaviour)
    return found


def _near(behaviours: list[Behaviour], place: int) -> list[Behaviour]:
    half = NEIGHBOURS // 2
    start = max(0, min(place - half, len(behaviours) - NEIGHBOURS))
    return behaviours[start : start + NEIGHBOURS]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _search_index(documents: list[dict[str, str]], shown: dict[str, list[str]]) -> str:
    """lunr's index of ``documents`` (and what each result shows), as a script that sets
    ``window.SQLA_SEARCH``: read by <script src>, which file:// allows (fetch does not)."""
    from lunr import lunr

    # Each page is referred to by its number (the index repeats a reference for each word
    # it holds): the docs list maps it back to the page's path and what a result shows.
    numbered = [{**doc, "id": str(n)} for n, doc in enumerate(documents)]
    listed = [[doc["id"], *shown[doc["id"]]] for doc in documents]
    index = lunr(
        ref="id",
        fields=[
            {"field_name": "title", "boost": 10},
            {"field_name": "synonyms", "boost": 6},
            {"field_name": "body", "boost": 1},
        ],
        documents=numbered,
    )
    data = {"index": index.serialize(), "docs": listed}
    return "window.SQLA_SEARCH = " + json.dumps(data, separators=(",", ":")) + ";\n"


def _load(path: Path | None) -> results.Results | None:
    if path is None or not path.exists():
        return None
    return results.load(path)


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sqla_matrix.site.pages", description=__doc__)
    parser.add_argument("--results", type=Path, default=Path("report/results.json"))
    parser.add_argument("--reference", type=Path, default=reference_results.DEFAULT)
    parser.add_argument("--out", type=Path, default=Path("report/site"))
    parser.add_argument("--scenarios", default="scenarios", help="the scenarios' package")
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        local = _load(args.results)
        reference = reference_results.load(args.reference) if args.reference.exists() else None
        drift = reference_results.drift(reference, args.scenarios) if reference is not None else []
        site = build(local, reference, args.out, args.scenarios, drift)
    except MatrixError as error:
        print(f"site: {error}", file=sys.stderr)
        return 2
    if local is None:
        print(f"site: no {args.results}: the reference results alone")
    print(
        f"site: {site.pages} pages, {site.bytes / 1e6:.1f} MB in {args.out} "
        f"(index.html {site.index_bytes / 1e3:.0f} KB, largest page {site.largest[0]} "
        f"{site.largest[1] / 1e3:.0f} KB) in {site.seconds:.1f} s"
    )
    for line in site.drift:
        print(f"site: reference: {line}")
    print(f"site: open {(args.out / 'index.html').resolve().as_uri()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
