"""Loading by construction: every strategy × every relationship shape × the query shapes
users combine them with, sync and under AsyncSession.

The N+1 scenarios (loading.py) show each strategy on one relationship, one query each.
Users meet the combinations: selectinload on a many-to-many, loader criteria run twice,
subqueryload under LIMIT with a non-unique ORDER BY, joinedload under yield_per. Here each
combination loads its parents, touches every parent's relationship, and is observed as:

- ``statements``: how many the load and the touching took, how many parents came back,
  and a fingerprint of the statements' SQL normalised (placeholders, quotes, namespace,
  case and spacing made uniform), so that a new shape of SQL is a difference even when
  the count stays; or the exception the load raised (SQLAlchemy refusing a combination
  is an observation, not a gap);
- ``collections``: ``right`` when every returned parent holds exactly the children its
  rows give (computed from the rows inserted, never from the database), else which
  parent got what; or what touching them raised.

The default cells run the declared core (every strategy on every shape with a plain
select, every query shape on one-to-many and many-to-many for the eager loaders, the
asyncio session on a plain select); ``nox -t long`` runs the whole product.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import (
    Session,
    aliased,
    contains_eager,
)

from scenarios import _product_models as m
from scenarios._loaders import OPTIONS, Strategy
from scenarios._statements import loaded
from sqla_matrix.product import Combination, Label, Observations, Product
from sqla_matrix.scenario import Context, Doc, Observed, scenario
from sqla_matrix.warned import NAMESPACE

LOADING = "https://docs.sqlalchemy.org/en/20/orm/queryguide/relationships.html"
ASYNC_IO = "https://docs.sqlalchemy.org/en/20/orm/extensions/asyncio.html"
#: "the loader strategies differ in when and how related objects load, never in which"
SAME_OBJECTS = f"{LOADING}#a-summary-of-relationship-loading-styles"


class Shape(Label):
    ONE_TO_MANY = "one-to-many"
    MANY_TO_ONE = "many-to-one"
    ONE_TO_ONE = "one-to-one (uselist=False)"
    MANY_TO_MANY = "many-to-many (secondary)"
    SELF_REFERENTIAL = "self-referential (join_depth=2)"
    CUSTOM_JOIN = "custom primaryjoin"
    VIEWONLY = "viewonly"


class Query(Label):
    PLAIN = "select(), .unique()"
    NOT_UNIQUE = "select(), no .unique()"
    LIMIT = "LIMIT 2 OFFSET 1"
    TIES = "ORDER BY a non-unique column, LIMIT 3"
    DISTINCT = "DISTINCT, ORDER BY a joined column"
    CRITERIA = "rel.and_(...) run twice, other value"
    YIELD_PER = "yield_per(2)"
    LEGACY = "legacy Query"
    GET = "Session.get"


class Mode(Label):
    SYNC = "Session"
    ASYNC = "AsyncSession"


#: shape -> (parent entity, relationship name, the children each parent's rows give)
SHAPES: dict[Shape, tuple[Any, str, Callable[[int], Any]]] = {
    Shape.ONE_TO_MANY: (m.User, "posts", lambda u: [p["id"] for p in m.POSTS if p["user_id"] == u]),
    Shape.MANY_TO_ONE: (m.Post, "user", lambda p: m.POSTS[p - 1]["user_id"]),
    Shape.ONE_TO_ONE: (
        m.User,
        "profile",
        lambda u: next((p["id"] for p in m.PROFILES if p["user_id"] == u), None),
    ),
    Shape.MANY_TO_MANY: (
        m.User,
        "tags",
        lambda u: [t["tag_id"] for t in m.USER_TAGS if t["user_id"] == u],
    ),
    Shape.SELF_REFERENTIAL: (
        m.Node,
        "children",
        lambda n: [c["id"] for c in m.NODES if c["parent_id"] == n],
    ),
    Shape.CUSTOM_JOIN: (
        m.User,
        "top_posts",
        lambda u: [p["id"] for p in m.POSTS if p["user_id"] == u and p["rank"] == 1],
    ),
    Shape.VIEWONLY: (
        m.User,
        "post_view",
        lambda u: [p["id"] for p in m.POSTS if p["user_id"] == u],
    ),
}
EAGER = (Strategy.JOINED, Strategy.SELECTIN, Strategy.SUBQUERY)
#: Per target: the rows that give each child its name, and the two names loader criteria
#: exclude, one run after the other (the second run is served from the statement cache).
ROWS = {m.Post: m.POSTS, m.User: m.USERS, m.Profile: m.PROFILES, m.Tag: m.TAGS, m.Node: m.NODES}
EXCLUDED = {
    m.Post: ("post 2", "post 5"),
    m.User: ("user 1", "user 4"),
    m.Profile: ("profile 1", "profile 4"),
    m.Tag: ("tag 2", "tag 1"),
    m.Node: ("node 2", "node 4"),
}


def _parts(combination: Combination) -> tuple[Strategy, Shape, Query, Mode]:
    """A combination of this product, typed by dimension."""
    return cast("tuple[Strategy, Shape, Query, Mode]", combination)


def _core(combination: Combination) -> bool:
    """What the default cells run: the rest waits for ``nox -t long``."""
    strategy, shape, query, mode = _parts(combination)
    if mode is Mode.ASYNC:
        return query is Query.PLAIN and shape in (Shape.ONE_TO_MANY, Shape.MANY_TO_ONE)
    if query is Query.PLAIN:
        return True
    return strategy in EAGER and shape in (Shape.ONE_TO_MANY, Shape.MANY_TO_MANY)


def _admits(combination: Combination) -> bool:
    strategy, _shape, query, mode = _parts(combination)
    # AsyncSession has no legacy Query, and its lazy loads raise whatever the query.
    if strategy is Strategy.CONTAINS_EAGER and query is Query.CRITERIA:
        return False  # contains_eager takes its rows from the query's own JOIN
    return not (mode is Mode.ASYNC and query in (Query.LEGACY, Query.CRITERIA, Query.YIELD_PER))


PRODUCT = Product(
    Strategy, Shape, Query, Mode, measures=("statements", "collections"), admits=_admits
)
CORE = Product(
    Strategy,
    Shape,
    Query,
    Mode,
    measures=PRODUCT.measures,
    admits=lambda c: _admits(c) and _core(c),
)
LOADS = (
    *(Strategy.LAZY, Strategy.JOINED, Strategy.JOINED_INNER, Strategy.SELECTIN),
    *(Strategy.SUBQUERY, Strategy.IMMEDIATE, Strategy.CONTAINS_EAGER),
)
for product in (PRODUCT, CORE):
    # Every loader that loads gives each parent the same children, whatever the query.
    product.expect("collections", Doc("right", SAME_OBJECTS), *LOADS, Query.PLAIN, Mode.SYNC)
    product.expect("collections", Doc("right", SAME_OBJECTS), *EAGER, Mode.ASYNC, Query.PLAIN)


#: A non-unique column of each parent entity, for ORDER BY with ties.
TIES = {m.User: m.User.grp, m.Post: m.Post.rank, m.Node: m.Node.parent_id}


def _option(strategy: Strategy, rel: Any) -> tuple[Any, Any]:
    """The loader option, and the alias to OUTER JOIN for contains_eager (else None)."""
    if strategy is Strategy.CONTAINS_EAGER:
        target = aliased(rel.property.mapper.class_)
        return contains_eager(rel.of_type(target)), target
    return OPTIONS[strategy](rel), None


def _statement(combination: Combination) -> Any:
    """The select() of a combination, loader option included."""
    strategy, shape, query, _mode = _parts(combination)
    parent, name, _truth = SHAPES[shape]
    rel = getattr(parent, name)
    option, joined = _option(strategy, rel)
    stmt = select(parent).options(option)
    if joined is not None:
        stmt = stmt.outerjoin(rel.of_type(joined))
    if query is Query.DISTINCT:
        if joined is None:
            joined = aliased(rel.property.mapper.class_)
            stmt = stmt.join(rel.of_type(joined))
        return stmt.order_by(joined.name).distinct()
    if query is Query.TIES:
        return stmt.order_by(TIES[parent]).limit(3)
    stmt = stmt.order_by(parent.id)
    return stmt.limit(2).offset(1) if query is Query.LIMIT else stmt


def _collections(parents: list[Any], shape: Shape, excluded: str | None = None) -> str:
    """``right``, or which parent got what against what its rows give."""
    parent, name, truth = SHAPES[shape]
    names = {row["id"]: row["name"] for row in ROWS[getattr(parent, name).property.mapper.class_]}
    wrong = []
    for obj in parents:
        loaded = getattr(obj, name)
        got = [c.id for c in loaded] if isinstance(loaded, list) else getattr(loaded, "id", None)
        want = truth(obj.id)
        if excluded is not None:  # what the loader criteria leave
            if isinstance(want, list):
                want = [child for child in want if names[child] != excluded]
            elif want is not None and names[want] == excluded:
                want = None
        if (sorted(got) if isinstance(got, list) else got) != (
            sorted(want) if isinstance(want, list) else want
        ):
            wrong.append(f"{obj.id}: {got}, rows give {want}")
    if not wrong:
        return "right"
    if all(not getattr(obj, name) for obj in parents):  # noload: nothing, whichever parents
        return "nothing loaded"
    return f"wrong for {len(wrong)} of {len(parents)}: " + "; ".join(wrong)


def _raised(error: BaseException) -> str:
    first = str(error).splitlines()[0] if str(error) else ""
    first = re.sub(r"\(Background on this error at: [^)]*\)", "", first).strip()
    first = NAMESPACE.sub("matrix_*", first)  # the run's own namespace
    return f"raises {type(error).__name__}: {first[:160]}"


def _loads(session: Session, combination: Combination) -> Iterator[tuple[list[Any], str | None]]:
    """Each load of a sync combination: its parents, and the name loader criteria excluded
    (criteria load twice, touched in between: the second load comes from the cache)."""
    strategy, shape, query, _mode = _parts(combination)
    parent, name, _truth = SHAPES[shape]
    rel = getattr(parent, name)
    option, joined = _option(strategy, rel)
    if query is Query.NOT_UNIQUE:
        yield list(session.scalars(_statement(combination)).all()), None
    elif query is Query.YIELD_PER:
        yield list(session.scalars(_statement(combination).execution_options(yield_per=2))), None
    elif query is Query.LEGACY:
        legacy = session.query(parent).options(option).order_by(parent.id)
        legacy = legacy.outerjoin(rel.of_type(joined)) if joined is not None else legacy
        yield list(legacy.all()), None
    elif query is Query.GET:
        found = session.get(parent, 1, options=[option])
        yield ([found] if found is not None else []), None
    elif query is Query.CRITERIA:
        target = rel.property.mapper.class_
        for excluded in EXCLUDED[target]:
            session.expunge_all()
            again = select(parent).options(OPTIONS[strategy](rel.and_(target.name != excluded)))
            yield list(session.scalars(again.order_by(parent.id)).unique().all()), excluded
    else:
        yield list(session.scalars(_statement(combination)).unique().all()), None


def _observe(ctx: Context, seen: Observations, combination: Combination) -> None:
    """Load a sync combination's parents and touch their relationship: both measures."""
    session = ctx.session()
    verdicts: list[str] = []
    parents: list[Any] = []
    with ctx.counting() as statements:
        try:
            for parents, excluded in _loads(session, combination):
                verdicts.append(_touched(parents, _parts(combination)[1], excluded))
        except Exception as error:  # SQLAlchemy or the server refused the combination
            seen[combination, "statements"] = _raised(error)
            seen[combination, "collections"] = "not loaded: the query raised"
            session.close()
            return
    session.close()
    seen[combination, "statements"] = loaded(statements, parents, ctx.namespace)
    seen[combination, "collections"] = _verdict(verdicts)


