"""The published site: the weekly report with its history (weekly.py), and the answer-first
pages, one per behaviour, with a search that works from file:// (pages.py).

    python -m sqla_matrix.site --report report --out site [--previous URL]   # the weekly site
    python -m sqla_matrix.site.pages [--results report/results.json] [--out report/site]
    python -m sqla_matrix.site.reference --check | --from report/results.json
"""

from __future__ import annotations

from typing import Any

__all__ = ["PAGES", "build", "main", "previous_weeks"]


def __getattr__(name: str) -> Any:
    # The weekly site's names, imported when asked for: reference.py runs without jinja2.
    if name in __all__:
        from sqla_matrix.site import weekly

        return getattr(weekly, name)
    raise AttributeError(name)
