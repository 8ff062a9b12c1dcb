"""Loading relationships under asyncio: AsyncSession with asyncpg, aiomysql, aiosqlite.

An implicit lazy load needs I/O at attribute access, which asyncio cannot do
behind a plain attribute: the error users hit is MissingGreenlet. Eager
strategies load during the awaited query and work; explicit alternatives
(refresh, write_only's select(), run_sync) do the I/O where it is awaited.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, ForeignKey, String, exc, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncResult, AsyncSession
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    joinedload,
    mapped_column,
    relationship,
)

from models.user import User
from scenarios._loaders import OPTIONS as OPT
from scenarios._loaders import SOURCES
from scenarios._loaders import Strategy as S
from scenarios.loading import (
    JOINED,
    LARGE_COLLECTIONS,
    RAISE,
    SELECTIN,
    WriteOnlyUser,
    seed,
)
from sqla_matrix.releases import CHANGELOG_20, CHANGELOG_21, Since
from sqla_matrix.scenario import Context, Doc, KnownBug, Observed, When, scenario

ASYNCIO = "https://docs.sqlalchemy.org/en/20/orm/extensions/asyncio.html"
IMPLICIT_IO = f"{ASYNCIO}#preventing-implicit-io-when-using-asyncsession"
RUN_SYNC = f"{ASYNCIO}#running-synchronous-methods-and-functions-under-asyncio"
N = 10
LOADED = f"{2 * N} loaded"

#: label -> (loader option, where documented, what the loop sees under AsyncSession)
OPTIONS = {
    f"{S.LAZY} (implicit, on attribute access)": (
        OPT[S.LAZY],
        IMPLICIT_IO,
        "raises MissingGreenlet",
    ),
    S.IMMEDIATE.value: (OPT[S.IMMEDIATE], SOURCES[S.IMMEDIATE], LOADED),
    S.JOINED.value: (OPT[S.JOINED], SOURCES[S.JOINED], LOADED),
    S.SELECTIN.value: (OPT[S.SELECTIN], SOURCES[S.SELECTIN], LOADED),
    S.SUBQUERY.value: (OPT[S.SUBQUERY], SOURCES[S.SUBQUERY], LOADED),
    S.RAISE.value: (OPT[S.RAISE], SOURCES[S.RAISE], "raises InvalidRequestError"),
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
        "session.refresh(user, ['posts']) for each: outcome": When(
            {
                # Before 2.0.4 refresh() did not load a relationship it named, leaving it to
                # a lazy load that asyncio cannot do (sqlalchemy#9298).
                "sqlalchemy<2.0.4": KnownBug(
                    "raises MissingGreenlet",
                    "https://github.com/sqlalchemy/sqlalchemy/issues/9298",
                    fixed_in="2.0.4",
                    workaround="selectinload(User.posts) in the query",
                ),
                "sqlalchemy>=2.0.4": Doc(LOADED, IMPLICIT_IO),
            }
        ),
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


# -- expired attributes and model-level loaders under asyncio ---------------------------

EXPIRE_ON_COMMIT = f"{ASYNCIO}#asyncio-orm-avoid-lazyloads"
AWAITABLE_ATTRS = f"{ASYNCIO}#sqlalchemy.ext.asyncio.AsyncAttrs"
EAGER_DEFAULTS = (
    "https://docs.sqlalchemy.org/en/20/orm/mapping_api.html"
    "#sqlalchemy.orm.Mapper.params.eager_defaults"
)
AWAITABLE = Since("2.0.13", "AsyncAttrs.awaitable_attrs", f"{CHANGELOG_20}#change-2.0.13")

if TYPE_CHECKING or AWAITABLE.available():
    from sqlalchemy.ext.asyncio import AsyncAttrs
else:  # before 2.0.13: the models work without it, its key reads "not in this release"

    class AsyncAttrs:
        pass


class _Base(AsyncAttrs, DeclarativeBase):
    pass


class _AuthorColumns:
    """A plain column, one the server fills on INSERT, one SQLAlchemy sets on UPDATE."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime | None] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[datetime | None] = mapped_column(DateTime, onupdate=func.now())


class _Author(_AuthorColumns, _Base):
    __tablename__ = "async_authors"
    books_selectin: Mapped[list[_Book]] = relationship(lazy="selectin", viewonly=True)
    books_joined: Mapped[list[_Book]] = relationship(lazy="joined", viewonly=True)
    books_raise: Mapped[list[_Book]] = relationship(lazy="raise", viewonly=True)
    books_lazy: Mapped[list[_Book]] = relationship(viewonly=True)


