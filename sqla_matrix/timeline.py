"""The SQLAlchemy timeline's changes, each pinned to the release that made it.

    python -m sqla_matrix.timeline [--results-dir report/results]
                                   [--out report/results/timeline.json]

(``nox -t timeline`` runs this after the timeline's cells.) A *timeline* is
the columns of one backend, server and driver that differ only in their
SQLAlchemy release, oldest first. For every behaviour whose observed value
differs between two neighbouring releases of a timeline, the releases
between them (PyPI's list) are bisected for the first one with the new
value. The questions of one pair are bisected together: each step installs
one release and runs every scenario still asked about in one pytest
subprocess. The findings go into a results document of their own (no
columns, a ``releases`` list), which the report merges like any cell's file
and shows as release ranges: "2.0.0–2.0.35", "since 2.0.36".

Bisection assumes a value changes once between two neighbours; a value seen
in between that is neither end's is reported as the new value where it starts.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import Version

from sqla_matrix import results
from sqla_matrix.bisect import BisectError, releases, run_on_release, value_of
from sqla_matrix.errors import MatrixError

#: A timeline: backend, server version asked for (None: any), sync driver.
Line = tuple[str, str | None, str]


def timelines(document: results.Results, least: int = 2) -> dict[Line, list[str]]:
    """The columns that ran, grouped by backend, server and driver, each group's columns
    ordered by SQLAlchemy release; only groups of at least ``least`` releases."""
    grouped: dict[Line, dict[str, str]] = {}
    for name, column in document["columns"].items():
        if column.get("status") != results.RAN or not column.get("sqlalchemy"):
            continue
        line = (column["backend"], column.get("server_requested"), column.get("driver") or "")
        grouped.setdefault(line, {}).setdefault(column["sqlalchemy"], name)
    return {
        line: [by_release[r] for r in sorted(by_release, key=Version)]
        for line, by_release in grouped.items()
        if len(by_release) >= least
    }


@dataclass
class Question:
    """One behaviour that differs between two neighbouring releases of a timeline."""

    scenario: str
    key: str
    before: str  # the older release, and its value
    before_value: Any
    after: str  # the newer one
    after_value: Any
    #: The releases bisection searches, oldest first: ``before``, those between, ``after``;
    #: it narrows [low, high] to two neighbours.
    chain: list[str] = field(default_factory=list)
    low: int = 0
    high: int = 0
    high_value: Any = None
    observed: dict[str, Any] = field(default_factory=dict)  # release -> value seen

    def __post_init__(self) -> None:
        self.search([])

    def search(self, between: list[str]) -> None:
        """Search the releases ``between`` the two ends (none: the ends are neighbours)."""
        self.chain = [self.before, *between, self.after]
        self.low, self.high, self.high_value = 0, len(self.chain) - 1, self.after_value

    def done(self) -> bool:
        return self.high - self.low <= 1

    def middle(self) -> str:
        return self.chain[(self.low + self.high) // 2]

    def finding(self, line: Line) -> dict[str, Any]:
        backend, server, driver = line
        return {
            "backend": backend,
            "server": server,
            "driver": driver,
            "scenario": self.scenario,
            "key": self.key,
            "before": self.chain[self.low],
            "before_value": self.before_value,
            "first": self.chain[self.high],
            "first_value": self.high_value,
            "observed_between": self.observed,
        }


def questions(document: results.Results, line: Line, columns: list[str]) -> list[Question]:
    """Every behaviour observed on two neighbouring columns of a timeline with two values,
    or not in the older release and observed in the newer (the cost curves are timings:
    never questions)."""
    found = []
    for older, newer in itertools.pairwise(columns):
        old_release = document["columns"][older]["sqlalchemy"]
        new_release = document["columns"][newer]["sqlalchemy"]
        for scenario_id, entry in document["scenarios"].items():
            if "cost" in entry.get("tags", []):
                continue
            old, new = entry["cells"].get(older), entry["cells"].get(newer)
            if (
                not old
                or not new
                or {old["status"], new["status"]} - {results.PASS, results.MISMATCH}
            ):
                continue
            # A key the older release did not have is a question too: bisection checks
            # the release its Since names.
            for key in [*old["observed"], *old.get("unavailable", {})]:
                before, after = value_of(old, key), value_of(new, key)
                if key in new["observed"] and before != after:
                    found.append(
                        Question(scenario_id, key, old_release, before, new_release, after)
                    )
    return found


Runner = Callable[[str, list[str]], dict[str, dict[str, Any]]]


def bisect_together(asked: list[Question], available: list[str], run: Runner) -> int:
    """Bisect every question over the releases between its two ends, sharing steps:
    each round runs each release some question needs once, with every scenario it
    is needed for. Returns the number of releases run."""
    index = {release: i for i, release in enumerate(available)}
    for question in asked:
        question.search(available[index[question.before] + 1 : index[question.after]])
    steps = 0
    while True:
        wanted: dict[str, set[str]] = {}
        for question in asked:
            if not question.done():
                wanted.setdefault(question.middle(), set()).add(question.scenario)
        if not wanted:
            return steps
        for release, scenario_ids in sorted(wanted.items(), key=lambda item: Version(item[0])):
            cells = run(release, sorted(scenario_ids))
            steps += 1
            for question in asked:
                if question.done() or question.middle() != release:
                    continue
                cell = cells.get(question.scenario)
                value = value_of(cell, question.key) if cell else "(not run)"
                question.observed[release] = value
                middle = (question.low + question.high) // 2
                if value == question.before_value:
                    question.low = middle
                else:
                    question.high, question.high_value = middle, value


def pin(document: results.Results, log: Callable[[str], None]) -> list[dict[str, Any]]:
    """Bisect every timeline of ``document`` with three releases or more; the findings."""
    lines = timelines(document, least=3)
    if not lines:
        log("timeline: no timeline of three releases or more in these results")
        return []
    every = [document["columns"][n]["sqlalchemy"] for names in lines.values() for n in names]
    oldest, newest = min(every, key=Version), max(every, key=Version)
    available = releases(oldest, newest)
    folder = Path(tempfile.mkdtemp(prefix="matrix-timeline-"))
    findings: list[dict[str, Any]] = []
    for line, columns in lines.items():
        asked = [
            q
            for q in questions(document, line, columns)
            if q.before in available and q.after in available
        ]

        def run(release: str, scenario_ids: list[str], line: Line = line) -> dict[str, Any]:
            log(f"timeline: {line[0]} · {line[2]}: SQLAlchemy {release}: {len(scenario_ids)} ran")
            return run_on_release(release, scenario_ids, line[0], line[2], folder, line[1])

        steps = bisect_together(asked, available, run)
        log(f"timeline: {line[0]} · {line[2]}: {len(asked)} change(s), {steps} release(s) run")
        findings += [question.finding(line) for question in asked]
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sqla_matrix.timeline", description=__doc__)
    parser.add_argument("--results-dir", type=Path, default=Path("report/results"))
    parser.add_argument("--out", type=Path, help="default: RESULTS_DIR/timeline.json")
    args = parser.parse_args(argv)
    out = args.out or args.results_dir / "timeline.json"
    try:
        parts = [p for p in sorted(args.results_dir.glob("*.json")) if p != out]
        if not parts:
            raise MatrixError(f"{args.results_dir}: no results files; run nox -t timeline")
        document = results.merge(results.load(path) for path in parts)
        findings = pin(document, print)
    except (MatrixError, BisectError) as error:
        print(f"timeline: {error}", file=sys.stderr)
        return 2
    pinned = results.empty()
    pinned["releases"] = findings
    results.save(pinned, out)
    for f in findings:
        print(f"timeline: {f['backend']} {f['scenario']} · {f['key']}: first in {f['first']}")
    print(f"timeline: {len(findings)} change(s) pinned to a release: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
