"""Compare two configurations: what changes when one axis moves.

    python -m sqla_matrix.compare FROM TO [--results report/results.json] [--out report/compare.md]

(``nox -s compare -- psycopg2 psycopg`` runs it on the last run's results.)
FROM and TO are two configuration ids, or two values of one axis: SQLAlchemy
(``sqla20 sqla21``, ``sqla2.0.35 sqla2.0.36``), driver (``psycopg2 psycopg``),
server version (``postgresql15 postgresql18``) or backend (``mysql mariadb``,
their default configurations). Every configuration at FROM is paired with the configuration at TO
that agrees with it on every other axis; for each pair, the behaviours whose
values differ are listed with both values, and the statements whose SQL
differs are shown as a diff. A scenario's warnings (normalised) are one more
behaviour, ``(warnings)``, where either side raised one. A behaviour observed
on one side only (a scenario not run there, an error) is counted apart, never
listed as a change.
The same text is printed and written to ``--out``.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqla_matrix import drivers, results, warned
from sqla_matrix.errors import MatrixError
from sqla_matrix.report.axes import AXES, AXIS_NAMES, Config, axis_values, configs
from sqla_matrix.report.view import driver_behind, show

#: How many lines of SQL diff a scenario shows.
SQL_LINES = 16


def _axis_of(value: str, values: dict[str, set[str]]) -> str | None:
    return next((axis for axis, known in values.items() if value in known), None)


def _position(config: Config, axis: str) -> str:
    if axis == "driver":
        return config.sync_driver
    if axis == "server":
        return f"{config.backend}{config.server}" if config.server else ""
    if axis == "backend":
        return config.backend
    return config.value(axis)


def pairs(found: dict[str, Config], start: str, end: str) -> tuple[str, list[tuple[str, str]]]:
    """The axis FROM and TO move along, and the pairs of configurations that differ only there;
    a one-line error naming the valid values otherwise."""
    if start in found and end in found:
        return "configuration", [(start, end)]
    values = axis_values(found)
    axes = {_axis_of(start, values), _axis_of(end, values)}
    if None in axes or len(axes) != 1:
        unknown = [v for v in (start, end) if _axis_of(v, values) is None]
        if unknown and all(_could_be_a_value(v) for v in unknown):
            raise MatrixError(_not_in_these_results(found, start, end, unknown))
        known = "; ".join(f"{a}: {', '.join(sorted(v))}" for a, v in values.items() if v)
        what = f"{', '.join(map(repr, unknown))} is not" if unknown else "they are not"
        raise MatrixError(
            f"{what} a configuration id or a value of one axis; choose two of one axis ({known}) "
            "or two configuration ids"
        )
    axis = axes.pop()
    assert axis is not None

    def rest(config: Config) -> tuple[str, ...]:
        """Where a configuration sits on every other axis (backends: on SQLAlchemy alone)."""
        if axis == "backend":
            return (config.sqlalchemy,)
        return tuple(_position(config, a) for a in (*AXES, "backend") if a != axis)

    def at(value: str, config: Config) -> bool:
        if _position(config, axis) != value:
            return False
        if axis == "backend":
            return not config.server and config.sync_driver == drivers.default(config.backend)
        return True

    starts = {rest(c): name for name, c in found.items() if at(start, c)}
    ends = {rest(c): name for name, c in found.items() if at(end, c)}
    if not any(k in ends for k in starts):
        raise MatrixError(
            f"no configuration at {start} agrees with one at {end} on every other axis; "
            f"found at {start}: {', '.join(starts.values())}; at {end}: "
            f"{', '.join(ends.values())}; it needs two configurations that differ only in the "
            f"{AXIS_NAMES.get(axis, axis)} (e.g. nox -t {start} -t {end} runs both in one run)"
        )
    return axis, [(starts[k], ends[k]) for k in starts if k in ends]


#: Every driver the harness knows, and the backends: what FROM and TO may name.
_DRIVERS = {name for backend in drivers.defaults() for name in drivers.for_backend(backend)}
_BACKENDS = "|".join(map(re.escape, drivers.defaults()))
_VALUE = re.compile(rf"sqla(\d+|env|\d+\.\d+\.\d+\w*)|({_BACKENDS})([\d.]+)?")


def _could_be_a_value(value: str) -> bool:
    """Whether ``value`` names a value of an axis (a series, a driver, a backend or a
    server version), whether or not these results hold it."""
    return value in _DRIVERS or _VALUE.fullmatch(value) is not None


def _not_in_these_results(found: dict[str, Config], start: str, end: str, absent: list[str]) -> str:
    """Which configurations the results hold, and which it needed: each nox invocation clears the
    last one's results (``nox``, then ``nox -t sqla20``, leaves only sqla20's configurations)."""
    names = ", ".join(found) or "none"
    missing = " or ".join(repr(value) for value in absent)
    return (
        f"no configuration at {missing} in these results; comparing {start} with {end} needs "
        f"configurations at both, and they hold {len(found)}: {names}. Each nox run starts the "
        f"results afresh: run both at once (nox -t {start} -t {end}), or give --results of "
        "a run that has them"
    )


@dataclass
class PairDiff:
    """What changed between two configurations."""

    before: str
    after: str
    #: Each side's configuration, as the results hold it (its drivers name who observed a value).
    configurations: tuple[dict[str, Any], dict[str, Any]] = ({}, {})
    changed: list[tuple[str, str, Any, Any]] = field(default_factory=list)  # scenario, key
    same: int = 0
    one_side: int = 0  # behaviours observed on one side only
    #: The SQL diff (scenario, lines) of each scenario with a changed behaviour...
    sql: list[tuple[str, list[str]]] = field(default_factory=list)
    #: ... and of the scenarios whose SQL differs while every behaviour agrees.
    sql_elsewhere: list[tuple[str, list[str]]] = field(default_factory=list)


def _observed(cell: dict[str, Any] | None) -> dict[str, Any] | None:
    if cell is None or cell.get("status") not in (results.PASS, results.MISMATCH):
        return None
    values: dict[str, Any] = cell.get("observed", {})
    return values


#: A run's namespace name (sqla_matrix/runner.py): each configuration has its own, so it
#: is no difference.
def _sql(cell: dict[str, Any]) -> list[str]:
    """A cell's statements as lines of SQL, each ending with a semicolon, the configuration's
    namespace name written as ``matrix_*``."""
    return [
        warned.NAMESPACE.sub("matrix_*", line)
        for s in cell.get("statements", [])
        for line in f"{s['sql'].rstrip()};".splitlines()
    ]


def compare(document: results.Results, before: str, after: str) -> PairDiff:
    """Every behaviour of two configurations: changed, the same, or observed on one side only."""
    configurations = document["configurations"]
    diff = PairDiff(before, after, (configurations.get(before, {}), configurations.get(after, {})))
    for scenario_id, entry in document["scenarios"].items():
        old_cell, new_cell = entry["cells"].get(before), entry["cells"].get(after)
        old, new = _observed(old_cell), _observed(new_cell)
        if old is None or new is None:
            diff.one_side += len(old or new or {})
            continue
        for key in dict.fromkeys([*old, *new]):
            if key not in old or key not in new:
                diff.one_side += 1
            elif old[key] != new[key]:
                diff.changed.append((scenario_id, key, old[key], new[key]))
            else:
                diff.same += 1
        # The scenario's warnings are one more behaviour, where either side raised one.
        old_warnings, new_warnings = warned.of(old_cell), warned.of(new_cell)
        if old_warnings is not None and new_warnings is not None and old_warnings + new_warnings:
            if old_warnings != new_warnings:
                diff.changed.append((scenario_id, warned.KEY, old_warnings, new_warnings))
            else:
                diff.same += 1
        assert old_cell is not None and new_cell is not None
        lines = list(
            difflib.unified_diff(_sql(old_cell), _sql(new_cell), before, after, n=0, lineterm="")
        )
        if lines:
            changed = any(change[0] == scenario_id for change in diff.changed)
            (diff.sql if changed else diff.sql_elsewhere).append((scenario_id, lines[2:]))
    return diff


def render(axis: str, start: str, end: str, diffs: list[PairDiff]) -> str:
    """The comparison as Markdown (printed, and written to compare.md)."""
    name = AXIS_NAMES.get(axis, axis)
    out = [f"# {start} → {end}", ""]
    if not diffs:
        out.append(f"No two configurations of these results differ only in the {name}.")
        return "\n".join(out) + "\n"
    noun = "pair" if len(diffs) == 1 else "pairs"
    out += [f"{len(diffs)} {noun} of configurations that differ only in the {name}.", ""]
    for d in diffs:
        observed = len(d.changed) + d.same
        out += [
            f"## {d.before} → {d.after}",
            "",
            f"{len(d.changed)} of {observed} behaviours observed on both differ; "
            f"{d.one_side} observed on one side only (not counted).",
            "",
        ]
        if d.changed:
            out += [f"| behaviour | {d.before} | {d.after} |", "|---|---|---|"]
            for scenario_id, key, old, new in d.changed:
                # Each value names the driver that observed it: an "(async)" key's value
                # came through the configuration's asyncio driver (asyncpg beside psycopg2).
                through = [driver_behind(key, configuration) for configuration in d.configurations]
                out.append(
                    f"| {scenario_id} · {_cell(key)} | `{_cell(show(old))}` ({through[0]}) "
                    f"| `{_cell(show(new))}` ({through[1]}) |"
                )
            out.append("")
        if d.sql_elsewhere:
            names = ", ".join(f"`{scenario_id}`" for scenario_id, _ in d.sql_elsewhere[:5])
            more = f" and {len(d.sql_elsewhere) - 5} more" if len(d.sql_elsewhere) > 5 else ""
            out += [
                f"The SQL also differs in {len(d.sql_elsewhere)} scenario(s) whose behaviours "
                f"agree: {names}{more} (report.html shows each).",
                "",
            ]
        if d.sql:
            out += [f"SQL that differs in the scenarios of these behaviours ({len(d.sql)}):", ""]
            for scenario_id, lines in d.sql:
                left = len(lines) - SQL_LINES
                shown = lines[:SQL_LINES] + ([f"... {left} more lines"] if left > 0 else [])
                out += [f"- `{scenario_id}`", "", "```diff", *shown, "```", ""]
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sqla_matrix.compare", description=__doc__)
    parser.add_argument("start", metavar="FROM")
    parser.add_argument("end", metavar="TO")
    parser.add_argument("--results", type=Path, default=Path("report/results.json"))
    parser.add_argument("--out", type=Path, help="default: compare.md beside --results")
    args = parser.parse_args(argv)
    try:
        document = results.load(args.results)
        axis, found = pairs(configs(document), args.start, args.end)
    except MatrixError as error:
        print(f"compare: {error}", file=sys.stderr)
        return 2
    text = render(axis, args.start, args.end, [compare(document, a, b) for a, b in found])
    out = args.out or args.results.with_name("compare.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text, end="")
    print(f"compare: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
