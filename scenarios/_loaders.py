"""The loading strategies, once: each one's label (the option's own name, what users type),
its loader option, and where SQLAlchemy documents it. Every loading scenario takes its
strategies from here (loading, loading_async, loading_cost, loading_product, row_locks,
driver_values), so one strategy has one label across the report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import (
    immediateload,
    joinedload,
    lazyload,
    noload,
    raiseload,
    selectinload,
    subqueryload,
)

from sqla_matrix.product import Label

LOADING = "https://docs.sqlalchemy.org/en/20/orm/queryguide/relationships.html"
CONTAINS_EAGER = f"{LOADING}#routing-explicit-joins-statements-into-eagerly-loaded-collections"


class Strategy(Label):
    LAZY = "lazyload"
    JOINED = "joinedload"
    JOINED_INNER = "joinedload(innerjoin=True)"
    SELECTIN = "selectinload"
    SUBQUERY = "subqueryload"
    IMMEDIATE = "immediateload"
    RAISE = "raiseload"
    RAISE_ON_SQL = "raiseload(sql_only=True)"
    NOLOAD = "noload"
    CONTAINS_EAGER = "outerjoin + contains_eager"


#: Each strategy as a loader option of a relationship (contains_eager needs the query's
#: own JOIN, so the scenarios that use it build it beside the query).
OPTIONS: dict[Strategy, Callable[[Any], Any]] = {
    Strategy.LAZY: lazyload,
    Strategy.JOINED: joinedload,
    Strategy.JOINED_INNER: lambda rel: joinedload(rel, innerjoin=True),
    Strategy.SELECTIN: selectinload,
    Strategy.SUBQUERY: subqueryload,
    Strategy.IMMEDIATE: immediateload,
    Strategy.RAISE: raiseload,
    Strategy.RAISE_ON_SQL: lambda rel: raiseload(rel, sql_only=True),
    Strategy.NOLOAD: noload,
}

#: Where each strategy is documented.
SOURCES: dict[Strategy, str] = {
    Strategy.LAZY: f"{LOADING}#lazy-loading",
    Strategy.JOINED: f"{LOADING}#joined-eager-loading",
    Strategy.JOINED_INNER: f"{LOADING}#joined-eager-loading",
    Strategy.SELECTIN: f"{LOADING}#select-in-loading",
    Strategy.SUBQUERY: f"{LOADING}#subquery-eager-loading",
    Strategy.IMMEDIATE: f"{LOADING}#sqlalchemy.orm.immediateload",
    Strategy.RAISE: f"{LOADING}#preventing-unwanted-lazy-loads-using-raiseload",
    Strategy.RAISE_ON_SQL: f"{LOADING}#preventing-unwanted-lazy-loads-using-raiseload",
    Strategy.NOLOAD: f"{LOADING}#sqlalchemy.orm.noload",
    Strategy.CONTAINS_EAGER: CONTAINS_EAGER,
}


def options(*strategies: Strategy) -> dict[str, Callable[[Any], Any]]:
    """Label -> loader option, for the strategies named (in that order)."""
    return {strategy.value: OPTIONS[strategy] for strategy in strategies}
