"""Merge the cells' results and write the report files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqla_matrix import results
from sqla_matrix.errors import MatrixError
from sqla_matrix.filled import combine as combine_with
from sqla_matrix.report import html, markdown, summaries
from sqla_matrix.report.diff import Diff, compare
from sqla_matrix.results import RAN


def build(
    results_dir: Path,
    out: Path,
    baseline: Path | None = None,
    combine: list[str] | None = None,
    match_without: str | None = None,
    summary_specs: Sequence[str] = (),
    reference: Path | None = None,
) -> tuple[results.Results, Diff | None]:
    """Merge every cell's file in ``results_dir`` (or the runs to ``combine``); write the
    report (report.html with the ``reference`` run's values where this run has none)."""
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
    shipped = results.load(reference) if reference is not None and reference.exists() else None
    return merged, write(merged, out, old, match_without, summary_specs, shipped)


def write(
    merged: results.Results,
    out: Path,
    baseline: results.Results | None = None,
    match_without: str | None = None,
    summary_specs: Sequence[str] = (),
    reference: results.Results | None = None,
) -> Diff | None:
    """results.json, report.md and report.html in ``out``; with a ``baseline``, what
    changed since (also in diff.txt), configurations matched ignoring the axis ``match_without``;
    the topic summaries registered (summaries.configured) and ``summary_specs``. With a
    ``reference`` run, report.html shows beside each of this run's configurations that did not
    run the reference's configuration of that name, marked as the reference's
    (results.json and report.md hold this run alone: CI compares them)."""
    changes = compare(baseline, merged, match_without) if baseline is not None else None
    shown = summaries.collect(merged, summaries.configured(summary_specs))
    out.mkdir(parents=True, exist_ok=True)
    results.save(merged, out / "results.json")
    (out / "report.md").write_text(markdown.render(merged, changes, shown))
    shown_html, origin = merged, dict[str, str]()
    if reference is not None:
        day = str(reference.get("generated_at", ""))[:10]
        # Only for a configuration that did not run here at all (MySQL without Docker): one
        # that ran keeps its own "not supported" and "not observed here" cells alone.
        unrun = [
            name
            for name, configuration in merged["configurations"].items()
            if configuration["status"] != RAN
        ]
        shown_html, origin = combine_with(
            merged, reference, only=unrun, suffix=f" (reference run of {day})"
        )
    referenced = [name for name, label in origin.items() if label]
    (out / "report.html").write_text(html.render(shown_html, changes, shown, referenced))
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
