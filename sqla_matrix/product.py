"""Behaviours by construction: a scenario over the product of its dimensions.

A hand-picked scenario observes the combinations someone thought of; users hit
the others. A product scenario declares its dimensions once, as enums whose
values are the labels a reader sees, and observes every combination::

    class Strategy(Label):
        SELECTIN = "selectinload"
        JOINED = "joinedload"

    class Shape(Label):
        ONE_TO_MANY = "one-to-many"
        MANY_TO_MANY = "many-to-many"

    LOADING = Product(Strategy, Shape, measures=("statements", "collections"))
    LOADING.expect("collections", Doc("right", SOURCE))                 # every combination
    LOADING.expect("statements", Doc(2, SOURCE), Strategy.SELECTIN)     # every selectin one

    @scenario("...", expect=LOADING.expectations())
    def loading(ctx: Context) -> Observed:
        seen = LOADING.observed()
        for combination in LOADING:
            seen[combination, "statements"] = ...
        return seen.values

Keys are made from the labels (``selectinload × one-to-many: statements``),
never typed by hand. Since every key is known before the run, an expectation
whose pattern matches no combination is refused when the module is imported
(a collection error, one line), and ``observed()`` refuses a measure or a
combination the product does not declare.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeAlias

from sqla_matrix.scenario import Expectation

Combination: TypeAlias = tuple["Label", ...]


class Label(enum.Enum):
    """A value of one dimension; its value is the words the report shows."""

    def __str__(self) -> str:
        return str(self.value)


class Product:
    """The combinations of ``dimensions`` (each a ``Label`` enum), in declaration order,
    each observed through ``measures``; ``admits`` leaves out the ones that make no sense
    (those SQLAlchemy refuses are observed, not left out)."""

    def __init__(
        self,
        *dimensions: type[Label],
        measures: Sequence[str],
        admits: Callable[[Combination], bool] | None = None,
    ) -> None:
        if not dimensions or not measures:
            raise ValueError("a product needs at least one dimension and one measure")
        self.dimensions = dimensions
        self.measures = tuple(measures)
        every = itertools.product(*(list(dimension) for dimension in dimensions))
        self.combinations: list[Combination] = [c for c in every if admits is None or admits(c)]
        self._expectations: dict[str, Expectation] = {}

    def __iter__(self) -> Iterator[Combination]:
        return iter(self.combinations)

    def __len__(self) -> int:
        return len(self.combinations)

    @staticmethod
    def key(combination: Combination, measure: str) -> str:
        """The behaviour's key: ``selectinload × many-to-many × plain: statements``."""
        return f"{' × '.join(str(label) for label in combination)}: {measure}"

    def where(self, *pattern: Label) -> list[Combination]:
        """The combinations ``pattern`` matches: for each dimension it names, any of the
        labels it gives of that dimension (a dimension it leaves out: any label)."""
        wanted: dict[type[Label], set[Label]] = {}
        for label in pattern:
            if type(label) not in self.dimensions:
                raise ValueError(f"{label!r} is not a label of this product's dimensions")
            wanted.setdefault(type(label), set()).add(label)
        return [
            combination
            for combination in self.combinations
            if all(
                combination[self.dimensions.index(dimension)] in labels
                for dimension, labels in wanted.items()
            )
        ]

    def expect(self, measure: str, expectation: Expectation, *pattern: Label) -> None:
        """Attach ``expectation`` to ``measure`` of every combination ``pattern`` matches.

        A later call overrides an earlier one where both match (write the general rule
        first, its exceptions after). A pattern that matches nothing is an error now."""
        if measure not in self.measures:
            raise ValueError(f"no measure {measure!r}; this product measures {self.measures}")
        matched = self.where(*pattern)
        if not matched:
            shown = " × ".join(str(label) for label in pattern)
            raise ValueError(f"expectation for {measure!r} where {shown}: matches no combination")
        for combination in matched:
            self._expectations[self.key(combination, measure)] = expectation

    def expectations(self) -> Mapping[str, Expectation]:
        """Every key's expectation, for ``scenario(expect=...)``."""
        return dict(self._expectations)

    def observed(self) -> Observations:
        """An empty set of observations of this product's keys."""
        return Observations(self)


class Observations:
    """What a product scenario saw, by combination and measure (its ``values`` are what
    the scenario returns)."""

    def __init__(self, product: Product) -> None:
        self._product = product
        self._known = set(product.combinations)
        self.values: dict[str, Any] = {}

    def __setitem__(self, where: tuple[Combination, str], value: Any) -> None:
        combination, measure = where
        if combination not in self._known:
            raise KeyError(f"{combination!r} is not a combination of this product")
        if measure not in self._product.measures:
            raise KeyError(
                f"no measure {measure!r}; this product measures {self._product.measures}"
            )
        self.values[Product.key(combination, measure)] = value
