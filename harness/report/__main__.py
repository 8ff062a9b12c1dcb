"""Merge the per-backend results and write the report.

    python -m harness.report [--results-dir report/results] [--out report]

Writes ``results.json``, ``report.md`` and ``report.html`` into ``--out``
and prints a short summary. Exit status 0, or 2 with one line on bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness import results
from harness.errors import MatrixError
from harness.report import html, markdown, summary


def build(results_dir: Path, out: Path) -> results.Results:
    """Merge every backend file in ``results_dir`` and write the three report files."""
    parts = sorted(results_dir.glob("*.json")) if results_dir.is_dir() else []
    if not parts:
        raise MatrixError(f"{results_dir}: no results files; run the matrix first (nox -s matrix)")
    merged = results.merge(results.load(path) for path in parts)
    out.mkdir(parents=True, exist_ok=True)
    results.save(merged, out / "results.json")
    (out / "report.md").write_text(markdown.render(merged))
    (out / "report.html").write_text(html.render(merged))
    return merged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.report", description=__doc__.split("\n")[0])
    parser.add_argument("--results-dir", type=Path, default=Path("report/results"))
    parser.add_argument("--out", type=Path, default=Path("report"))
    args = parser.parse_args(argv)
    try:
        merged = build(args.results_dir, args.out)
    except MatrixError as error:
        print(f"report: {error}", file=sys.stderr)
        return 2
    print(summary.render(merged))
    print(f"report: {args.out / 'report.md'}, {args.out / 'report.html'}, {args.out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
