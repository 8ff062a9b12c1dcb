"""Loader options chained two levels deep: ``defaultload(a).selectinload(b)`` and the
other chains users write, ``contains_eager`` chains among them.

loading_product.py loads one relationship per query. Much of SQLAlchemy's changelog on
loaders sits in chains: a ``defaultload`` path continued by an eager loader, two
``contains_eager`` levels routed from the query's own JOINs. Each chain here runs over
three two-level paths of loading_product's tables (its rows, its truth):

- a self-referential tree, ``Node.children`` then ``Node.children`` (node 1 has 2 and 3,
  node 2 has 4 and 5);
- one-to-many then many-to-one, ``User.posts`` then ``Post.user``;
- many-to-one then many-to-many, ``Post.user`` then ``User.tags``.

Each combination loads every parent, touches both levels, and is observed as in
loading_product: ``statements`` (how many the load and the touching took, the parents,
the normalised SQL's fingerprint, or the exception) and ``collections`` (``right`` when
every parent's first level and every first-level object's second level hold what the
rows inserted give, else which got what). The default cells run four of the chains on
every path; ``nox -t long`` runs all nine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import (
    aliased,
    contains_eager,
    defaultload,
    joinedload,
    selectinload,
)

from scenarios import _product_models as m
from scenarios._raised import raised
from scenarios._statements import loaded
from sqla_matrix.product import Combination, Label, Observations, Product
from sqla_matrix.scenario import Context, Doc, Observed, scenario

LOADING = "https://docs.sqlalchemy.org/en/20/orm/queryguide/relationships.html"
SAME_OBJECTS = f"{LOADING}#a-summary-of-relationship-loading-styles"
CHAINING = f"{LOADING}#specifying-sub-options-with-load-options"


class Chain(Label):
    DEFAULT_SELECTIN = "defaultload(a).selectinload(b)"
    DEFAULT_JOINED = "defaultload(a).joinedload(b)"
    DEFAULT_SUBQUERY = "defaultload(a).subqueryload(b)"
    SELECTIN_SELECTIN = "selectinload(a).selectinload(b)"
    SELECTIN_JOINED = "selectinload(a).joinedload(b)"
    JOINED_JOINED = "joinedload(a).joinedload(b)"
    JOINED_SELECTIN = "joinedload(a).selectinload(b)"
    CONTAINS_CONTAINS = "outerjoin both + contains_eager(a).contains_eager(b)"
    CONTAINS_SELECTIN = "outerjoin a + contains_eager(a).selectinload(b)"


class Path(Label):
    TREE = "Node.children → Node.children"
    POSTS_USER = "User.posts → Post.user"
    USER_TAGS = "Post.user → User.tags"


def _posts(user: int) -> list[int]:
    return [p["id"] for p in m.POSTS if p["user_id"] == user]


def _tags(user: int) -> list[int]:
    return sorted(t["tag_id"] for t in m.USER_TAGS if t["user_id"] == user)


def _children(node: int) -> list[int]:
    return [n["id"] for n in m.NODES if n["parent_id"] == node]


def _author(post: int) -> int:
    return int(m.POSTS[post - 1]["user_id"])


#: path -> (parent entity, first relationship, second relationship's name,
#:          what the rows give each parent at the first level, each child at the second)
PATHS: dict[Path, tuple[Any, Any, str, Callable[[int], Any], Callable[[int], Any]]] = {
    Path.TREE: (m.Node, m.Node.children, "children", _children, _children),
    Path.POSTS_USER: (m.User, m.User.posts, "user", _posts, _author),
    Path.USER_TAGS: (m.Post, m.Post.user, "tags", _author, _tags),
}
OPTIONS: dict[Chain, tuple[Callable[..., Any], str]] = {
    Chain.DEFAULT_SELECTIN: (defaultload, "selectinload"),
    Chain.DEFAULT_JOINED: (defaultload, "joinedload"),
    Chain.DEFAULT_SUBQUERY: (defaultload, "subqueryload"),
    Chain.SELECTIN_SELECTIN: (selectinload, "selectinload"),
    Chain.SELECTIN_JOINED: (selectinload, "joinedload"),
    Chain.JOINED_JOINED: (joinedload, "joinedload"),
    Chain.JOINED_SELECTIN: (joinedload, "selectinload"),
}
PRODUCT = Product(Chain, Path, measures=("statements", "collections"))
#: What the default cells run: a defaultload chain, the all-selectin and all-joined chains,
#: and the contains_eager chain, on every path (``nox -t long`` runs every chain).
CORE_CHAINS: tuple[Chain, ...] = (Chain.DEFAULT_SELECTIN, Chain.SELECTIN_SELECTIN)
CORE_CHAINS += (Chain.JOINED_JOINED, Chain.CONTAINS_CONTAINS)
CORE = Product(Chain, Path, measures=PRODUCT.measures, admits=lambda c: c[0] in CORE_CHAINS)
for product in (PRODUCT, CORE):
    product.expect("collections", Doc("right", CHAINING))


def _statement(chain: Chain, path: Path) -> Any:
    parent, first, second, _one, _two = PATHS[path]
    if chain in OPTIONS:
        head, then = OPTIONS[chain]
        option = getattr(head(first), then)(getattr(first.property.mapper.class_, second))
        return select(parent).options(option).order_by(parent.id)
    middle = aliased(first.property.mapper.class_)
    stmt = select(parent).outerjoin(first.of_type(middle))
    chained = contains_eager(first.of_type(middle))
    if chain is Chain.CONTAINS_CONTAINS:
        last_rel = getattr(middle, second)
        last = aliased(last_rel.property.mapper.class_)
        stmt = stmt.outerjoin(last_rel.of_type(last))
        option = chained.contains_eager(last_rel.of_type(last))
    else:
        option = chained.selectinload(getattr(middle, second))
    return stmt.options(option).order_by(parent.id)


def _ids(loaded: Any) -> Any:
    """A collection's ids, sorted, or a scalar's id (None for none)."""
    if isinstance(loaded, list):
        return sorted(child.id for child in loaded)
    return getattr(loaded, "id", None)


def _want(truth: Callable[[int], Any], key: int) -> Any:
    wanted = truth(key)
    return sorted(wanted) if isinstance(wanted, list) else wanted


def _collections(parents: list[Any], path: Path) -> str:
    """``right``, or each parent (or first-level object) that got other than its rows."""
    _parent, first, second, one, two = PATHS[path]
    wrong = []
    for parent in parents:
        level = getattr(parent, first.key)
        if _ids(level) != _want(one, parent.id):
            wrong.append(
                f"{parent.id}.{first.key}: {_ids(level)}, rows give {_want(one, parent.id)}"
            )
        for child in level if isinstance(level, list) else [level] if level else []:
            if _ids(getattr(child, second)) != _want(two, child.id):
                got, want = _ids(getattr(child, second)), _want(two, child.id)
                wrong.append(
                    f"{parent.id}.{first.key}[{child.id}].{second}: {got}, rows give {want}"
                )
    return "right" if not wrong else f"wrong: {'; '.join(sorted(set(wrong)))}"


def _observe(ctx: Context, combination: Combination, seen: Observations) -> None:
    chain, path = cast("tuple[Chain, Path]", combination)
    session = ctx.session()
    with ctx.counting() as statements:
        try:
            parents = list(session.scalars(_statement(chain, path)).unique())
        except Exception as error:  # a chain SQLAlchemy refuses
            seen[combination, "statements"] = raised(error)
            seen[combination, "collections"] = "not loaded: the query raised"
            session.close()
            return
        try:
            verdict = _collections(parents, path)
        except Exception as error:
            verdict = f"touching them {raised(error)}"
    seen[combination, "statements"] = loaded(statements, parents, ctx.namespace)
    seen[combination, "collections"] = verdict
    session.close()


def _run(ctx: Context, product: Product) -> Observed:
    return m.observe_each(ctx, product, _observe).values


@scenario(
    "Loader options chained two levels deep (the core)",
    tags=("loading", "loading_product"),
    expect=CORE.expectations(),
)
def loader_chains(ctx: Context) -> Observed:
    """Four chains (defaultload then selectinload, all selectin, all joined, contains_eager
    twice) × three two-level paths (a tree, one-to-many then many-to-one, many-to-one then
    many-to-many)."""
    return _run(ctx, CORE)


@scenario(
    "Loader options chained two levels deep (defaultload, contains_eager chains)",
    tags=("loading", "long"),
    expect=PRODUCT.expectations(),
)
def loader_chains_everything(ctx: Context) -> Observed:
    """Nine chains × the three paths: run by nox -t long."""
    return _run(ctx, PRODUCT)
