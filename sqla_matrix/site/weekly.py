"""The weekly site: the answer-first pages, the combined report, every earlier week's results.

    python -m sqla_matrix.site --report report --out site [--previous URL] [--date 2026-12-07]

The scheduled workflow builds the report (which opens with what changed since
the week before, its baseline), then this folder for GitHub Pages:
``index.html`` and ``b/`` (a page per behaviour with its search: pages.py, with the
reference results where the week's run did not observe), ``report.html`` (the
report), ``report.md``, ``results.json``, and
``history/<date>/results.json`` for this week and each week the published site
already held (``--previous``: its address; its ``history.json`` lists them),
with ``history.html`` linking them, newest first. A week that cannot be
fetched from the previous site is named on the page, never silently dropped.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

from markupsafe import escape

from sqla_matrix import results
from sqla_matrix.errors import MatrixError
from sqla_matrix.site import pages
from sqla_matrix.site import reference as reference_results

#: What the report folder must hold, and the name each file has on the site.
PAGES = {"report.html": "report.html", "report.md": "report.md", "results.json": "results.json"}


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        data: bytes = response.read()
        return data


def previous_weeks(base: str | None) -> tuple[list[dict[str, Any]], list[str]]:
    """The weeks the published site at ``base`` holds (its history.json, each with its
    results.json), and the ones that could not be fetched, as lines."""
    if not base:
        return [], []
    base = base.rstrip("/")
    try:
        listed = json.loads(_fetch(f"{base}/history.json"))
    except (OSError, urllib.error.URLError, json.JSONDecodeError):
        return [], [f"no history.json at {base}: the history starts this week"]
    weeks, lost = [], []
    for week in listed:
        try:
            week["results"] = _fetch(f"{base}/history/{week['date']}/results.json")
            weeks.append(week)
        except (OSError, urllib.error.URLError, KeyError, TypeError) as error:
            lost.append(f"week {week!r} could not be fetched from {base}: {error}")
    return weeks, lost


def build(
    report: Path,
    out: Path,
    week: str,
    previous: str | None,
    reference: Path | None = None,
) -> list[str]:
    """Write the site into ``out``; the lines to print (what it holds, what was lost).
    ``reference``: the reference results to show where this week's run did not observe."""
    for name in PAGES:
        if not (report / name).is_file():
            raise MatrixError(f"{report}: no {name}; build the report first (nox -s report)")
    document = results.load(report / "results.json")  # a broken one stops here, in one line
    weeks, lost = previous_weeks(previous)
    shown = reference_results.load(reference) if reference and reference.exists() else None
    pages.build(document, shown, out)  # replaces ``out``
    (out / "history").mkdir(parents=True)
    for name, published in PAGES.items():
        shutil.copyfile(report / name, out / published)
    this = {
        "date": week,
        "generated_at": document["generated_at"],
        "configurations": len(document["configurations"]),
    }
    kept = [w for w in weeks if w.get("date") != week]
    for earlier in kept:
        folder = out / "history" / str(earlier["date"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "results.json").write_bytes(earlier.pop("results"))
    (out / "history" / week).mkdir(exist_ok=True)
    shutil.copyfile(report / "results.json", out / "history" / week / "results.json")
    history = sorted([this, *kept], key=lambda w: str(w["date"]), reverse=True)
    (out / "history.json").write_text(json.dumps(history, indent=1) + "\n")
    (out / "history.html").write_text(_history_page(history, lost))
    return [f"site: {len(history)} week(s) in {out}", *(f"site: {line}" for line in lost)]


def _history_page(history: list[dict[str, Any]], lost: list[str]) -> str:
    items = "".join(
        f'<li><a href="history/{escape(w["date"])}/results.json">{escape(w["date"])}</a>'
        f" ({escape(w.get('configurations', '?'))} configurations, "
        f"generated {escape(w.get('generated_at'))})"
        "</li>"
        for w in history
    )
    missing = "".join(f"<li>{escape(line)}</li>" for line in lost)
    return (
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>Weekly results</title>'
        '<h1>Weekly results</h1><p><a href="report.html">This week\'s report</a> opens with '
        'what changed since the week before; <a href="index.html">the answers</a> have a '
        f"page per behaviour.</p><ul>{items}</ul>"
        + (f"<h2>Not kept</h2><ul>{missing}</ul>" if missing else "")
        + "</html>\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sqla_matrix.site", description=__doc__)
    parser.add_argument("--report", type=Path, default=Path("report"))
    parser.add_argument("--out", type=Path, default=Path("site"))
    parser.add_argument("--previous", help="the published site's address (its history)")
    parser.add_argument("--date", default=date.today().isoformat(), help="this week's date")
    parser.add_argument(
        "--reference", type=Path, default=reference_results.DEFAULT, help="reference results"
    )
    args = parser.parse_args(argv)
    try:
        lines = build(args.report, args.out, args.date, args.previous, args.reference)
    except MatrixError as error:
        print(f"site: {error}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
