"""The one pytest command line of a configuration: every way the harness runs scenarios
uses it (a configuration's nox session, a bisection step, the project's own tests)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

#: What pytest runs after ``python -m pytest``: this plugin alone (no third-party plugin
#: is needed, and each costs start-up), no cache folder, no addopts of the project.
QUIET = ("-p", "no:cacheprovider", "-q", "-o", "addopts=")


def configuration_arguments(
    backend: str,
    *,
    results: Path,
    configuration: str | None = None,
    driver: str | None = None,
    server: str | None = None,
    marks: str = "",
    scenarios: Iterable[str] = (),
    not_run: str | None = None,
    junit: Path | None = None,
    paths: Iterable[str] = (),
) -> list[str]:
    """``pytest``'s arguments for one configuration: the scenarios (all, or those ``marks``
    and ``scenarios`` select) on ``backend`` through ``driver`` at ``server``, its results
    written to ``results`` under the configuration id ``configuration`` (default: the
    backend's name)."""
    return [
        *("-p", "sqla_matrix.plugin", *paths),
        f"--matrix-backend={backend}",
        *([f"--matrix-driver={driver}"] if driver else []),
        *([f"--matrix-server={server}"] if server else []),
        f"--matrix-configuration={configuration or backend}",
        f"--matrix-results={results}",
        *(f"--matrix-scenario={scenario_id}" for scenario_id in scenarios),
        *([f"--junitxml={junit}"] if junit else []),
        *([f"--matrix-not-run={not_run}"] if not_run else []),
        *(["-m", marks] if marks else []),
        *QUIET,
    ]