class _EagerAuthor(_AuthorColumns, _Base):
    """The same columns, fetched after every flush: eager_defaults=True."""

    __tablename__ = "async_authors_eager"
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012 (declarative reads it)


class _LazyAuthor(_AuthorColumns, _Base):
    """The same columns, never fetched by the flush: eager_defaults=False."""

    __tablename__ = "async_authors_lazy"
    __mapper_args__ = {"eager_defaults": False}  # noqa: RUF012 (declarative reads it)


class _Book(_Base):
    __tablename__ = "async_books"
    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("async_authors.id"))


async def _read(obj: Any, attribute: str) -> str:
    """Reading ``obj.attribute`` outside an await: the value's kind, or the error."""
    try:
        value = getattr(obj, attribute)
    except (exc.InvalidRequestError, exc.StatementError) as error:
        return _outcome(error)
    if isinstance(value, list):
        return f"{len(value)} loaded"
    return "a value" if value is not None else "None"


async def _after_flush(engine: AsyncEngine) -> Observed:
    """Server-generated values right after an INSERT's and an UPDATE's flush (no commit),
    per eager_defaults: "auto" (the default: fetched when RETURNING can), True, False."""
    observed: Observed = {}
    models: dict[str, Any] = {"'auto'": _Author, "True": _EagerAuthor, "False": _LazyAuthor}
    for setting, model in models.items():
        label = f"eager_defaults={setting}"
        async with AsyncSession(engine, expire_on_commit=False) as session:
            author = model(id=10, name="a")
            session.add(author)
            await session.flush()
            observed[f"after an INSERT's flush: created_at ({label})"] = await _read(
                author, "created_at"
            )
            author.name = "b"
            await session.flush()
            observed[f"after an UPDATE's flush: updated_at ({label})"] = await _read(
                author, "updated_at"
            )
            await session.rollback()
    return observed


async def _attributes(engine: AsyncEngine) -> Observed:
    observed: Observed = {}
    for expire in (True, False):
        label = f"expire_on_commit={expire}"
        async with AsyncSession(engine, expire_on_commit=expire) as session:
            author = _Author(id=1 if expire else 2, name="a")
            session.add(author)
            await session.flush()
            observed[f"after flush: server_default column ({label})"] = await _read(
                author, "created_at"
            )
            await session.commit()
            for column in ("name", "created_at", "updated_at"):
                observed[f"after commit: {column} ({label})"] = await _read(author, column)
            await session.refresh(author)
            observed[f"after await session.refresh(obj): created_at ({label})"] = await _read(
                author, "created_at"
            )
            author.name = "b"
            await session.commit()
            observed[f"after an UPDATE's commit: updated_at ({label})"] = await _read(
                author, "updated_at"
            )
    async with engine.begin() as conn:
        await conn.execute(insert(_Book), [{"id": 1, "author_id": 1}, {"id": 2, "author_id": 1}])
    async with AsyncSession(engine) as session:
        author = (await session.scalars(select(_Author).where(_Author.id == 1))).unique().one()
        # relationship(lazy=...) as a model writes it ("select", the default, is books_lazy's).
        for loader, attribute in (
            ("selectin",) * 2,
            ("joined",) * 2,
            ("raise",) * 2,
            ("select", "lazy"),
        ):
            observed[f"model-level lazy={loader!r}: books"] = await _read(
                author, f"books_{attribute}"
            )
        key = "await obj.awaitable_attrs.books (lazy='select')"
        if AWAITABLE.available():
            observed[key] = f"{len(await author.awaitable_attrs.books_lazy)} loaded"
        else:
            observed[key] = AWAITABLE.absent()
    return observed


