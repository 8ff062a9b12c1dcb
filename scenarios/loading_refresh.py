"""Loading again into a session that holds the objects: ``populate_existing``,
``Session.refresh(obj, [attr])``, and ``stream_results``.

The identity map keeps one object per row, and a collection loaded once stays what it was
loaded as: a second query returns the same objects without replacing their collections,
unless it runs with ``populate_existing`` ("the ORM will overwrite the attributes of
objects already loaded ... with the data loaded from the query") or the relationship is
refreshed by name (``Session.refresh(obj, ["posts"])``). Here each loader loads every
parent and touches its relationship; then, in the same transaction, a Core statement
moves one child to another parent (a post from user 1 to user 2; tag 1 from user 1 to
user 2), and the parents are loaded again:

- without ``populate_existing`` (what the identity map keeps);
- with ``execution_options(populate_existing=True)``;
- by ``Session.refresh(parent, [relationship])`` on every parent;

and, without the move, with ``execution_options(stream_results=True)`` (a server-side
cursor where the driver has one). Observed: ``statements`` (how many the second load
took, or the exception) and ``collections``: ``right`` against the rows as they are now,
``stale`` when every wrong parent holds what the rows gave before the move, else which
parent got what. The default cells run ``lazyload`` and ``selectinload``; ``nox -t long``
adds ``joinedload`` and ``subqueryload``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from scenarios import _product_models as m
from scenarios._loaders import OPTIONS, Strategy
from scenarios._raised import raised
from sqla_matrix.product import Combination, Label, Observations, Product
from sqla_matrix.scenario import Context, Doc, Observed, scenario

QUERY_API = "https://docs.sqlalchemy.org/en/20/orm/queryguide/api.html"
POPULATE_EXISTING = f"{QUERY_API}#populate-existing"
REFRESH = "https://docs.sqlalchemy.org/en/20/orm/session_api.html#sqlalchemy.orm.Session.refresh"
STREAM = f"{QUERY_API}#fetching-large-result-sets-with-yield-per"
LOADING = "https://docs.sqlalchemy.org/en/20/orm/queryguide/relationships.html"
SAME_OBJECTS = f"{LOADING}#a-summary-of-relationship-loading-styles"


class Again(Label):
    KEPT = "loaded again, no populate_existing, after a child moved"
    POPULATE = "loaded again with populate_existing=True, after a child moved"
    REFRESH = "Session.refresh(parent, [relationship]) after a child moved"
    STREAM = "loaded with stream_results=True"


class Shape(Label):
    ONE_TO_MANY = "one-to-many"
    MANY_TO_MANY = "many-to-many (secondary)"


STRATEGIES = (Strategy.LAZY, Strategy.JOINED, Strategy.SELECTIN, Strategy.SUBQUERY)
PRODUCT = Product(
    Strategy,
    Again,
    Shape,
    measures=("statements", "collections"),
    admits=lambda c: c[0] in STRATEGIES,
)
#: What the default cells run: a lazy and an eager loader (``nox -t long`` runs all four).
CORE = Product(
    Strategy,
    Again,
    Shape,
    measures=PRODUCT.measures,
    admits=lambda c: c[0] in (Strategy.LAZY, Strategy.SELECTIN),
)
for product in (PRODUCT, CORE):
    product.expect("collections", Doc("right", POPULATE_EXISTING), Again.POPULATE)
    product.expect("collections", Doc("right", REFRESH), Again.REFRESH)
    product.expect("collections", Doc("right", SAME_OBJECTS), Again.STREAM)

#: shape -> (relationship, the children each user's rows give: before and after the move)
MOVED_POST, MOVED_TAG = 1, 1
RELATIONSHIPS: dict[Shape, Any] = {Shape.ONE_TO_MANY: m.User.posts, Shape.MANY_TO_MANY: m.User.tags}


def _truth(shape: Shape, moved: bool) -> Callable[[int], list[int]]:
    """Each user's children as the rows give them, before or after the move."""
    if shape is Shape.ONE_TO_MANY:

        def posts(user: int) -> list[int]:
            owners = {p["id"]: p["user_id"] for p in m.POSTS}
            if moved:
                owners[MOVED_POST] = 2
            return sorted(post for post, owner in owners.items() if owner == user)

        return posts
    pairs = {(t["user_id"], t["tag_id"]) for t in m.USER_TAGS}
    if moved:
        pairs = (pairs - {(1, MOVED_TAG)}) | {(2, MOVED_TAG)}
    return lambda user: sorted(tag for owner, tag in pairs if owner == user)


