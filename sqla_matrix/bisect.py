"""Find the first release of a package (SQLAlchemy, a driver, Alembic...) whose
observed value differs.

    python -m sqla_matrix.bisect SCENARIO [KEY] --from 2.0.30 --to 2.1.9
                             [--package SQLAlchemy] [--backend sqlite] [--driver pysqlite]

(``nox -s bisect -- ...`` runs this in an environment of its own.) The
package's releases between the two, from PyPI's JSON API, are searched by
bisection: each step installs one release into this environment (the package
with its extras, ``--package "psycopg[binary]"``; SQLAlchemy with
``[asyncio]``), checks that it is the version installed, and runs the one
scenario in a pytest subprocess, as a matrix cell does, then reads the
observed value (or, with no KEY, the cell's status, every observed value and
its warnings; the KEY ``(warnings)`` is the warnings alone) from its results
file. It prints each step, then the first release whose value differs from
the one at ``--from``, with both values. Afterwards the package's version
found before is installed again, and the temporary folder is removed.

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

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from sqla_matrix import results, warned
from sqla_matrix.command import configuration_arguments

#: PyPI's JSON API for a package (MATRIX_PYPI_JSON points elsewhere, e.g. a mirror, with
#: ``{package}`` where the name goes; without it, the address is SQLAlchemy's list alone).
PYPI_JSON = "https://pypi.org/pypi/{package}/json"
#: The package bisected when none is named.
SQLALCHEMY = "SQLAlchemy"


class BisectError(Exception):
    """Bad input or an unusable step: one line for the user."""


def requirement(package: str) -> Requirement:
    """``--package`` as a requirement: a name with extras, never a version (bisection
    picks those); SQLAlchemy gets ``[asyncio]``, which the async scenarios need."""
    try:
        found = Requirement(package)
    except InvalidRequirement:
        raise BisectError(
            f'--package {package!r} is not a package name (e.g. psycopg, "psycopg[binary]")'
        ) from None
    if found.specifier or found.url or found.marker:
        raise BisectError(
            f"--package {package!r}: give the name (and extras) alone; --from and --to "
            "give the versions"
        )
    if canonicalize_name(found.name) == "sqlalchemy" and not found.extras:
        found.extras = {"asyncio"}
    return found


def releases(
    start: str, end: str, index: str | None = None, package: str = SQLALCHEMY
) -> list[str]:
    """The releases of ``package`` from ``start`` to ``end`` (both included, both must
    exist), oldest first, without yanked ones; pre-releases only if an end is one."""
    template = index or os.environ.get("MATRIX_PYPI_JSON") or PYPI_JSON
    if "{package}" not in template and canonicalize_name(package) != "sqlalchemy":
        raise BisectError(
            f"{template} is SQLAlchemy's release list: for {package}, give MATRIX_PYPI_JSON "
            "with {package} where the name goes"
        )
    url = template.replace("{package}", package)
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            data = json.load(response)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            raise BisectError(f"no package {package!r} on PyPI ({url})") from None
        raise BisectError(f"cannot read {package}'s release list from {url}: {error}") from None
    except (OSError, json.JSONDecodeError) as error:
        raise BisectError(f"cannot read {package}'s release list from {url}: {error}") from None
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
                f"{package} {text} is not a release on PyPI; the newest is "
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


def installed(name: str) -> str | None:
    """The version of ``name`` installed in this environment (None: not installed), as a
    new interpreter sees it."""
    ask = "import importlib.metadata as m, sys\ntry: print(m.version(sys.argv[1]))\n"
    ask += "except m.PackageNotFoundError: pass"
    done = subprocess.run([sys.executable, "-c", ask, name], capture_output=True, text=True)
    return done.stdout.strip() or None


def install(package: str, version: str) -> None:
    """Install ``package`` (a name, with extras) at ``version`` here, and check that it is
    the version this environment now has."""
    wanted = requirement(package)
    extras = f"[{','.join(sorted(wanted.extras))}]" if wanted.extras else ""
    done = subprocess.run(
        [*_installer(), f"{wanted.name}{extras}=={version}"], capture_output=True, text=True
    )
    if done.returncode != 0:
        why = next((ln for ln in reversed(done.stderr.splitlines()) if ln.strip()), "")
        raise BisectError(f"{wanted.name} {version} could not be installed here: {why.strip()}")
    found = installed(wanted.name)
    if found is None or Version(found) != Version(version):
        raise BisectError(f"installing {wanted.name} {version} left {found or 'none'} here")


def run_on_release(
    version: str,
    scenario_ids: list[str],
    backend: str,
    driver: str | None,
    folder: Path,
    server: str | None = None,
    package: str = SQLALCHEMY,
) -> dict[str, Any]:
    """Install ``package`` (SQLAlchemy) ``version`` here and run the scenarios
    ``scenario_ids`` (``onupdate.onupdate_sql_function``; the project's
    ``matrix_scenarios``) in one pytest subprocess, as a matrix cell does: their
    cells, by scenario id."""
    install(package, version)
    name = requirement(package).name
    results = folder / f"{version}.json"
    results.unlink(missing_ok=True)
    arguments = configuration_arguments(
        backend, results=results, driver=driver, server=server, scenarios=scenario_ids
    )
    command = [sys.executable, "-m", "pytest", *arguments]
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    ran = subprocess.run(command, capture_output=True, text=True, env=env)
    if not results.exists():
        refused = [line for line in ran.stderr.splitlines() if line.startswith("ERROR: ")]
        why = f": {refused[0].removeprefix('ERROR: ')}" if refused else ""
        raise BisectError(f"the scenarios did not run on {name} {version}{why}")
    document = json.loads(results.read_text())
    return {
        scenario_id: entry["cells"][backend]
        for scenario_id, entry in document["scenarios"].items()
        if backend in entry["cells"]
    }


def value_of(cell: dict[str, Any], key: str | None) -> Any:
    """What bisection compares: one observed key (or why there is none; ``(warnings)``:
    the warnings, normalised), or with no key the cell's status, every observed value
    and its warnings."""
    if key is None:
        shown = warned.normalised(cell.get("warnings", []))
        return {"status": cell["status"], "observed": cell["observed"], "warnings": shown}
    if cell["status"] in (results.ERROR, results.NOT_RUN):
        return f"{cell['status']}: {cell['error'] or cell['reason']}"
    if key == warned.KEY:
        return warned.normalised(cell.get("warnings", []))
    if key in cell.get("unavailable", {}):
        return "not in this release"
    return cell["observed"].get(key, "(not observed)")


def observer(
    scenario: str,
    key: str | None,
    backend: str,
    driver: str | None,
    log: Callable[[str], None],
    folder: Path,
    package: str = SQLALCHEMY,
) -> Callable[[str], Any]:
    """A function that installs a release of ``package`` and returns what the scenario
    observed on it (each step's results file in ``folder``)."""
    name = requirement(package).name

    def observe(version: str) -> Any:
        cells = run_on_release(version, [scenario], backend, driver, folder, package=package)
        if scenario not in cells:
            raise BisectError(
                f"no scenario {scenario!r} on {name} {version}: give its id as in "
                "results.json: MODULE.FUNCTION under matrix_scenarios"
            )
        value = value_of(cells[scenario], key)
        log(f"bisect: {name} {version}: {json.dumps(value, ensure_ascii=False)}")
        return value

    return observe


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sqla_matrix.bisect", description=__doc__)
    parser.add_argument("scenario", help="a scenario id as in results.json (MODULE.FUNCTION)")
    parser.add_argument("key", nargs="?", help="one observed key (default: every value)")
    parser.add_argument("--from", dest="start", required=True, help="the older release")
    parser.add_argument("--to", dest="end", required=True, help="the newer release")
    parser.add_argument(
        "--package",
        default=SQLALCHEMY,
        help="whose releases to bisect, with its extras: psycopg[binary], alembic "
        "(default: SQLAlchemy)",
    )
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--driver", help="the sync driver (default: the backend's)")
    args = parser.parse_args(argv)
    try:
        name = requirement(args.package).name
        versions = releases(args.start, args.end, package=name)
        print(f"bisect: {len(versions)} {name} releases from {versions[0]} to {versions[-1]}")
        found = _bisect(args, versions)
    except BisectError as error:
        print(f"bisect: {error}", file=sys.stderr)
        return 2
    if found is None:
        print(f"bisect: the same value on {versions[0]} and {versions[-1]}: no change to find")
        return 0
    print(
        f"bisect: first changed in {name} {found.first} ({found.steps} steps)\n"
        f"  {found.before}: {json.dumps(found.before_value, ensure_ascii=False)}\n"
        f"  {found.first}: {json.dumps(found.first_value, ensure_ascii=False)}"
    )
    return 0


def _bisect(args: argparse.Namespace, versions: list[str]) -> Found | None:
    """Bisect in a temporary folder, removed afterwards; the package's version found
    here before is installed again, whatever happened."""
    name = requirement(args.package).name
    before = installed(name)
    try:
        with tempfile.TemporaryDirectory(prefix="matrix-bisect-") as folder:
            where = (args.backend, args.driver)
            observe = observer(args.scenario, args.key, *where, print, Path(folder), args.package)
            return first_change(versions, observe)
    finally:
        if before is not None and installed(name) != before:
            install(args.package, before)
            print(f"bisect: {name} {before} installed again, as before")


if __name__ == "__main__":
    sys.exit(main())
