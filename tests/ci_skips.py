"""Under CI (``CI=true``, as GitHub Actions and .ci/run set it) a skipped test fails.

A skip on a developer's machine says what is missing there (no Docker, no
server binaries, no Chromium). On CI the same skip would hide that the check
never ran, and the run would still go green, so there it is a failure naming
the skip, unless its reason is on the short list below, each with why CI may
take it. Loaded by tests/conftest.py (``pytest_plugins``).
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

#: Skip reasons (a part of the reason's text) CI may take, each with why. Empty: every
#: check this suite has runs on this project's CI machine, unless MySQL is turned off
#: on purpose (.ci/run: MATRIX_WITHOUT_MYSQL=1, which sets MATRIX_OFF=mysql).
ALLOWED_IN_CI: dict[str, str] = (
    {"no MySQL:": "MySQL is turned off on purpose (MATRIX_OFF=mysql)"}
    if "mysql" in os.environ.get("MATRIX_OFF", "").split(",")
    else {}
)


def _reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    return str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if os.environ.get("CI") != "true" or not report.skipped or hasattr(report, "wasxfail"):
        return report
    reason = _reason(report).removeprefix("Skipped: ")
    if not any(allowed in reason for allowed in ALLOWED_IN_CI):
        report.outcome = "failed"
        report.longrepr = (
            f"skipped under CI=true: {reason} (a skip CI may take goes in "
            "tests/ci_skips.py ALLOWED_IN_CI, with why)"
        )
    return report
