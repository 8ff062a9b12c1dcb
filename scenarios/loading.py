"""Loading strategies and the N+1 problem.

The seed notes: load N rows of A, loop over them, and each access to the
related B rows issues its own query: 1 query for A plus N queries for B.
Every loading strategy SQLAlchemy offers is run here on the shared models,
and the statements each one issues are counted from the engine's events.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, exc, insert, select
from sqlalchemy.orm import (
    DeclarativeBase,
    DynamicMapped,
    WriteOnlyMapped,
    contains_eager,
    joinedload,
    relationship,
    selectinload,
)
from sqlalchemy.orm.strategy_options import _AbstractLoad

from models.post import Post
from models.profile import Profile
from models.user import User
from scenarios._loaders import LOADING, SOURCES, Strategy, options
from sqla_matrix.scenario import Context, Doc, Observed, When, scenario

LAZY, JOINED, SELECTIN = (
    SOURCES[Strategy.LAZY],
    SOURCES[Strategy.JOINED],
    SOURCES[Strategy.SELECTIN],
)
SUBQUERY, IMMEDIATE = SOURCES[Strategy.SUBQUERY], SOURCES[Strategy.IMMEDIATE]
RAISE, NOLOAD = SOURCES[Strategy.RAISE], SOURCES[Strategy.NOLOAD]
LARGE_COLLECTIONS = "https://docs.sqlalchemy.org/en/20/orm/large_collections.html"
DYNAMIC = f"{LARGE_COLLECTIONS}#dynamic-relationship-loaders"

Option = Callable[[Any], _AbstractLoad]
S = Strategy
STRATEGIES: dict[str, Option] = options(
    S.LAZY, S.JOINED, S.SELECTIN, S.SUBQUERY, S.IMMEDIATE, S.RAISE, S.RAISE_ON_SQL, S.NOLOAD
)
N_VALUES = (10, 50)


def seed(ctx: Context, users: int, posts_each: int = 2) -> None:
    """``users`` users, each with ``posts_each`` posts and one profile (not counted)."""
    with ctx.engine.begin() as conn:
        conn.execute(insert(User), [{"id": i, "name": f"user {i}"} for i in range(1, users + 1)])
        conn.execute(
            insert(Post),
            [
                {"title": f"post {p} of {i}", "user_id": i}
                for i in range(1, users + 1)
                for p in range(posts_each)
            ],
        )
        conn.execute(
            insert(Profile), [{"bio": f"bio {i}", "user_id": i} for i in range(1, users + 1)]
        )


def first_users(ctx: Context, session: Any, n: int, *options: _AbstractLoad) -> tuple[int, int]:
    """Load the first ``n`` users (with ``options``) and touch every user.posts:
    the statements that took, and the posts seen."""
    session.expunge_all()
    with ctx.counting() as statements:
        query = select(User).order_by(User.id).limit(n).options(*options)
        users = session.scalars(query).all()
        posts = sum(len(user.posts) for user in users)
    return len(statements), posts


def _first_users_for_each(ctx: Context, ns: tuple[int, ...], *options: _AbstractLoad) -> Observed:
    """``first_users`` for each N, in one session: statements and posts per N."""
    observed: Observed = {}
    session = ctx.session()
    for n in ns:
        statements, posts = first_users(ctx, session, n, *options)
        observed[f"N={n}: statements"] = statements
        observed[f"N={n}: posts loaded"] = posts
    return observed


def _error(error: Exception) -> str:
    return f"raises {type(error).__name__}"


def load_and_touch(
    ctx: Context, entity: Any, option: _AbstractLoad, touch: Callable[[Any], int]
) -> tuple[int, str]:
    """Load every ``entity`` with ``option`` and ``touch`` each (the relationship
    under test): the statements issued, and what the loop saw."""
    session = ctx.session()
    with ctx.counting() as statements:
        try:
            rows = (
                session.scalars(select(entity).order_by(entity.id).options(option)).unique().all()
            )
            seen = sum(touch(row) for row in rows)
            outcome = f"{seen} loaded"
        except (exc.InvalidRequestError, TypeError) as error:
            outcome = _error(error)
    session.close()
    return len(statements), outcome


def _strategy_table(
    ctx: Context, entity: Any, attribute: Any, touch: Callable[[Any], int]
) -> Observed:
    observed: Observed = {}
    for n in N_VALUES:
        seed(ctx, n)
        for name, option in STRATEGIES.items():
            count, outcome = load_and_touch(ctx, entity, option(attribute), touch)
            observed[f"{name}, N={n}: statements"] = count
            if n == N_VALUES[0]:
                observed[f"{name}: what the loop saw (N={n})"] = outcome
        _empty(ctx)
    return observed


def _empty(ctx: Context) -> None:
    with ctx.engine.begin() as conn:
        for model in (Profile, Post, User):
            conn.execute(delete(model))


def _expected_counts(**per_strategy: tuple[Callable[[int], int], str]) -> dict[str, Doc]:
    return {
        f"{name}, N={n}: statements": Doc(count(n), source)
        for name, (count, source) in per_strategy.items()
        for n in N_VALUES
    }


ONE_PLUS_N = (lambda n: 1 + n, LAZY)
COLLECTION_COUNTS = _expected_counts(
    **{
        S.LAZY.value: ONE_PLUS_N,
        S.JOINED.value: (lambda n: 1, JOINED),
        S.SELECTIN.value: (lambda n: 2, SELECTIN),
        S.SUBQUERY.value: (lambda n: 2, SUBQUERY),
        S.IMMEDIATE.value: (lambda n: 1 + n, IMMEDIATE),
        S.RAISE.value: (lambda n: 1, RAISE),
        S.RAISE_ON_SQL.value: (lambda n: 1, RAISE),
        S.NOLOAD.value: (lambda n: 1, NOLOAD),
    }
)


@scenario(
    "The N+1 problem: lazy loading user.posts for N users",
    tags=("loading", "n_plus_one"),
    expect={f"N={n}: statements": Doc(1 + n, LAZY) for n in (1, 10, 100)},
)
def n_plus_one(ctx: Context) -> Observed:
    """One SELECT for the N users, then one SELECT per user the first time the
    loop touches user.posts: 1 + N statements."""
    seed(ctx, 100)
    return _first_users_for_each(ctx, (1, 10, 100))


@scenario(
    "Every loading strategy on the one-to-many user.posts",
    tags=("loading",),
    expect={
        **COLLECTION_COUNTS,
        f"{S.LAZY}: what the loop saw (N=10)": Doc("20 loaded", LAZY),
        f"{S.JOINED}: what the loop saw (N=10)": Doc("20 loaded", JOINED),
        f"{S.SELECTIN}: what the loop saw (N=10)": Doc("20 loaded", SELECTIN),
        f"{S.RAISE}: what the loop saw (N=10)": Doc("raises InvalidRequestError", RAISE),
        f"{S.RAISE_ON_SQL}: what the loop saw (N=10)": Doc("raises InvalidRequestError", RAISE),
        f"{S.NOLOAD}: what the loop saw (N=10)": Doc("0 loaded", NOLOAD),
    },
)
def strategies_one_to_many(ctx: Context) -> Observed:
    """Load N users with the strategy as a loader option, then touch every
    user.posts (two posts each). raise and raise_on_sql refuse the access;
    noload leaves the collections empty without a query."""
    return _strategy_table(ctx, User, User.posts, lambda user: len(user.posts))


@scenario(
    "Every loading strategy from the many side, post.user, where the parents repeat",
    tags=("loading",),
    expect={
        **_expected_counts(
            **{
                S.LAZY.value: ONE_PLUS_N,
                S.JOINED.value: (lambda n: 1, JOINED),
                S.SELECTIN.value: (lambda n: 2, SELECTIN),
                S.RAISE.value: (lambda n: 1, RAISE),
            }
        ),
        f"{S.RAISE_ON_SQL}: what the loop saw (N=10)": Doc("raises InvalidRequestError", RAISE),
    },
)
def strategies_many_to_one(ctx: Context) -> Observed:
    """Load the 2N posts of N users and touch post.user. A lazy many-to-one load
    looks in the identity map first, so each user is fetched once: 1 + N, not
    1 + 2N. raise_on_sql refuses only what would need SQL."""
    return _strategy_table(ctx, Post, Post.user, lambda post: 1 if post.user else 0)


@scenario(
    "Every loading strategy on the one-to-one user.profile",
    tags=("loading",),
    expect=COLLECTION_COUNTS,
)
def strategies_one_to_one(ctx: Context) -> Observed:
    """A scalar relationship loads like a collection: the same statement counts."""
    return _strategy_table(ctx, User, User.profile, lambda user: 1 if user.profile else 0)


class Fixed(DeclarativeBase):
    """The same users and posts tables, mapped with write_only and dynamic collections."""


class PostRow(Fixed):
    __table__ = Post.__table__


class WriteOnlyUser(Fixed):
    __table__ = User.__table__
    posts: WriteOnlyMapped[PostRow] = relationship(PostRow, viewonly=True)


class DynamicUser(Fixed):
    __table__ = User.__table__
    posts: DynamicMapped[PostRow] = relationship(PostRow, viewonly=True)


@scenario(
    "write_only and dynamic collections: user.posts is a query, not a list",
    tags=("loading",),
    expect={
        "write_only: iterating user.posts": Doc("raises TypeError", LARGE_COLLECTIONS),
        "write_only: statements, N=10, reading each with session.scalars(user.posts.select())": Doc(
            11, LARGE_COLLECTIONS
        ),
        "dynamic: statements, N=10, iterating each user.posts": Doc(11, DYNAMIC),
    },
)
def write_only_and_dynamic(ctx: Context) -> Observed:
    """lazy="write_only" never loads the collection; its select() is run by hand,
    one query per parent. lazy="dynamic" (legacy) returns a Query that runs on
    iteration, also one per parent."""
    seed(ctx, 10)
    observed: Observed = {}
    session = ctx.session()
    users = session.scalars(select(WriteOnlyUser).order_by(User.__table__.c.id)).all()
    try:
        list(users[0].posts)
        observed["write_only: iterating user.posts"] = "iterates"
    except TypeError as error:
        observed["write_only: iterating user.posts"] = _error(error)
    session.expunge_all()
    with ctx.counting() as statements:
        users = session.scalars(select(WriteOnlyUser).order_by(User.__table__.c.id)).all()
        loaded = sum(len(session.scalars(user.posts.select()).all()) for user in users)
    key = "write_only: statements, N=10, reading each with session.scalars(user.posts.select())"
    observed[key] = len(statements)
    observed["write_only: posts read"] = loaded
    with ctx.counting() as statements:
        dynamic = session.scalars(select(DynamicUser).order_by(User.__table__.c.id)).all()
        loaded = sum(len(list(user.posts)) for user in dynamic)
    observed["dynamic: statements, N=10, iterating each user.posts"] = len(statements)
    observed["dynamic: posts read"] = loaded
    return observed


@scenario(
    "selectin splits its IN list: statements as N crosses 500",
    tags=("loading",),
    expect={
        "N=500: statements": Doc(2, SELECTIN),
        "N=501: statements": Doc(3, SELECTIN),
        "N=1000: statements": Doc(3, SELECTIN),
        "N=1001: statements": Doc(4, SELECTIN),
    },
)
def selectin_chunks(ctx: Context) -> Observed:
    """selectinload puts at most 500 parent keys in one IN (...) list, so a
    501st parent costs a third statement."""
    seed(ctx, 1001, posts_each=1)
    return _first_users_for_each(ctx, (500, 501, 1000, 1001), selectinload(User.posts))


@scenario(
    "joinedload on a collection with LIMIT, and the .unique() that 2.x requires",
    tags=("loading",),
    expect={
        "statements": Doc(1, JOINED),
        "LIMIT applied inside a subquery": Doc(True, JOINED),
        "users loaded with LIMIT 3": Doc(3, JOINED),
        "posts loaded": Doc(6, JOINED),
        "without .unique()": Doc("raises InvalidRequestError", JOINED),
    },
)
def joined_with_limit(ctx: Context) -> Observed:
    """A JOIN multiplies the parent rows, so LIMIT 3 on the join would cut
    collections short: SQLAlchemy limits the parents in a subquery and joins
    to that. The joined rows repeat each parent, which is why a 2.x result
    with a joined collection must be made unique()."""
    seed(ctx, 10)
    session = ctx.session()
    query = select(User).order_by(User.id).limit(3).options(joinedload(User.posts))
    with ctx.counting() as statements:
        users = session.scalars(query).unique().all()
        posts = sum(len(user.posts) for user in users)
    sql = statements[0].sql if statements else ""
    session.expunge_all()
    try:
        session.scalars(query).all()
        without_unique = "works"
    except exc.InvalidRequestError as error:
        without_unique = _error(error)
    return {
        "statements": len(statements),
        "LIMIT applied inside a subquery": bool(re.search(r"FROM \(SELECT .* LIMIT", sql, re.S)),
        "users loaded with LIMIT 3": len(users),
        "posts loaded": posts,
        "without .unique()": without_unique,
    }


CONTAINS_EAGER = f"{LOADING}#using-contains-eager-to-load-a-custom-filtered-collection-result"


@scenario(
    "contains_eager over an explicit JOIN with LIMIT, against joinedload with the same LIMIT",
    tags=("loading",),
    expect={
        "joinedload + LIMIT 3: users": Doc(3, JOINED),
        "joinedload + LIMIT 3: posts": Doc(6, JOINED),
        "contains_eager + LIMIT 3: users": Doc(2, CONTAINS_EAGER),
        "contains_eager + LIMIT 3: posts": Doc(3, CONTAINS_EAGER),
    },
)
def contains_eager_with_limit(ctx: Context) -> Observed:
    """joinedload keeps LIMIT on the parents (it wraps them in a subquery); with
    contains_eager the JOIN is the query's own, so LIMIT 3 counts joined rows:
    with two posts per user, 3 rows are one user with both posts and one user
    with a single post, and that user's collection is silently cut short."""
    seed(ctx, 10)
    session = ctx.session()
    observed: Observed = {}
    joined = select(User).order_by(User.id).limit(3).options(joinedload(User.posts))
    contains = (
        select(User)
        .join(User.posts)
        .order_by(User.id, Post.id)
        .limit(3)
        .options(contains_eager(User.posts))
    )
    for name, query in (("joinedload", joined), ("contains_eager", contains)):
        session.expunge_all()
        with ctx.counting() as statements:
            users = session.scalars(query).unique().all()
            posts = [len(user.posts) for user in users]
        observed[f"{name} + LIMIT 3: users"] = len(users)
        observed[f"{name} + LIMIT 3: posts"] = sum(posts)
        observed[f"{name} + LIMIT 3: posts per user"] = posts
        observed[f"{name} + LIMIT 3: statements"] = len(statements)
    return observed


