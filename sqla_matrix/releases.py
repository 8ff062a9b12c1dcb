"""Which SQLAlchemy release: what a scenario needs, and the release that added it.

The release history runs every scenario on releases back to 2.0.0. A scenario (or
one of its keys) that uses something a release does not have says so with a
``Since``; on an older release that scenario, or that key alone, reads
*not in this release*, naming the release that added it, and the rest of the
configuration still runs::

    AWAITABLE_ATTRS = Since("2.0.13", "AsyncAttrs.awaitable_attrs", CHANGELOG_20 + "#change-2.0.13")

    @scenario("...", since=AWAITABLE_ATTRS)            # the whole scenario
    ...
    observed[key] = value if AWAITABLE_ATTRS.available() else AWAITABLE_ATTRS.absent()
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy
from packaging.version import Version

#: The installed release (a configuration's SQLAlchemy).
INSTALLED = Version(sqlalchemy.__version__)
CHANGELOG_20 = "https://docs.sqlalchemy.org/en/20/changelog/changelog_20.html"
CHANGELOG_21 = "https://docs.sqlalchemy.org/en/21/changelog/changelog_21.html"


class NotInRelease(str):
    """An observed key's placeholder: what it needs is not in the installed release.

    The harness moves such a key out of the observations into the cell's
    ``unavailable`` map (key -> this text), so it is neither a value nor a mismatch.
    """


@dataclass(frozen=True)
class Since:
    """Something a scenario uses, and the first SQLAlchemy release that has it."""

    release: str
    what: str
    source: str

    def available(self) -> bool:
        """Whether the installed SQLAlchemy has it (pre-releases of a later series do)."""
        return Version(self.release) <= INSTALLED

    def reason(self) -> str:
        return (
            f"not in this release: {self.what} is new in SQLAlchemy {self.release} "
            f"(this configuration has {sqlalchemy.__version__}; {self.source})"
        )

    def absent(self) -> NotInRelease:
        """The placeholder for a key that needs it, on a release without it."""
        return NotInRelease(self.reason())
