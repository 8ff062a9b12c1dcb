"""A product scenario: its keys come from typed labels, its expectations attach by pattern,
and a pattern that matches no combination is refused before anything runs."""

from __future__ import annotations

import pytest

from sqla_matrix.expect import Doc
from sqla_matrix.product import Label, Product

SOURCE = "https://docs.sqlalchemy.org/en/20/orm/queryguide/relationships.html"


class Strategy(Label):
    SELECTIN = "selectinload"
    JOINED = "joinedload"


class Shape(Label):
    ONE_TO_MANY = "one-to-many"
    MANY_TO_MANY = "many-to-many"


def test_every_combination_is_a_key_made_of_its_labels() -> None:
    product = Product(Strategy, Shape, measures=("statements",))
    keys = [product.key(c, "statements") for c in product]
    assert keys == [
        "selectinload × one-to-many: statements",
        "selectinload × many-to-many: statements",
        "joinedload × one-to-many: statements",
        "joinedload × many-to-many: statements",
    ]


def test_an_expectation_attaches_to_every_combination_its_pattern_matches() -> None:
    product = Product(Strategy, Shape, measures=("statements", "collections"))
    product.expect("collections", Doc("right", SOURCE))  # every combination
    product.expect("statements", Doc(2, SOURCE), Strategy.SELECTIN)
    product.expect("statements", Doc(3, SOURCE), Strategy.SELECTIN, Shape.MANY_TO_MANY)
    expected = {
        key: doc.value for key, doc in product.expectations().items() if isinstance(doc, Doc)
    }
    assert expected == {
        "selectinload × one-to-many: collections": "right",
        "selectinload × many-to-many: collections": "right",
        "joinedload × one-to-many: collections": "right",
        "joinedload × many-to-many: collections": "right",
        "selectinload × one-to-many: statements": 2,
        "selectinload × many-to-many: statements": 3,  # the later, narrower rule wins
    }


def test_a_pattern_that_matches_no_combination_is_refused_when_written() -> None:
    product = Product(
        Strategy,
        Shape,
        measures=("statements",),
        admits=lambda c: c != (Strategy.JOINED, Shape.MANY_TO_MANY),
    )
    with pytest.raises(ValueError, match="joinedload × many-to-many: matches no combination"):
        product.expect("statements", Doc(1, SOURCE), Strategy.JOINED, Shape.MANY_TO_MANY)
    with pytest.raises(ValueError, match="no measure 'statement'"):
        product.expect("statement", Doc(1, SOURCE))


def test_observations_take_only_declared_combinations_and_measures() -> None:
    product = Product(Strategy, Shape, measures=("statements",))
    seen = product.observed()
    seen[(Strategy.JOINED, Shape.ONE_TO_MANY), "statements"] = 1
    assert seen.values == {"joinedload × one-to-many: statements": 1}
    with pytest.raises(KeyError, match="no measure 'rows'"):
        seen[(Strategy.JOINED, Shape.ONE_TO_MANY), "rows"] = 1
    with pytest.raises(KeyError, match="is not a combination"):
        seen[(Shape.ONE_TO_MANY, Strategy.JOINED), "statements"] = 1


def test_report_md_lists_of_a_large_scenario_only_what_differs_and_says_how_many_it_left() -> None:
    """A product has hundreds of behaviours: report.md (a CI job summary) keeps the ones
    whose configurations disagree or that differ from their documentation, at most 25, and says
    how many more report.html holds; a small scenario is listed whole."""
    from sqla_matrix.report import markdown
    from sqla_matrix.report.view import Cell, Row

    same = [Row(f"same {i}", [], {"a": Cell("1", ""), "b": Cell("1", "")}) for i in range(50)]
    differ = [Row(f"differ {i}", [], {"a": Cell("1", ""), "b": Cell("2", "")}) for i in range(30)]
    wrong = Row("wrong", [], {"a": Cell("1", "mismatch", "2"), "b": Cell("1", "mismatch", "2")})
    shown = markdown.listed([*same, *differ, wrong])
    assert shown[0] is wrong  # what differs from its documentation comes first
    assert len(shown) == markdown.LISTED_AT_MOST
    assert all(row.key.startswith("differ") for row in shown[1:])
    assert markdown.listed(same[:10]) == same[:10]
