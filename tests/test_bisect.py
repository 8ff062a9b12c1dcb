"""Bisecting SQLAlchemy releases: the search itself, and the release list from PyPI."""

from __future__ import annotations

import pytest

from sqla_matrix.bisect import BisectError, first_change, releases

VERSIONS = [f"2.0.{n}" for n in range(30, 50)]


def test_bisection_finds_the_first_release_with_the_new_value_in_few_steps() -> None:
    asked: list[str] = []

    def observe(version: str) -> str:
        asked.append(version)
        return "stale" if int(version.rsplit(".", 1)[1]) < 36 else "expired"

    found = first_change(VERSIONS, observe)
    assert found is not None
    assert (found.before, found.first) == ("2.0.35", "2.0.36")
    assert (found.before_value, found.first_value) == ("stale", "expired")
    assert found.steps == len(asked) <= 2 + 5  # both ends, then log2(20) rounded up


def test_the_same_value_at_both_ends_is_no_change() -> None:
    assert first_change(VERSIONS, lambda version: 1) is None


def test_the_release_list_comes_from_pypi_oldest_first_without_pre_releases() -> None:
    found = releases("2.0.34", "2.0.36")
    assert found == ["2.0.34", "2.0.35", "2.0.36"]


def test_a_release_that_does_not_exist_is_one_line() -> None:
    with pytest.raises(BisectError, match=r"^SQLAlchemy 2\.0\.999 is not a release on PyPI"):
        releases("2.0.30", "2.0.999")