CHANGELOG_21 = "https://docs.sqlalchemy.org/en/21/changelog/changelog_21.html"
GET_LABELS = "Session.get(User, 1): columns labelled <table>_<column> (#12932)"
LAZY_LABELS = "lazy load of post.user: columns labelled <table>_<column> (#12932)"


def _labelled(sql: str) -> bool:
    """Whether a SELECT names its columns ``users_id`` (LABEL_STYLE_TABLENAME_PLUS_COL)."""
    return bool(re.search(r"\bAS users_id\b", sql))


@scenario(
    "The SELECT that Session.get() and a many-to-one lazy load send: labelled columns?",
    tags=("loading",),
    expect={
        GET_LABELS: When(
            {
                "sqlalchemy<2.1.0b1": Doc(True, f"{CHANGELOG_21}#change-2.1.0b1"),
                "sqlalchemy>=2.1.0b1": Doc(False, f"{CHANGELOG_21}#change-2.1.0b1"),
            }
        ),
        LAZY_LABELS: When(
            {
                "sqlalchemy<2.1.0b1": Doc(True, f"{CHANGELOG_21}#change-2.1.0b1"),
                "sqlalchemy>=2.1.0b1": Doc(False, f"{CHANGELOG_21}#change-2.1.0b1"),
            }
        ),
    },
)
def get_and_lazy_load_sql(ctx: Context) -> Observed:
    """SQLAlchemy 2.1 (#12932) sends Session.get() and many-to-one lazy loads without
    the legacy ``users.id AS users_id`` labels: what a log or a statement cache
    keyed by SQL text sees changes, the rows do not."""
    seed(ctx, 1)
    session = ctx.session()
    with ctx.counting() as got:
        session.get(User, 1)
    post = session.scalars(select(Post).order_by(Post.id).limit(1)).one()
    session.expunge(session.get(User, 1))  # so that post.user is a lazy load, not a lookup
    with ctx.counting() as lazy:
        _ = post.user
    return {
        GET_LABELS: _labelled(got[0].sql) if got else "no statement",
        LAZY_LABELS: _labelled(lazy[0].sql) if lazy else "no statement",
    }


#: What users type for these behaviours (read by the site's search: sqla_matrix/site/words.py).
SYNONYMS = {
    "n_plus_one": ("N+1", "N+1 queries", "lazy loading", "lazyload"),
    "statements": ("N+1", "how many queries", "query count"),
    "selectinload": ("selectin", "select IN loading"),
    "joinedload": ("joined", "joined eager loading"),
    "subqueryload": ("subquery",),
    "immediateload": ("immediate",),
    "raiseload": ("raise",),
    "lazyload": ("lazy", "lazy='select'"),
}
