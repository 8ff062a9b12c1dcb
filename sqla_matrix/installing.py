"""What a configuration's nox session installs, and when it need not install again.

A configuration installs the harness with the extras of its backend and driver
(``sqla-matrix[postgresql,psycopg]``; ``MATRIX_HARNESS`` names another requirement, a
wheel or a checkout), SQLAlchemy of its series, and the team's ``install``
requirements and ``groups`` (PEP 735 dependency groups of its pyproject.toml). This
repository runs the harness from its checkout (``harness=None``): its configurations
install only the extras' requirements. An environment that was installed from the
same requirements less than :data:`UPGRADE_EVERY` ago is not even checked (a stamp).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

import nox
from packaging.requirements import InvalidRequirement, Requirement

from sqla_matrix.errors import MatrixError

#: The harness a team's noxfile installs in each configuration unless it names another.
HARNESS = "sqla-matrix"
#: Seconds between two asks of the index for a newer SQLAlchemy of a reused environment's
#: series (between them, an environment that has what its configuration needs is not even
#: checked).
UPGRADE_EVERY = 12 * 3600
#: Drivers that compile against the client headers (Debian: libmariadb-dev).
COMPILED = ("mysqldb", "mariadbconnector")
#: The file in an environment that says what it was installed from.
STAMP = ".sqla-matrix-installed"


def installed_harness() -> str:
    """The sqla-matrix installed where nox runs (the one a team's noxfile imports), as a
    requirement: the wheel or checkout it was installed from (PEP 610's direct_url.json),
    else its release."""
    try:
        distribution = importlib.metadata.distribution(HARNESS)
    except importlib.metadata.PackageNotFoundError:
        return HARNESS
    direct = json.loads(distribution.read_text("direct_url.json") or "{}")
    url = str(direct.get("url", ""))
    if url.startswith("file://"):
        return url2pathname(urlparse(url).path)  # a wheel or a checkout, as a path
    if url:
        return f"{HARNESS} @ {url}"
    return f"{HARNESS}=={distribution.version}"


def harness_requirement(harness: str, extras: Sequence[str]) -> str:
    """``harness`` (a wheel, a checkout, a URL or a requirement) with ``extras``; a path
    that names nothing is a one-line MatrixError."""
    listed = f"[{','.join(extras)}]" if extras else ""
    path = Path(harness).expanduser()
    if path.exists():
        return f"{HARNESS}{listed} @ {path.resolve().as_uri()}"
    if "://" in harness:
        return harness if " @ " in harness else f"{HARNESS}{listed} @ {harness}"
    try:
        requirement = Requirement(harness)
    except InvalidRequirement:
        requirement = None
    if requirement is None or os.sep in harness or harness.endswith((".whl", ".tar.gz")):
        raise MatrixError(
            f"the harness {harness!r} cannot be found: MATRIX_HARNESS (or Matrix(harness=...)) "
            "names a wheel, a checkout or a requirement such as sqla-matrix==0.1"
        )
    requirement.extras |= set(extras)
    return str(requirement)


def _extras(pyproject: Mapping[str, Any], names: Sequence[str]) -> list[str]:
    """The requirements of the project's extras ``names`` (this checkout's harness)."""
    table = pyproject.get("project", {}).get("optional-dependencies", {})
    return [requirement for name in names for requirement in table.get(name, [])]


class Installer:
    """The requirements of a matrix's configurations, and their installation."""

    def __init__(
        self,
        pyproject: dict[str, Any],
        harness: str | None,
        install: Sequence[str] = (),
        groups: Sequence[str] = (),
    ) -> None:
        self.pyproject = pyproject
        #: A requirement, wheel or checkout; None: this checkout, on the path already.
        self.harness = harness
        self.install_requirements = list(install)
        self.groups = list(groups)

    def requirements(self, *extras: str, content: bool = True) -> list[str]:
        """The harness with ``extras`` (backends, drivers), and (``content``) the team's
        own requirements and groups, which the scenarios need and the report does not."""
        groups = self.groups if content else []
        own = [
            *(nox.project.dependency_groups(self.pyproject, *groups) if groups else []),
            *(self.install_requirements if content else []),
        ]
        if self.harness is None:  # this checkout: the harness is on the path already
            project = self.pyproject.get("project", {})
            harness = [*project.get("dependencies", []), *_extras(self.pyproject, extras)]
        else:
            harness = [harness_requirement(self.harness, extras)]
        return [*harness, *own]

    def install(
        self, session: nox.Session, series: tuple[str, str], backend: str, driver: str, off: bool
    ) -> str | None:
        """Install SQLAlchemy of ``series`` (its token and specifier), the harness, the
        driver (not when ``off``: turned off on purpose) and the team's requirements; the
        reason the configuration's scenarios cannot run here: a driver that could not be
        installed."""
        requirement = f"sqlalchemy[asyncio]{series[1]}"
        requested = [*self.requirements(backend, *([] if off else [driver])), requirement]
        stamp = Path(session.virtualenv.location) / STAMP
        key = self._stamp(requested)
        if stamp.is_file() and stamp.read_text() == key and _younger(stamp, UPGRADE_EVERY):
            # Installed by an earlier run, and nothing it was asked for has changed: no
            # install check at all (it costs uv or pip a resolution, and CPU, every run).
            return None
        if session.venv_backend == "uv":  # one resolution; -P: SQLAlchemy moves to its newest
            with contextlib.suppress(nox.command.CommandFailed):
                session.install("-P", "sqlalchemy", *requested, silent=True)
                stamp.write_text(key)
                return None
        not_run = self._step_by_step(session, series, backend, driver, off)
        stamp.write_text(key)
        return not_run

    def _step_by_step(
        self, session: nox.Session, series: tuple[str, str], backend: str, driver: str, off: bool
    ) -> str | None:
        """One step at a time, so that a failure names the part that failed."""
        common = self.requirements(backend)
        if self.harness is not None:
            _install(
                session,
                [common[0]],
                f"the harness {common[0]!r} cannot be installed (not on the package index, "
                "or unreadable); set MATRIX_HARNESS to its wheel, its checkout or a "
                "requirement the index has; see the installer's output above",
            )
        _install(
            session,
            common,
            f"the configuration's requirements cannot be installed ({' '.join(common)}); "
            "see the installer's output above",
        )
        # -U: a reused environment moves to the newest release the series allows.
        token, spec = series
        _install(
            session,
            ["-U", f"sqlalchemy[asyncio]{spec}"],
            f"no SQLAlchemy release matches {spec!r} on the package index (configurations "
            f"{token}); choose a release listed on https://pypi.org/project/SQLAlchemy/",
        )
        if off:
            return None
        try:
            session.install(*self.requirements(driver), silent=True)
        except nox.command.CommandFailed:
            needs = " (it compiles against the client headers: Debian's libmariadb-dev)"
            return (
                f"the {driver} driver could not be installed here"
                f"{needs if driver in COMPILED else ''}; see this configuration's nox log"
            )
        return None

    def _stamp(self, requested: Sequence[str]) -> str:
        """What an environment was installed from: the requirements, the project's
        pyproject.toml (a team's own dependencies) and a harness wheel's size and time."""
        parts = [json.dumps(list(requested))]
        pyproject = Path("pyproject.toml")
        parts.append(pyproject.read_text() if pyproject.is_file() else "")
        harness = Path(self.harness).expanduser() if self.harness else None
        if harness is not None and harness.is_file():
            parts.append(f"{harness.stat().st_size} {harness.stat().st_mtime_ns}")
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _install(session: nox.Session, requirements: Sequence[str], failure: str) -> None:
    try:
        session.install(*requirements, silent=True)
    except nox.command.CommandFailed:
        session.error(failure)


def _younger(path: Path, seconds: float) -> bool:
    return time.time() - path.stat().st_mtime < seconds
