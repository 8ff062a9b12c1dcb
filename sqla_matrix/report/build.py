"""Merge the cells' results and write the report files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqla_matrix import results
from sqla_matrix.errors import MatrixError
from sqla_matrix.report import html, markdown, summaries
from sqla_matrix.report.diff import Diff, compare


def build(
    results_dir: Path,
    out: Path,
    baseline: Path | None = None,
    combine: list[str] | None = None,
    match_without: str | None = None,
    summary_specs: Sequence[str] = (),
) -> tuple[results.Results, Diff | None]:
    """Merge every cell's file in ``results_dir`` (or the runs to ``combine``); write the report."""
    old = results.load(baseline) if baseline is not None else None  # fail early on a bad one
    if combine:
        merged = results.merge(
            results.relabel(results.load(path), label) for label, path in _runs(combine)
        )
    else:
        parts = sorted(results_dir.glob("*.json")) if results_dir.is_dir() else []
        if not parts:
            raise MatrixError(
                f"{results_dir}: no results files; run the matrix first (nox -s matrix)"
            )
        merged = results.merge(results.load(path) for path in parts)
    return merged, write(merged, out, old, match_without, summary_specs)


def write(
    merged: results.Results,
    out: Path,
    baseline: results.Results | None = None,
    match_without: str | None = None,
    summary_specs: Sequence[str] = (),
) -> Diff | None:
    """results.json, report.md and report.html in ``out``; with a ``baseline``, what
    changed since (also in diff.txt), columns matched ignoring the axis ``match_without``;
    the topic summaries registered (summaries.configured) and ``summary_specs``."""
    changes = compare(baseline, merged, match_without) if baseline is not None else None
    shown = summaries.collect(merged, summaries.configured(summary_specs))
    out.mkdir(parents=True, exist_ok=True)
    results.save(merged, out / "results.json")
    (out / "report.md").write_text(markdown.render(merged, changes, shown))
    (out / "report.html").write_text(html.render(merged, changes, shown))
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
