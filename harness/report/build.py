"""Merge the cells' results and write the report files."""

from __future__ import annotations

from pathlib import Path

from harness import results
from harness.errors import MatrixError
from harness.report import html, markdown
from harness.report.diff import Diff, compare


def build(
    results_dir: Path,
    out: Path,
    baseline: Path | None = None,
    combine: list[str] | None = None,
    match_without: str | None = None,
) -> tuple[results.Results, Diff | None]:
    """Merge every cell's file in ``results_dir`` (or the runs to ``combine``); write the report."""
    old = results.load(baseline) if baseline is not None else None  # fail early on a bad one
    if combine:
        merged = results.merge(
            results.relabel(results.load(path), label, rank)
            for rank, (label, path) in enumerate(_runs(combine))
        )
    else:
        parts = sorted(results_dir.glob("*.json")) if results_dir.is_dir() else []
        if not parts:
            raise MatrixError(
                f"{results_dir}: no results files; run the matrix first (nox -s matrix)"
            )
        merged = results.merge(results.load(path) for path in parts)
    return merged, write(merged, out, old, match_without)


def write(
    merged: results.Results,
    out: Path,
    baseline: results.Results | None = None,
    match_without: str | None = None,
) -> Diff | None:
    """results.json, report.md and report.html in ``out``; with a ``baseline``, what
    changed since (also in diff.txt), columns matched ignoring the axis ``match_without``."""
    changes = compare(baseline, merged, match_without) if baseline is not None else None
    out.mkdir(parents=True, exist_ok=True)
    results.save(merged, out / "results.json")
    (out / "report.md").write_text(markdown.render(merged, changes))
    (out / "report.html").write_text(html.render(merged, changes))
    if changes is not None:
        (out / "diff.txt").write_text("".join(f"{line}\n" for line in changes.lines()))
    return changes


def _runs(combine: list[str]) -> list[tuple[str, Path]]:
    runs = []
    for item in combine:
        label, sep, path = item.partition("=")
        if not sep or not label or not path:
            raise MatrixError(f"--combine {item!r}: expected LABEL=PATH/TO/results.json")
        runs.append((label, Path(path)))
    return runs
