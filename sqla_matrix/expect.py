"""What a scenario expects, and on which configurations: three kinds of "no" beside "documented".

A behaviour's expectation is one of (after Ibis's notimpl / notyet / never):

- ``Doc(value, source)``: what the documentation says, with its page;
- ``KnownBug(value, issue, ...)``: what a known upstream bug makes it do, with
  the issue, the fixed release where there is one, and the workaround a key of
  the same scenario observes;
- ``Unsupported(value, reason, source)``: the server, the dialect or the driver
  lacks it, and this is what it does instead (a refusal, a placeholder value).

A behaviour this project has no scenario for on a backend is *not observed here*:
the scenario's ``backends=`` leaves that backend out (or ``elsewhere=`` says it
is unsupported there instead).

An expectation may hold for some configurations only. ``When`` maps specs to
expectations, the first that matches the configuration applies; a spec is SQLAlchemy's
testing grammar (``exclusions.SpecPredicate``), one or more words::

    "postgresql"  "mariadb>=10.5"  "postgresql+asyncpg"  "+pymysql"
    "sqlalchemy<2.0.36"  "postgresql>=15 sqlalchemy>=2.1"     (every word must hold)

A ``+driver`` matches a configuration's sync driver or its asyncio partner, and a version
beside it is the driver's (the DBAPI's, as in SQLAlchemy's grammar): ``+pymysql<1.1``;
a version beside a backend alone is the server's. Names are checked when the spec is
written: an unknown backend, a driver unknown or foreign to the backend named beside it
is a one-line error.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from packaging.version import InvalidVersion, Version

from sqla_matrix import drivers
from sqla_matrix.results import MISMATCH, PASS

JSON: TypeAlias = Any


def backend_names() -> tuple[str, ...]:
    """The backends a spec may name: every declared one (sqla_matrix/catalog.py)."""
    from sqla_matrix import catalog

    return catalog.names()


@dataclass(frozen=True)
class Doc:
    """An expected value, and the page of a manual that documents it."""

    value: JSON
    source: str
    kind = "documented"


@dataclass(frozen=True)
class KnownBug:
    """What a known bug makes the behaviour do; seeing anything else flags it as no
    longer reproducing (a fixed release, a new server version)."""

    value: JSON
    issue: str  # the upstream issue's URL
    fixed_in: str | None = None  # the first release without it, where there is one
    workaround: str = ""  # what to do instead, observed by the scenario's key of that name
    kind = "known bug"

    @property
    def source(self) -> str:
        return self.issue


@dataclass(frozen=True)
class Unsupported:
    """The server, dialect or driver lacks it, and does this instead; seeing anything
    else flags it as started to work."""

    value: JSON
    reason: str
    source: str
    kind = "not supported"


Expected: TypeAlias = "Doc | KnownBug | Unsupported"

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
}
_WORD = re.compile(r"^(?P<name>[a-z]*)(?:\+(?P<driver>\w+))?(?:(?P<op>[<>=!]=?|==)(?P<v>[\w.]+))?$")


@dataclass(frozen=True)
class Facts:
    """What a spec is matched against: one configuration's configuration."""

    backend: str
    server: Version | None
    drivers: tuple[str, ...]  # the sync driver and its asyncio partner
    sqlalchemy: Version
    #: driver name -> its installed version, where known (what ``+driver<ver`` compares)
    driver_versions: Mapping[str, Version] = field(default_factory=dict)


def version(text: str | None) -> Version | None:
    """The leading version of a server's own text: ``15.20`` of ``15.20 (Debian ...)``,
    ``10.11.19`` of ``10.11.19-MariaDB-0+deb12u1``."""
    found = re.match(r"\d+(?:\.\d+)*", text or "")
    try:
        return Version(found[0]) if found else None
    except InvalidVersion:
        return None