def _touched(parents: list[Any], shape: Shape, excluded: str | None = None) -> str:
    try:
        return _collections(parents, shape, excluded)
    except Exception as error:  # raiseload, or a lazy load under asyncio (MissingGreenlet)
        return f"touching them {_raised(error)}"


def _verdict(verdicts: list[str]) -> str:
    """One load's verdict, or (criteria) each run's where they are not both right."""
    if len(set(verdicts)) == 1:
        return verdicts[0]
    return "; ".join(f"run {n}: {v}" for n, v in enumerate(verdicts, 1))


async def _observe_async(
    ctx: Context, engine: AsyncEngine, seen: Observations, combination: Combination
) -> None:
    """The same under AsyncSession: only what was loaded eagerly can be touched."""
    strategy, shape, query, _mode = _parts(combination)
    parent, name, _truth = SHAPES[shape]
    async with AsyncSession(engine) as session:
        with ctx.counting() as statements:
            try:
                if query is Query.GET:
                    option, _joined = _option(strategy, getattr(parent, name))
                    found = await session.get(parent, 1, options=[option])
                    parents = [found] if found is not None else []
                else:
                    result = await session.scalars(_statement(combination))
                    parents = list(result.all() if query is Query.NOT_UNIQUE else result.unique())
            except Exception as error:
                seen[combination, "statements"] = _raised(error)
                seen[combination, "collections"] = "not loaded: the query raised"
                return
            verdict = _touched(parents, shape)
    seen[combination, "statements"] = loaded(statements, parents, ctx.namespace)
    seen[combination, "collections"] = verdict


def _run(ctx: Context, product: Product) -> Observed:
    m.seeded(ctx)
    seen = product.observed()
    for combination in product:
        if combination[3] is Mode.SYNC:
            _observe(ctx, seen, combination)

    async def every_async(engine: AsyncEngine) -> None:
        for combination in product:
            if combination[3] is Mode.ASYNC:
                await _observe_async(ctx, engine, seen, combination)

    ctx.run_async(every_async)
    return seen.values


@scenario(
    "Every loading strategy × relationship shape × query shape (the core)",
    tags=("loading", "loading_product"),
    expect=CORE.expectations(),
)
def core(ctx: Context) -> Observed:
    """The declared core of the product (see the module's text): what each combination
    costs in statements, and whether every parent got exactly its children."""
    return _run(ctx, CORE)


@scenario(
    "Every loading strategy × relationship shape × query shape (the whole product)",
    tags=("loading", "long"),
    expect=PRODUCT.expectations(),
)
def everything(ctx: Context) -> Observed:
    """The whole product: run by nox -t long (with the other deliberately long ones)."""
    return _run(ctx, PRODUCT)
