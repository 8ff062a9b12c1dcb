"""``session.merge()``: what it does to the row, to the children, and to the object it returns.

``merge()`` looks the given object's primary key up (in the session, else with a SELECT),
and copies the given object's state onto the persistent one: "for attribute values which
are present on the source instance, the value is transferred ... for mapped attribute
values which aren't present on the source instance, the attribute is expired on the
target instance". Which attributes are *present* is where users are surprised: does a
``MappedAsDataclass`` parent whose collection has ``default_factory=list``, built without
children, hold that empty collection? If it does, a parent built anew with an existing
primary key carries ``children=[]`` into the merge, and ``cascade="all, delete-orphan"``
deletes the children the row had (as it does for a parent given ``children=[]``).
SQLAlchemy 2.1 stopped putting such a collection in the object's state (its migration
notes, ticket 12168), so the answer depends on the series.

Each combination starts from one parent (id 10, ``p1``) with two children (``c1``, ``c2``),
merges one object into a new session, flushes, and observes:

- ``parent row``: the merged parent's row name; ``child rows``: its children's rows;
- ``object``: what the object ``merge()`` returned holds right after the flush: its name
  and its children, each ``fresh`` (what the rows hold), ``expired``, ``not loaded`` or
  ``stale: <value>``;
- ``statements``: how many the merge and the flush took, by kind, and how many with
  RETURNING.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import ForeignKey, String, insert, select
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    MappedAsDataclass,
    mapped_column,
    relationship,
    selectinload,
)

from scenarios._orm_fetch import held_state
from scenarios._raised import raised
from sqla_matrix.product import Label, Observations, Product
from sqla_matrix.scenario import Context, Doc, Observed, When, scenario

MERGE = "https://docs.sqlalchemy.org/en/20/orm/session_api.html#sqlalchemy.orm.Session.merge"
DELETE_ORPHAN = "https://docs.sqlalchemy.org/en/20/orm/cascades.html#delete-orphan"
#: "ORM Mapped Dataclasses no longer populate implicit default, collection-based
#: default_factory in __dict__" (2.1; in 2.0 the empty collection was in the object's state)
NO_IMPLICIT_DEFAULTS = "https://docs.sqlalchemy.org/en/21/changelog/migration_21.html#change-12168"


class Model(Label):
    DECLARATIVE = "declarative parent, children cascade='all, delete-orphan'"
    DATACLASS = "MappedAsDataclass parent, children default_factory=list, 'all, delete-orphan'"


class Given(Label):
    NEW = "a new object, no primary key, one new child"
    SAME_PK = "a new object built with an existing row's primary key, name changed"
    SAME_PK_EMPTY = "a new object built with an existing row's primary key, children=[]"
    DETACHED = "a detached object (children loaded), name changed"
    DETACHED_LAZY = "a detached object (children never loaded), name changed"
    DETACHED_REMOVED = "a detached object, one child removed from its collection"


class Base(DeclarativeBase):
    pass


class Parent(Base):
    __tablename__ = "mg_parents"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))
    children: Mapped[list[Child]] = relationship(cascade="all, delete-orphan", order_by="Child.id")


class Child(Base):
    __tablename__ = "mg_children"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("mg_parents.id"))
    name: Mapped[str] = mapped_column(String(30))


class DataclassBase(MappedAsDataclass, DeclarativeBase):
    pass


class DcParent(DataclassBase):
    __tablename__ = "mg_dc_parents"
    id: Mapped[int | None] = mapped_column(primary_key=True, default=None)
    name: Mapped[str] = mapped_column(String(30), default="")
    children: Mapped[list[DcChild]] = relationship(
        default_factory=list, cascade="all, delete-orphan", order_by="DcChild.id"
    )


class DcChild(DataclassBase):
    __tablename__ = "mg_dc_children"
    id: Mapped[int | None] = mapped_column(primary_key=True, default=None)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("mg_dc_parents.id"), default=None)
    name: Mapped[str] = mapped_column(String(30), default="")


#: The seeded parent's primary key (its children's too, and the next): above what a new
#: row's autoincrement or sequence gives, which explicit keys do not move on PostgreSQL.
SEEDED = 10
#: model -> (parent class, child class)
CLASSES: dict[Model, tuple[Any, Any]] = {
    Model.DECLARATIVE: (Parent, Child),
    Model.DATACLASS: (DcParent, DcChild),
}
PRODUCT = Product(Model, Given, measures=("parent row", "child rows", "object", "statements"))
# A value present on the given object is transferred; an absent one is not.
PRODUCT.expect("parent row", Doc("renamed", MERGE), Given.SAME_PK, Given.SAME_PK_EMPTY)
PRODUCT.expect("parent row", Doc("renamed", MERGE), Given.DETACHED)
PRODUCT.expect("parent row", Doc("renamed", MERGE), Given.DETACHED_LAZY)
PRODUCT.expect("parent row", Doc("new", MERGE), Given.NEW)
PRODUCT.expect("child rows", Doc("new child", MERGE), Given.NEW)
PRODUCT.expect("child rows", Doc("c1, c2", MERGE), Given.DETACHED, Given.DETACHED_LAZY)
PRODUCT.expect("child rows", Doc("c1, c2", MERGE), Model.DECLARATIVE, Given.SAME_PK)
# A dataclass parent built anew carries its factory's empty collection into the merge
# (so its children become orphans) only where the collection is in its state: 2.0.
PRODUCT.expect(
    "child rows",
    When(
        {
            "sqlalchemy>=2.1": Doc("c1, c2", NO_IMPLICIT_DEFAULTS),
            "sqlalchemy<2.1": Doc("none", NO_IMPLICIT_DEFAULTS),
        }
    ),
    Model.DATACLASS,
    Given.SAME_PK,
)
# The children the collection no longer holds are orphans, deleted on flush.
PRODUCT.expect("child rows", Doc("c2", DELETE_ORPHAN), Given.DETACHED_REMOVED)
PRODUCT.expect("child rows", Doc("none", DELETE_ORPHAN), Given.SAME_PK_EMPTY)


def _given(ctx: Context, model: Model, given: Given) -> Any:
    """The object handed to merge(): built here, or loaded by a session now closed."""
    parent, child = CLASSES[model]
    if given is Given.NEW:
        return parent(name="new", children=[child(name="new child")])
    if given is Given.SAME_PK:
        return parent(id=SEEDED, name="renamed")
    if given is Given.SAME_PK_EMPTY:
        return parent(id=SEEDED, name="renamed", children=[])
    loading = ctx.session()
    stmt = select(parent).where(parent.id == SEEDED)
    if given is not Given.DETACHED_LAZY:
        stmt = stmt.options(selectinload(parent.children))
    detached = loading.scalars(stmt).one()
    loading.close()  # detached, its loaded attributes kept
    if given is Given.DETACHED_REMOVED:
        detached.children.pop(0)
    else:
        detached.name = "renamed"
    return detached


def _names(held: Any) -> Any:
    """A collection as the row reads it (its children's names), anything else as it is."""
    return ", ".join(c.name for c in held) or "none" if isinstance(held, list) else held


def _kinds(statements: list[Any]) -> str:
    """``3: 2 SELECT, 1 UPDATE (0 RETURNING)``: how many, by kind, how many with RETURNING."""
    kinds = Counter(s.sql.split(None, 1)[0].upper() for s in statements)
    shown = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    returning = sum(" RETURNING " in s.sql.upper() for s in statements)
    return f"{len(statements)}: {shown} ({returning} RETURNING)" if statements else "0"


def _observe(ctx: Context, model: Model, given: Given, seen: Observations) -> None:
    parent, child = CLASSES[model]
    obj = _given(ctx, model, given)
    session = ctx.session()
    combination = (model, given)
    with ctx.counting() as statements:
        try:
            merged = session.merge(obj)
            session.flush()
        except Exception as error:  # a merge SQLAlchemy or the server refuses
            for measure in PRODUCT.measures:
                seen[combination, measure] = raised(error)
            session.rollback()
            return
    seen[combination, "statements"] = _kinds(statements)
    conn = session.connection()
    name = conn.execute(select(parent.name).where(parent.id == merged.id)).scalar_one()
    rows = conn.execute(
        select(child.name).where(child.parent_id == merged.id).order_by(child.id)
    ).scalars()
    children = ", ".join(rows) or "none"
    seen[combination, "parent row"] = name
    seen[combination, "child rows"] = children
    held = (
        held_state(merged, "name", name, compared=_names),
        held_state(merged, "children", children, compared=_names),
    )
    seen[combination, "object"] = f"name {held[0]}; children {held[1]}"
    session.rollback()


@scenario(
    "session.merge() of new and detached objects: the row, the children, the object",
    tags=("write_paths", "merge"),
    expect=PRODUCT.expectations(),
)
def merge_paths(ctx: Context) -> Observed:
    """Six objects given to merge() × a declarative and a dataclass parent, whose
    children cascade 'all, delete-orphan'."""
    for metadata in (Base.metadata, DataclassBase.metadata):
        ctx.create_tables(metadata)
    with ctx.engine.begin() as conn:
        for parent, child in CLASSES.values():
            conn.execute(insert(parent), [{"id": SEEDED, "name": "p1"}])
            conn.execute(
                insert(child),
                [{"id": SEEDED + n, "parent_id": SEEDED, "name": f"c{n + 1}"} for n in (0, 1)],
            )
    seen = PRODUCT.observed()
    for model in Model:
        for given in Given:
            _observe(ctx, model, given, seen)
    return seen.values