@dataclass(frozen=True)
class Spec:
    """A spec's words, parsed and checked."""

    text: str
    words: tuple[tuple[str, str | None, str | None, Version | None], ...]

    @classmethod
    def parse(cls, text: str, known_drivers: tuple[str, ...] = ()) -> Spec:
        words = []
        for word in text.split():
            match = _WORD.match(word)
            if not match:
                raise ValueError(f"spec {text!r}: {word!r} is not backend[+driver][op version]")
            name, driver, op, raw = match["name"], match["driver"], match["op"], match["v"]
            known = backend_names()
            if name and name not in (*known, "sqlalchemy"):
                raise ValueError(
                    f"spec {text!r}: unknown backend {name!r}; "
                    f"known: {', '.join(known)} (and sqlalchemy)"
                )
            if driver and known_drivers and driver not in known_drivers:
                raise ValueError(
                    f"spec {text!r}: unknown driver {driver!r}; known: {', '.join(known_drivers)}"
                )
            if driver and name in known and name not in drivers.serving(driver):
                serves = ", ".join(drivers.serving(driver))
                raise ValueError(f"spec {text!r}: {driver} is a driver of {serves}, not of {name}")
            if name == "sqlalchemy" and driver:
                raise ValueError(f"spec {text!r}: sqlalchemy takes no +driver")
            if op and op not in _OPS:
                raise ValueError(f"spec {text!r}: unknown comparison {op!r}")
            try:
                wanted = Version(raw) if raw else None
            except InvalidVersion:
                raise ValueError(f"spec {text!r}: {raw!r} is not a version") from None
            words.append((name, driver, op, wanted))
        if not words:
            raise ValueError("an empty spec: name a backend, a driver or sqlalchemy")
        return cls(text, tuple(words))

    def matches(self, facts: Facts) -> bool:
        for name, driver, op, wanted in self.words:
            if name == "sqlalchemy":
                if op and wanted is not None and not _OPS[op](facts.sqlalchemy, wanted):
                    return False
                continue
            if name and name != facts.backend:
                return False
            if driver and driver not in facts.drivers:
                return False
            if op and wanted is not None:
                # Beside a driver the version is the driver's; beside a backend, the server's.
                found = facts.driver_versions.get(driver) if driver else facts.server
                if found is None or not _OPS[op](_cut(found, wanted), wanted):
                    return False
        return True


def _cut(found: Version, wanted: Version) -> Version:
    """``found`` to as many parts as ``wanted`` has: 10.11.19 compares as 10.11 with 10.11."""
    return Version(".".join(str(p) for p in found.release[: len(wanted.release)]))


def parse_spec(text: str) -> Spec:
    """``text`` as a spec over this project's backends and drivers (a bad name: ValueError)."""
    return Spec.parse(text, tuple(drivers.DRIVERS))


class When:
    """Expectations that hold for some configurations: the first spec that matches applies."""

    def __init__(self, cases: Mapping[str, Expected]) -> None:
        self.cases = [(parse_spec(spec), e) for spec, e in cases.items()]

    def for_(self, facts: Facts) -> Expected | None:
        return next((e for spec, e in self.cases if spec.matches(facts)), None)


#: The mark of a documented key the scenario returned no value for: a misspelt key, or an
#: observation that stopped being made. It is a mismatch of its own kind, never a pass.
NEVER_OBSERVED = "never observed"
#: The marks that make a cell a mismatch (and fail it under --matrix-strict).
MISMATCHES = (MISMATCH, NEVER_OBSERVED)


def judge(expected: Expected, observed: JSON) -> str:
    """The mark a cell earns: ``pass`` / ``mismatch`` against a Doc, ``known bug`` /
    ``known bug no longer seen``, ``not supported`` / ``started to work``."""
    same = observed == expected.value
    if isinstance(expected, KnownBug):
        return "known bug" if same else "known bug no longer seen"
    if isinstance(expected, Unsupported):
        return "not supported" if same else "started to work"
    return PASS if same else MISMATCH


def as_json(expected: Expected) -> dict[str, Any]:
    """An expectation as the results file records it."""
    entry: dict[str, Any] = {
        "value": expected.value,
        "source": expected.source,
        "kind": expected.kind,
    }
    if isinstance(expected, KnownBug):
        entry.update(issue=expected.issue, fixed_in=expected.fixed_in)
        entry.update(workaround=expected.workaround)
    if isinstance(expected, Unsupported):
        entry["reason"] = expected.reason
    return entry
