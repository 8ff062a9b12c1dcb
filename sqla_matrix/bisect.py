"""Find the first SQLAlchemy release whose observed value differs.

    python -m sqla_matrix.bisect SCENARIO [KEY] --from 2.0.30 --to 2.1.9
                             [--backend sqlite] [--driver pysqlite]

(``nox -s bisect -- ...`` runs this in an environment of its own.) The
releases between the two, from PyPI's JSON API, are searched by bisection:
each step installs one release into this environment and runs the one
scenario in a pytest subprocess, as a matrix cell does, then reads the
observed value (or, with no KEY, the cell's status and every observed value)
from its results file. It prints each step, then the first release whose
value differs from the one at ``--from``, with both values.

Bisection assumes the value changes once in the range; the steps printed
show where that assumption was tested.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

#: PyPI's JSON API for SQLAlchemy (MATRIX_PYPI_JSON points elsewhere, e.g. a mirror).
PYPI_JSON = "https://pypi.org/pypi/SQLAlchemy/json"


class BisectError(Exception):
    """Bad input or an unusable step: one line for the user."""


def releases(start: str, end: str, index: str | None = None) -> list[str]:
    """The releases from ``start`` to ``end`` (both included, both must exist),
    oldest first, without yanked ones; pre-releases only if an end is one."""
    url = index or os.environ.get("MATRIX_PYPI_JSON", PYPI_JSON)
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            data = json.load(response)
    except (OSError, urllib.error.URLError, json.JSONDecodeError) as error:
        raise BisectError(f"cannot read SQLAlchemy's release list from {url}: {error}") from None
    available = {}
    for text, files in data.get("releases", {}).items():
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if files and not all(f.get("yanked") for f in files):
            available[version] = text
    bounds = []
    for text in (start, end):
        try:
            version = Version(text)
        except InvalidVersion:
            raise BisectError(f"{text!r} is not a version number (e.g. 2.0.30)") from None
        if version not in available:
            raise BisectError(
                f"SQLAlchemy {text} is not a release on PyPI; the newest is "
                f"{max(v for v in available if not v.is_prerelease)}"
            )
        bounds.append(version)
    low, high = sorted(bounds)
    pre = low.is_prerelease or high.is_prerelease
    return [
        available[v] for v in sorted(available) if low <= v <= high and (pre or not v.is_prerelease)
    ]


@dataclass
class Found:
    """The first release whose value differs, and the last one before it."""

    before: str
    before_value: Any
    first: str
    first_value: Any
    steps: int


def first_change(versions: list[str], observe: Callable[[str], Any]) -> Found | None:
    """Bisect ``versions`` (oldest first) for the first whose ``observe`` differs
    from the first one's; None when both ends agree."""
    low, high = 0, len(versions) - 1
    low_value, high_value = observe(versions[low]), observe(versions[high])
    steps = 2
    if low_value == high_value:
        return None
    while high - low > 1:
        middle = (low + high) // 2
        value = observe(versions[middle])
        steps += 1
        if value == low_value:
            low = middle
        else:
            high, high_value = middle, value
    return Found(versions[low], low_value, versions[high], high_value, steps)


def _installer() -> list[str]:
    uv = shutil.which("uv")
    if uv:
        return [uv, "pip", "install", "--quiet", "--python", sys.executable]
    return [sys.executable, "-m", "pip", "install", "--quiet"]


def run_on_release(
    version: str,
    scenario_ids: list[str],
    backend: str,
    driver: str | None,
    folder: Path,
    server: str | None = None,
) -> dict[str, Any]:
    """Install SQLAlchemy ``version`` here and run the scenarios ``scenario_ids``
    (``MODULE.FUNCTION`` under the project's ``matrix_scenarios``) in one
    pytest subprocess, as a matrix cell does: their cells, by scenario id."""
    install = [*_installer(), f"sqlalchemy[asyncio]=={version}"]
    if subprocess.run(install, capture_output=True, text=True).returncode != 0:
        raise BisectError(f"SQLAlchemy {version} could not be installed here")
    results = folder / f"{version}.json"
    results.unlink(missing_ok=True)
    command = [
        *(sys.executable, "-m", "pytest", "-p", "sqla_matrix.plugin"),
        *(f"--matrix-scenario={scenario_id}" for scenario_id in scenario_ids),
        *(f"--matrix-backend={backend}", f"--matrix-column={backend}"),
        f"--matrix-results={results}",
        *([f"--matrix-driver={driver}"] if driver else []),
        *([f"--matrix-server={server}"] if server else []),
        *("-p", "no:cacheprovider", "-q", "-o", "addopts="),
    ]
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    ran = subprocess.run(command, capture_output=True, text=True, env=env)
    if not results.exists():
        refused = [line for line in ran.stderr.splitlines() if line.startswith("ERROR: ")]
        why = f": {refused[0].removeprefix('ERROR: ')}" if refused else ""
        raise BisectError(f"the scenarios did not run on SQLAlchemy {version}{why}")
    document = json.loads(results.read_text())
    return {
        scenario_id: entry["cells"][backend]
        for scenario_id, entry in document["scenarios"].items()
        if backend in entry["cells"]
    }


def value_of(cell: dict[str, Any], key: str | None) -> Any:
    """What bisection compares: one observed key (or why there is none), or with no
    key the cell's status and every observed value."""
    if key is None:
        return {"status": cell["status"], "observed": cell["observed"]}
    if cell["status"] in ("error", "not run"):
        return f"{cell['status']}: {cell['error'] or cell['reason']}"
    if key in cell.get("unavailable", {}):
        return "not in this release"
    return cell["observed"].get(key, "(not observed)")


def observer(
    scenario: str, key: str | None, backend: str, driver: str | None, log: Callable[[str], None]
) -> Callable[[str], Any]:
    """A function that installs a release and returns what the scenario observed on it."""
    folder = Path(tempfile.mkdtemp(prefix="matrix-bisect-"))

    def observe(version: str) -> Any:
        cells = run_on_release(version, [scenario], backend, driver, folder)
        if scenario not in cells:
            raise BisectError(
                f"no scenario {scenario!r} on SQLAlchemy {version}: give its id as in "
                "results.json: MODULE.FUNCTION under matrix_scenarios"
            )
        value = value_of(cells[scenario], key)
        log(f"bisect: SQLAlchemy {version}: {json.dumps(value, ensure_ascii=False)}")
        return value

    return observe


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sqla_matrix.bisect", description=__doc__)
    parser.add_argument("scenario", help="a scenario id as in results.json (MODULE.FUNCTION)")
    parser.add_argument("key", nargs="?", help="one observed key (default: every value)")
    parser.add_argument("--from", dest="start", required=True, help="the older release")
    parser.add_argument("--to", dest="end", required=True, help="the newer release")
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--driver", help="the sync driver (default: the backend's)")
    args = parser.parse_args(argv)
    try:
        versions = releases(args.start, args.end)
        print(f"bisect: {len(versions)} releases from {versions[0]} to {versions[-1]}")
        observe = observer(args.scenario, args.key, args.backend, args.driver, print)
        found = first_change(versions, observe)
    except BisectError as error:
        print(f"bisect: {error}", file=sys.stderr)
        return 2
    if found is None:
        print(f"bisect: the same value on {versions[0]} and {versions[-1]}: no change to find")
        return 0
    print(
        f"bisect: first changed in SQLAlchemy {found.first} ({found.steps} steps)\n"
        f"  {found.before}: {json.dumps(found.before_value, ensure_ascii=False)}\n"
        f"  {found.first}: {json.dumps(found.first_value, ensure_ascii=False)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
