"""Merge the per-backend results and write the report.

    python -m sqla_matrix.report [--results-dir report/results] [--out report]
                             [--baseline OLD/results.json [--fail-on-change]]
    python -m sqla_matrix.report --combine pg15=a/results.json --combine pg17=b/results.json

Writes ``results.json``, ``report.md`` and ``report.html`` into ``--out``
and prints a short summary. With ``--baseline``, the reports open with what
changed since that run (``diff.txt`` lists it too); ``--fail-on-change``
then exits 1 when behaviour changed. With ``--combine``, several runs'
results files become one matrix, each backend a configuration per run
(``postgresql (pg15)``). Exit status 2, with one line, on bad
input (no results, an unreadable or wrong-schema baseline).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqla_matrix.errors import MatrixError
from sqla_matrix.report import summary
from sqla_matrix.report.build import build


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sqla_matrix.report", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--results-dir", type=Path, default=Path("report/results"))
    parser.add_argument("--out", type=Path, default=Path("report"))
    parser.add_argument("--baseline", type=Path, help="an earlier results.json to compare with")
    parser.add_argument(
        "--fail-on-change",
        action="store_true",
        help="exit 1 when behaviour changed since --baseline",
    )
    parser.add_argument(
        "--match-configurations-without",
        "--match-columns-without",  # its name before results schema 5
        dest="match_configurations_without",
        choices=["sqlalchemy"],
        help="compare with --baseline configuration by configuration, ignoring this axis of "
        "the names "
        "(the canary: sqlaenv-postgresql-psycopg against sqla21-postgresql-psycopg)",
    )
    parser.add_argument(
        "--combine",
        action="append",
        metavar="LABEL=RESULTS.json",
        help="put several runs side by side, each backend a configuration per run (repeatable)",
    )
    parser.add_argument(
        "--summary",
        action="append",
        default=[],
        metavar="MODULE:FUNCTION",
        help="a topic summary to add (also: [tool.sqla-matrix] summaries, entry points)",
    )
    parser.add_argument(
        "--reference",
        type=Path,
        default=Path("reference/results.json"),
        help="reference results whose values report.html shows where this run has none "
        "(default: this repository's shipped reference, when there is one)",
    )
    args = parser.parse_args(argv)
    if args.fail_on_change and args.baseline is None:
        parser.error("--fail-on-change needs --baseline")
    try:
        merged, changes = build(
            args.results_dir,
            args.out,
            args.baseline,
            args.combine,
            args.match_configurations_without,
            args.summary,
            args.reference,
        )
    except MatrixError as error:
        print(f"report: {error}", file=sys.stderr)
        return 2
    print(summary.render(merged))
    print(
        f"report: {args.out / 'report.md'}, {args.out / 'report.html'}, {args.out / 'results.json'}"
    )
    if changes is None:
        return 0
    lines = changes.lines()
    print(f"changes since {args.baseline}: {len(lines) or 'none'}")
    for line in lines:
        print(f"  {line}")
    return 1 if args.fail_on_change and changes.behaviour_changed else 0


if __name__ == "__main__":
    sys.exit(main())