@scenario(
    "Under AsyncSession: expired attributes after commit, server defaults, model-level loaders",
    tags=("loading", "asyncio", "timestamps"),
    expect={
        "after commit: name (expire_on_commit=True)": Doc("raises MissingGreenlet", IMPLICIT_IO),
        "after commit: name (expire_on_commit=False)": Doc("a value", EXPIRE_ON_COMMIT),
        "model-level lazy='selectin': books": Doc("2 loaded", SELECTIN),
        "model-level lazy='joined': books": Doc("2 loaded", JOINED),
        "model-level lazy='raise': books": Doc("raises InvalidRequestError", RAISE),
        "model-level lazy='select': books": Doc("raises MissingGreenlet", IMPLICIT_IO),
        "await obj.awaitable_attrs.books (lazy='select')": Doc("2 loaded", AWAITABLE_ATTRS),
        "after an INSERT's flush: created_at (eager_defaults=True)": Doc("a value", EAGER_DEFAULTS),
        "after an UPDATE's flush: updated_at (eager_defaults=True)": Doc("a value", EAGER_DEFAULTS),
    },
)
def async_expired_attributes(ctx: Context) -> Observed:
    """An object read after commit() with the default expire_on_commit=True needs
    I/O, which a plain attribute cannot await; a server_default column is
    unknown after the flush unless fetched; refresh() is the awaited way back.
    After a flush, eager_defaults decides whether the server's values are fetched:
    "auto" (the default) fetches an INSERT's when the dialect has RETURNING, True
    fetches after INSERT and UPDATE, False never does.
    Loaders set on the model (lazy='selectin', 'joined', 'raise') behave as the
    query options do; AsyncAttrs.awaitable_attrs awaits a lazy load."""
    ctx.create_tables(_Base.metadata)

    async def observe(engine: AsyncEngine) -> Observed:
        observed: Observed = {"async driver": engine.dialect.driver}
        observed.update(await _attributes(engine))
        observed.update(await _after_flush(engine))
        return observed

    return ctx.run_async(observe)


# -- AsyncResult, from SQLAlchemy's changelog ------------------------------------------

ASYNC_SCALAR = "AsyncResult.scalar() of a stream (#12338)"
ASYNC_UNIQUE_SCALARS = (
    "AsyncSession.stream() with joinedload(User.posts), then .unique().scalars(): users (#13688)"
)
ASYNC_FREEZE = "AsyncResult.freeze() of a Core stream, then the frozen result: rows (#13689)"


async def _closed_after(
    result: AsyncResult[Any], use: Callable[[AsyncResult[Any]], Awaitable[Any]]
) -> Any:
    """``use(result)``, then the result closed even when ``use`` raised: a stream left
    open keeps its cursor, and on SQLite its read lock, past the scenario (the next
    writer then reads "database is locked")."""
    try:
        return await use(result)
    finally:
        await result.close()


async def _attempt(job: Callable[[], Awaitable[Any]]) -> Any:
    try:
        return await job()
    except (exc.SQLAlchemyError, AttributeError, TypeError) as error:
        return _outcome(error)


#: Both fixes reached 2.0.x in 2.0.56 and 2.1.x in 2.1.6 (the entries' ":versions:"):
#: 2.1.0 to 2.1.5, released before 2.0.56, still have the bugs.
FIXED_IN_2_0_56_AND_2_1_6 = {
    "sqlalchemy>=2.1.6": Doc(3, f"{CHANGELOG_21}#change-2.1.6"),
    "sqlalchemy>=2.0.56 sqlalchemy<2.1.0b1": Doc(3, f"{CHANGELOG_20}#change-2.0.56"),
}


@scenario(
    "AsyncResult from stream(): scalar(), unique().scalars() over a joined collection, freeze()",
    tags=("loading", "asyncio"),
    expect={
        ASYNC_SCALAR: When({"sqlalchemy>=2.0.39": Doc(1, f"{CHANGELOG_20}#change-2.0.39")}),
        ASYNC_UNIQUE_SCALARS: When(FIXED_IN_2_0_56_AND_2_1_6),
        ASYNC_FREEZE: When(FIXED_IN_2_0_56_AND_2_1_6),
    },
)
def async_result_methods(ctx: Context) -> Observed:
    """Three changelog entries on the AsyncResult a stream() returns: scalar() raised
    AttributeError until 2.0.39 (#12338); unique() before scalars() was lost, so a
    joined eager collection refused to stream, until 2.0.56 and 2.1.6 (#13688);
    freeze() fetched no rows until the same releases (#13689). Three users with two posts each."""
    seed(ctx, 3)
    users = select(User.id).order_by(User.id)

    async def observe(engine: AsyncEngine) -> Observed:
        observed: Observed = {}
        async with engine.connect() as conn:

            async def scalar() -> Any:
                return await _closed_after(await conn.stream(users), lambda r: r.scalar())

            async def freeze() -> Any:
                frozen = await _closed_after(await conn.stream(users), lambda r: r.freeze())
                return len(frozen().all())

            observed[ASYNC_SCALAR] = await _attempt(scalar)
            observed[ASYNC_FREEZE] = await _attempt(freeze)
        async with AsyncSession(engine) as session:

            async def unique_scalars() -> Any:
                query = select(User).options(joinedload(User.posts)).order_by(User.id)
                rows = await _closed_after(
                    await session.stream(query), lambda r: r.unique().scalars().all()
                )
                return len(rows)

            observed[ASYNC_UNIQUE_SCALARS] = await _attempt(unique_scalars)
        return observed

    return ctx.run_async(observe)