def _move(session: Session, shape: Shape) -> None:
    """One child to another parent, by Core, in the session's own transaction."""
    if shape is Shape.ONE_TO_MANY:
        posts = m.Post.__table__
        session.execute(update(cast("Any", posts)).where(posts.c.id == MOVED_POST), {"user_id": 2})
        return
    links = m.user_tags
    session.execute(delete(links).where(links.c.user_id == 1, links.c.tag_id == MOVED_TAG))
    session.execute(insert(links), [{"user_id": 2, "tag_id": MOVED_TAG}])


def _verdict(parents: list[Any], shape: Shape, moved: bool) -> str:
    rel = RELATIONSHIPS[shape]
    now, before = _truth(shape, moved), _truth(shape, False)
    wrong = {}
    for parent in parents:
        got = sorted(child.id for child in getattr(parent, rel.key))
        if got != now(parent.id):
            wrong[parent.id] = got
    if not wrong:
        return "right"
    if all(got == before(user) for user, got in wrong.items()):
        return f"stale: {', '.join(f'user {user} holds {got}' for user, got in wrong.items())}"
    return "wrong: " + "; ".join(f"{u}: {g}, rows give {now(u)}" for u, g in wrong.items())


def _observe(ctx: Context, combination: Combination, seen: Observations) -> None:
    strategy, again, shape = cast("tuple[Strategy, Again, Shape]", combination)
    rel = RELATIONSHIPS[shape]
    stmt = select(m.User).options(OPTIONS[strategy](rel)).order_by(m.User.id)
    session = ctx.session()
    moved = again is not Again.STREAM
    try:
        held = []  # the first load's objects, held (the identity map holds them weakly)
        if moved:
            held = list(session.scalars(stmt).unique())
            for parent in held:
                getattr(parent, rel.key)  # loaded, whatever the strategy
            _move(session, shape)
        with ctx.counting() as statements:
            if again is Again.REFRESH:
                parents = list(session.scalars(select(m.User).order_by(m.User.id)))
                for parent in parents:
                    session.refresh(parent, [rel.key])
            else:
                option = "stream_results" if again is Again.STREAM else "populate_existing"
                run = stmt.execution_options(**{option: True}) if again is not Again.KEPT else stmt
                parents = list(session.scalars(run).unique())
            verdict = _verdict(parents, shape, moved)
    except Exception as error:  # an option SQLAlchemy or the driver refuses here
        seen[combination, "statements"] = raised(error)
        seen[combination, "collections"] = "not loaded: the query raised"
        session.rollback()
        return
    seen[combination, "statements"] = f"{len(statements)} statements · {len(parents)} parents"
    seen[combination, "collections"] = verdict
    del held
    session.rollback()


def _run(ctx: Context, product: Product) -> Observed:
    return m.observe_each(ctx, product, _observe).values


@scenario(
    "Loading again into the session: populate_existing, refresh, stream_results (the core)",
    tags=("loading", "loading_product"),
    expect=CORE.expectations(),
)
def loading_again(ctx: Context) -> Observed:
    """lazyload and selectinload × a second load without and with populate_existing, a
    refresh by name, and stream_results × one-to-many and many-to-many."""
    return _run(ctx, CORE)


@scenario(
    "Loading again into the session: populate_existing, refresh(obj, [attr]), stream_results",
    tags=("loading", "long"),
    expect=PRODUCT.expectations(),
)
def loading_again_everything(ctx: Context) -> Observed:
    """Four loaders (joinedload and subqueryload too) × the same: run by nox -t long."""
    return _run(ctx, PRODUCT)
