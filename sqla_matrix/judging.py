"""Judging: what a scenario's observation earns on one configuration, as pure functions.

Nothing here touches a database or the run's state: whether a scenario applies to a
configuration, and how its observed values compare with its expectations, follow from the
scenario, the values and the configuration's facts (``expect.Facts``) alone.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqla_matrix import expect
from sqla_matrix.capabilities import Capabilities
from sqla_matrix.results import MISMATCH, NOT_IN_RELEASE, NOT_OBSERVED_HERE, NOT_SUPPORTED, PASS
from sqla_matrix.scenario import Expectation, Scenario, expectation_for


@dataclass(frozen=True)
class NotApplicable:
    """Why a configuration does not run a scenario: one of the three kinds of "no"."""

    reason: str
    why_not_run: str  # "not observed here", "not supported", "not in this release"


def applicability(
    scenario: Scenario, facts: expect.Facts, capabilities: Capabilities
) -> NotApplicable | None:
    """Whether the configuration ``facts`` describes, on a backend that declares
    ``capabilities``, runs ``scenario``; and if not, why."""
    for requirement in scenario.requires:
        if not requirement.holds(capabilities):
            return NotApplicable(requirement.reason(facts.backend), NOT_SUPPORTED)
    if not scenario.applies_to(facts):
        lacking = (scenario.elsewhere or {}).get(facts.backend)
        if lacking is not None:
            reason = f"not supported: {lacking.reason} ({lacking.source})"
            return NotApplicable(reason, NOT_SUPPORTED)
        written = ", ".join(scenario.backends or ())
        return NotApplicable(f"applies to {written} only", NOT_OBSERVED_HERE)
    if scenario.since is not None and not scenario.since.available():
        return NotApplicable(scenario.since.reason(), NOT_IN_RELEASE)
    return None


@dataclass(frozen=True)
class Judgement:
    """How one observation compares with its expectations on one configuration."""

    expected: dict[str, dict[str, Any]]  # key -> the expectation as the results file holds it
    marks: dict[str, str]  # documented key -> pass, mismatch, never observed, known bug, ...
    mismatches: list[str]  # the keys that make the cell a mismatch

    @property
    def status(self) -> str:
        return MISMATCH if self.mismatches else PASS


def judge(
    expectations: Mapping[str, Expectation],
    facts: expect.Facts,
    observed: Mapping[str, Any],
    unavailable: Collection[str] = (),
    *,
    raised: bool = False,
) -> Judgement:
    """Each documented key's mark on the configuration ``facts`` describes. A key its release
    lacks (``unavailable``) is neither judged nor missed; after the scenario ``raised``,
    nothing is judged. A documented key the scenario did not return is *never observed*."""
    expected: dict[str, dict[str, Any]] = {}
    marks: dict[str, str] = {}
    for key, expectation in expectations.items():
        found = expectation_for(expectation, facts.backend, facts)
        if found is None:
            continue
        expected[key] = expect.as_json(found)
        if not raised and key not in unavailable:
            marks[key] = (
                expect.judge(found, observed[key]) if key in observed else expect.NEVER_OBSERVED
            )
    mismatches = [key for key, mark in marks.items() if mark in expect.MISMATCHES]
    return Judgement(expected, marks, mismatches)
