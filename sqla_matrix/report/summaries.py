"""Topic summaries: what the report shows after the configurations, registered by the content.

The harness never imports a team's (or this project's) scenarios. A summary is
a function of the merged results that returns an object with ``title``,
``explanation``, ``configurations``, ``rows`` (a label and one verdict per configuration) and
``best`` (per configuration, the labels it recommends), or None when the run holds
nothing for it. It is registered in any of three ways:

- an entry point in the group ``sqla_matrix.summaries`` (an installed package);
- ``[tool.sqla-matrix] summaries = ["module:function"]`` in ./pyproject.toml;
- ``--summary module:function`` on the report command.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol

from sqla_matrix.errors import MatrixError
from sqla_matrix.named import resolve
from sqla_matrix.results import Results

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

GROUP = "sqla_matrix.summaries"


class Summary(Protocol):
    title: str
    explanation: str
    configurations: list[str]
    rows: list[tuple[str, list[str]]]
    best: dict[str, list[str]]


SummaryFunction = Callable[[Results], Any]


def named(spec: str) -> SummaryFunction:
    """The function ``module:attribute`` names, or one line saying why not."""
    found = resolve(spec, f"summary {spec!r}")
    if not callable(found):
        raise MatrixError(f"summary {spec!r}: not a function")
    function: SummaryFunction = found
    return function


def configured(extra: Sequence[str] = (), pyproject: Path = Path("pyproject.toml")) -> list[str]:
    """Every registered summary, as ``module:function``: entry points, pyproject, ``extra``."""
    specs = [point.value for point in entry_points(group=GROUP)]
    if pyproject.is_file():
        table = tomllib.loads(pyproject.read_text()).get("tool", {}).get("sqla-matrix", {})
        specs += list(table.get("summaries", []))
    specs += list(extra)
    return list(dict.fromkeys(specs))


def collect(results: Results, specs: Sequence[str]) -> list[Summary]:
    """The summaries this run has something for, in registration order."""
    found = []
    for spec in specs:
        summary = named(spec)(results)
        if summary is not None:
            found.append(summary)
    return found
