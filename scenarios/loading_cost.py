"""What each loading strategy costs as N grows: the one deliberately long measurement.

N users (two posts each) are loaded with each strategy and every
user.posts is touched; the time is the median of repeated runs, the
statement count is observed (and compared with the documentation). Tagged
``cost``: ``nox -s curves`` runs it, apart from the quick matrix.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.user import User
from scenarios._loaders import OPTIONS, SOURCES
from scenarios._loaders import Strategy as S
from scenarios.loading import seed
from sqla_matrix.scenario import Context, Doc, Observed, scenario

STEPS = (10, 100, 1_000, 10_000)
REPEATS = 3
SLOW = 1.0  # seconds: a step whose first run takes longer is run once
CHART = "seconds to load N users and touch user.posts (median of 3 runs; 1 run past 1 s)"
STRATEGIES: dict[str, tuple[Any, Any, str]] = {
    # name: (loader option, statements for N, documentation)
    S.LAZY.value: (OPTIONS[S.LAZY], lambda n: 1 + n, SOURCES[S.LAZY]),
    S.IMMEDIATE.value: (OPTIONS[S.IMMEDIATE], lambda n: 1 + n, SOURCES[S.IMMEDIATE]),
    S.JOINED.value: (OPTIONS[S.JOINED], lambda n: 1, SOURCES[S.JOINED]),
    S.SUBQUERY.value: (OPTIONS[S.SUBQUERY], lambda n: 2, SOURCES[S.SUBQUERY]),
    # 500 keys per IN (...)
    S.SELECTIN.value: (OPTIONS[S.SELECTIN], lambda n: 1 + -(-n // 500), SOURCES[S.SELECTIN]),
}


@scenario(
    "The cost of each loading strategy as N grows (10 to 10,000 users)",
    tags=("loading", "cost"),
    expect={
        f"{name}, N={n}: statements": Doc(count(n), source)
        for name, (_, count, source) in STRATEGIES.items()
        for n in STEPS
    },
)
def loading_cost(ctx: Context) -> Observed:
    """Each strategy loads the first N users and touches every user.posts in a
    fresh session, three times per N (once when the first run takes over a
    second, as the 1 + N strategies do at N = 10,000); the report charts the
    median time."""
    seed(ctx, max(STEPS))
    observed: Observed = {}
    for name, (option, _, _) in STRATEGIES.items():
        for n in STEPS:
            query = select(User).order_by(User.id).limit(n).options(option(User.posts))
            timings: list[float] = []
            while len(timings) < REPEATS and (not timings or timings[0] < SLOW):
                with Session(ctx.engine) as session, ctx.counting() as statements:
                    start = time.perf_counter()
                    users = session.scalars(query).unique().all()
                    posts = sum(len(user.posts) for user in users)
                    timings.append(time.perf_counter() - start)
            observed[f"{name}, N={n}: statements"] = len(statements)
            observed[f"{name}, N={n}: posts loaded"] = posts
            ctx.measure(CHART, name, n, round(statistics.median(timings), 6))
    return observed
