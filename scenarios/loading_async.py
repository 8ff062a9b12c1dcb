"""Loading relationships under asyncio: AsyncSession with asyncpg, aiomysql, aiosqlite.

An implicit lazy load needs I/O at attribute access, which asyncio cannot do
behind a plain attribute: the error users hit is MissingGreenlet. Eager
strategies load during the awaited query and work; explicit alternatives
(refresh, write_only's select(), run_sync) do the I/O where it is awaited.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from sqlalchemy import exc, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import (
    Session,
    immediateload,
    joinedload,
    lazyload,
    raiseload,
    selectinload,
    subqueryload,
)

from harness.scenario import Context, Doc, Observed, scenario
from models.user import User
from scenarios.loading import (
    IMMEDIATE,
    JOINED,
    LARGE_COLLECTIONS,
    RAISE,
    SELECTIN,
    SUBQUERY,
    WriteOnlyUser,
    seed,
)

ASYNCIO = "https://docs.sqlalchemy.org/en/20/orm/extensions/asyncio.html"
IMPLICIT_IO = f"{ASYNCIO}#preventing-implicit-io-when-using-asyncsession"
RUN_SYNC = f"{ASYNCIO}#running-synchronous-methods-and-functions-under-asyncio"
N = 10
LOADED = f"{2 * N} loaded"

OPTIONS = {
    "lazy (implicit, on attribute access)": (lazyload, IMPLICIT_IO, "raises MissingGreenlet"),
    "immediate": (immediateload, IMMEDIATE, LOADED),
    "joined": (joinedload, JOINED, LOADED),
    "selectin": (selectinload, SELECTIN, LOADED),
    "subquery": (subqueryload, SUBQUERY, LOADED),
    "raise": (raiseload, RAISE, "raises InvalidRequestError"),
}


async def _with_option(engine: AsyncEngine, option: Any) -> str:
    async with AsyncSession(engine) as session:
        result = await session.scalars(select(User).order_by(User.id).options(option(User.posts)))
        users = result.unique().all()
        return f"{sum(len(user.posts) for user in users)} loaded"


async def _refresh_each(engine: AsyncEngine) -> str:
    async with AsyncSession(engine) as session:
        users = (await session.scalars(select(User).order_by(User.id))).all()
        for user in users:
            await session.refresh(user, ["posts"])
        return f"{sum(len(user.posts) for user in users)} loaded"


async def _write_only_select(engine: AsyncEngine) -> str:
    async with AsyncSession(engine) as session:
        users = (await session.scalars(select(WriteOnlyUser).order_by(User.__table__.c.id))).all()
        posts = [(await session.scalars(user.posts.select())).all() for user in users]
        return f"{sum(map(len, posts))} loaded"


async def _lazy_in_run_sync(engine: AsyncEngine) -> str:
    def load(session: Session) -> int:
        users = session.scalars(select(User).order_by(User.id)).all()
        return sum(len(user.posts) for user in users)

    async with AsyncSession(engine) as session:
        return f"{await session.run_sync(load)} loaded"


def _outcome(error: Exception) -> str:
    """The error a user sees, unwrapped from the StatementError SQLAlchemy may wrap it in."""
    inner = error.orig if isinstance(error, exc.StatementError) and error.orig else error
    return f"raises {type(inner).__name__}"


Job = Callable[[AsyncEngine], Awaitable[str]]


@scenario(
    f"Under AsyncSession: which loading strategies work (N={N} users, 2 posts each)",
    tags=("loading", "asyncio"),
    expect={
        **{
            f"{name}: outcome": Doc(result, source) for name, (_, source, result) in OPTIONS.items()
        },
        "session.refresh(user, ['posts']) for each: outcome": Doc(LOADED, IMPLICIT_IO),
        "write_only: await session.scalars(user.posts.select()): outcome": Doc(
            LOADED, LARGE_COLLECTIONS
        ),
        "lazy inside session.run_sync(): outcome": Doc(LOADED, RUN_SYNC),
    },
)
def async_strategies(ctx: Context) -> Observed:
    """Each strategy loads the users with ``await session.scalars(...)``, then
    the loop touches user.posts. Only what was loaded during an await is there:
    an implicit lazy load raises MissingGreenlet."""
    seed(ctx, N)
    jobs: dict[str, Job] = {
        name: partial(_with_option, option=option) for name, (option, _, _) in OPTIONS.items()
    }
    jobs["session.refresh(user, ['posts']) for each"] = _refresh_each
    jobs["write_only: await session.scalars(user.posts.select())"] = _write_only_select
    jobs["lazy inside session.run_sync()"] = _lazy_in_run_sync

    async def every_job(engine: AsyncEngine) -> Observed:
        observed: Observed = {"async driver": engine.dialect.driver}
        for name, job in jobs.items():
            with ctx.counting() as statements:
                try:
                    outcome = await job(engine)
                except (exc.InvalidRequestError, exc.StatementError, TypeError) as error:
                    outcome = _outcome(error)
            observed[f"{name}: outcome"] = outcome
            observed[f"{name}: statements"] = len(statements)
        return observed

    return ctx.run_async(every_job)
