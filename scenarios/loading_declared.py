"""Loading declared on the relationship itself: every ``lazy=`` (``write_only`` and
``dynamic`` included) × one-to-many and many-to-many × the query options users put over it.

loading_product.py sets each strategy as a query option on relationships declared with
the default ``lazy="select"``. Models set it on the relationship as often:
``relationship(lazy="selectin")``, and the collections that never load whole,
``lazy="write_only"`` (a ``WriteOnlyCollection``: ``.select()`` gives the statement) and the
legacy ``lazy="dynamic"`` (an ``AppenderQuery``). Here each ``lazy=`` × shape is a parent
class of its own on one users table, over the rows loading_product inserts, loaded
plainly, with ``selectinload()`` over it, and with ``lazyload()`` over it. Observed as in
loading_product (``statements``: count, parents, normalised SQL's fingerprint, or what the
load raised; ``collections``: ``right`` against the rows inserted, else what went wrong,
or what touching them raised); for ``write_only`` and ``dynamic``, ``through its query``:
the rows ``session.scalars(rel.select())`` (``rel.all()`` for dynamic) gives each parent.
The default cells run a core (every ``lazy=`` loaded plainly, and ``selectinload()`` over
the four that do not load by themselves); ``nox -t long`` runs the whole product.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import Column, ForeignKey, Integer, String, Table, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, lazyload, mapped_column, relationship
from sqlalchemy.orm import selectinload as selectin_option

from scenarios import _product_models as m
from scenarios._raised import raised
from scenarios._statements import loaded
from sqla_matrix.product import Combination, Label, Observations, Product
from sqla_matrix.scenario import Context, Doc, Observed, scenario

LOADING = "https://docs.sqlalchemy.org/en/20/orm/queryguide/relationships.html"
SAME_OBJECTS = f"{LOADING}#a-summary-of-relationship-loading-styles"
WRITE_ONLY = "https://docs.sqlalchemy.org/en/20/orm/large_collections.html#write-only-relationships"
DYNAMIC = (
    "https://docs.sqlalchemy.org/en/20/orm/large_collections.html#dynamic-relationship-loaders"
)


class Declared(Label):
    SELECT = 'lazy="select"'
    JOINED = 'lazy="joined"'
    SELECTIN = 'lazy="selectin"'
    SUBQUERY = 'lazy="subquery"'
    IMMEDIATE = 'lazy="immediate"'
    RAISE = 'lazy="raise"'
    RAISE_ON_SQL = 'lazy="raise_on_sql"'
    NOLOAD = 'lazy="noload"'
    WRITE_ONLY = 'lazy="write_only"'
    DYNAMIC = 'lazy="dynamic"'


class Shape(Label):
    ONE_TO_MANY = "one-to-many"
    MANY_TO_MANY = "many-to-many (secondary)"


class Option(Label):
    NONE = "select(), no option"
    SELECTIN = "selectinload() over it"
    LAZY = "lazyload() over it"


class Base(DeclarativeBase):
    pass


user_tags = Table(
    "ld_user_tags",
    Base.metadata,
    Column("user_id", ForeignKey("ld_users.id"), primary_key=True),
    Column("tag_id", ForeignKey("ld_tags.id"), primary_key=True),
)


users = Table(
    "ld_users",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(30)),
    Column("grp", String(5)),
)


class Post(Base):
    __tablename__ = "ld_posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ld_users.id"))
    name: Mapped[str] = mapped_column(String(30))
    rank: Mapped[int] = mapped_column()


class Tag(Base):
    __tablename__ = "ld_tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))


def _parent(declared: Declared, shape: Shape) -> Any:
    """A parent class of its own (on the one users table) whose only relationship,
    ``children``, is declared with ``declared``: another eager relationship on the class
    would load beside it and count in its statements."""
    lazy = cast("Any", declared.value.split('"')[1])
    if shape is Shape.ONE_TO_MANY:
        children = relationship(Post, lazy=lazy, viewonly=True, order_by=Post.id)
    else:
        children = relationship(Tag, secondary=user_tags, lazy=lazy, viewonly=True, order_by=Tag.id)
    name = f"Declared{declared.name.title().replace('_', '')}{shape.name.title().replace('_', '')}"
    return type(name, (Base,), {"__table__": users, "children": children})


#: (declared, shape) -> its parent class
PARENTS = {(declared, shape): _parent(declared, shape) for declared in Declared for shape in Shape}

#: shape -> the children ids each parent's rows give
TRUTH = {
    Shape.ONE_TO_MANY: lambda u: [p["id"] for p in m.POSTS if p["user_id"] == u],
    Shape.MANY_TO_MANY: lambda u: sorted(t["tag_id"] for t in m.USER_TAGS if t["user_id"] == u),
}
QUERIED = (Declared.WRITE_ONLY, Declared.DYNAMIC)
LOADS: tuple[Declared, ...] = (Declared.SELECT, Declared.JOINED, Declared.SELECTIN)
LOADS += (Declared.SUBQUERY, Declared.IMMEDIATE)
#: What the default cells run: every lazy= loaded plainly, and an eager option over the
#: ones that refuse it or do not load (``nox -t long`` runs the whole product).
OVERRIDDEN = (*QUERIED, Declared.RAISE, Declared.NOLOAD)


def _core(combination: Combination) -> bool:
    declared, _shape, option = combination
    return option is Option.NONE or (option is Option.SELECTIN and declared in OVERRIDDEN)


def _products(admits: Callable[[Combination], bool]) -> tuple[Product, Product]:
    """The product of the combinations ``admits``, and its write_only/dynamic part (what
    their own query gives), with their expectations."""
    loaded = Product(Declared, Shape, Option, measures=("statements", "collections"), admits=admits)
    through = Product(
        Declared,
        Shape,
        Option,
        measures=("through its query",),
        admits=lambda c: admits(c) and c[0] in QUERIED,
    )
    # Every lazy= that loads gives each parent the same children; an option over it too.
    loaded.expect("collections", Doc("right", SAME_OBJECTS), *LOADS)
    for queried, source in ((Declared.WRITE_ONLY, WRITE_ONLY), (Declared.DYNAMIC, DYNAMIC)):
        through.expect("through its query", Doc("right", source), queried, Option.NONE)
    return loaded, through


PRODUCT, THROUGH = _products(lambda _c: True)
CORE, CORE_THROUGH = _products(_core)


def _right(parents: list[Any], shape: Shape, got: Any) -> str:
    """``right`` or which parent got what, ``got(parent)`` giving its children."""
    wrong = []
    for parent in parents:
        ids = sorted(child.id for child in got(parent))
        if ids != sorted(TRUTH[shape](parent.id)):
            wrong.append(f"{parent.id}: {ids}, rows give {TRUTH[shape](parent.id)}")
    if not wrong:
        return "right"
    if all(not list(got(parent)) for parent in parents):
        return "nothing loaded"
    return f"wrong for {len(wrong)} of {len(parents)}: " + "; ".join(wrong)


def _observe(
    ctx: Context, combination: tuple[Declared, Shape, Option], seen: Observations, through: Any
) -> None:
    declared, shape, option = combination
    parent = PARENTS[declared, shape]
    rel = parent.children
    stmt = select(parent).order_by(parent.id)
    if option is Option.SELECTIN:
        stmt = stmt.options(selectin_option(rel))
    elif option is Option.LAZY:
        stmt = stmt.options(lazyload(rel))
    session: Session = ctx.session()
    with ctx.counting() as statements:
        try:
            parents = list(session.scalars(stmt).unique())
        except Exception as error:  # an option SQLAlchemy refuses on this lazy=
            seen[combination, "statements"] = raised(error)
            seen[combination, "collections"] = "not loaded: the query raised"
            if declared in QUERIED:
                through[combination, "through its query"] = "not loaded: the query raised"
            session.close()
            return
        try:
            verdict = _right(parents, shape, lambda p: getattr(p, rel.key))
        except Exception as error:  # raise, raise_on_sql, a write-only collection
            verdict = f"touching them {raised(error)}"
    seen[combination, "statements"] = loaded(statements, parents, ctx.namespace)
    seen[combination, "collections"] = verdict
    if declared is Declared.WRITE_ONLY:
        queried = _right(parents, shape, lambda p: session.scalars(getattr(p, rel.key).select()))
        through[combination, "through its query"] = queried
    elif declared is Declared.DYNAMIC:
        through[combination, "through its query"] = _right(
            parents, shape, lambda p: getattr(p, rel.key).all()
        )
    session.close()


def _run(ctx: Context, loaded: Product, through: Product) -> Observed:
    ctx.create_tables(Base.metadata)
    with ctx.engine.begin() as conn:
        conn.execute(insert(users), m.USERS)
        conn.execute(insert(Post), m.POSTS)
        conn.execute(insert(Tag), m.TAGS)
        conn.execute(insert(user_tags), m.USER_TAGS)
    seen, queried = loaded.observed(), through.observed()
    for combination in loaded:
        _observe(ctx, cast("tuple[Declared, Shape, Option]", combination), seen, queried)
    return {**seen.values, **queried.values}


@scenario(
    "Every lazy= on the relationship (write_only, dynamic too) × shape (the core)",
    tags=("loading", "loading_product"),
    expect={**CORE.expectations(), **CORE_THROUGH.expectations()},
)
def declared_loading(ctx: Context) -> Observed:
    """Ten lazy= values × one-to-many and many-to-many, loaded plainly; selectinload()
    over the four that do not load by themselves (write_only, dynamic, raise, noload)."""
    return _run(ctx, CORE, CORE_THROUGH)


@scenario(
    "Every lazy= on the relationship (write_only, dynamic too) × shape × option over it",
    tags=("loading", "long"),
    expect={**PRODUCT.expectations(), **THROUGH.expectations()},
)
def declared_loading_everything(ctx: Context) -> Observed:
    """Ten lazy= values × one-to-many and many-to-many × no option, selectinload() and
    lazyload() over the declared one: run by nox -t long."""
    return _run(ctx, PRODUCT, THROUGH)
