"""One-to-one, the section the notes leave empty.

``User.profile: Mapped["Profile | None"]`` is a scalar, so the relationship
holds at most one object; ``Profile.user_id`` is UNIQUE, so the database
holds at most one row per user. What happens to the old row when a user's
profile is replaced depends on the relationship's cascade: the shared model
keeps the default cascade; ``Person.passport`` below uses
``cascade="all, delete-orphan"`` with a NOT NULL foreign key.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, exc, func, insert, inspect, select
from sqlalchemy.orm import (
    DeclarativeBase,
    InstrumentedAttribute,
    Mapped,
    joinedload,
    mapped_column,
    relationship,
    selectinload,
)

from models.profile import Profile
from models.user import User
from sqla_matrix.dberrors import refusal
from sqla_matrix.scenario import ByBackend, Context, Doc, Observed, scenario

CASCADES = "https://docs.sqlalchemy.org/en/20/orm/cascades.html"
DEFAULT_CASCADE_NULLS_FK = f"{CASCADES}#delete"
DELETE_ORPHAN = f"{CASCADES}#delete-orphan"
UNIQUE = {
    "postgresql": Doc(
        "rejected",
        "https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-UNIQUE-CONSTRAINTS",
    ),
    "mysql": Doc(
        "rejected",
        "https://dev.mysql.com/doc/refman/8.4/en/create-table.html#create-table-indexes-keys",
    ),
    "mariadb": Doc(
        "rejected", "https://mariadb.com/kb/en/getting-started-with-indexes/#unique-index"
    ),
    "sqlite": Doc("rejected", "https://www.sqlite.org/lang_createtable.html#unique_constraints"),
}


def _old_row(
    ctx: Context, key: InstrumentedAttribute[int], fk: InstrumentedAttribute[Any], old_id: int
) -> str:
    """What became of a replaced child row: deleted, detached (FK NULL) or kept."""
    with ctx.engine.connect() as conn:
        row = conn.execute(select(fk).where(key == old_id)).first()
    if row is None:
        return "deleted"
    return "kept, foreign key NULL" if row[0] is None else "kept, foreign key unchanged"


@scenario(
    "Replacing user.profile with the default cascade: what happens to the old row?",
    tags=("relationships",),
    expect={"old profile row": Doc("kept, foreign key NULL", DEFAULT_CASCADE_NULLS_FK)},
)
def replace_profile_default_cascade(ctx: Context) -> Observed:
    """The default cascade ("save-update, merge") never deletes: the replaced
    profile is de-associated by setting its user_id to NULL."""
    session = ctx.session()
    ada = User(name="ada", profile=Profile(bio="first"))
    session.add(ada)
    session.commit()
    old_id = ada.profile.id if ada.profile else -1
    with ctx.counting() as replacing:
        ada.profile = Profile(bio="second")
        try:
            session.commit()
            outcome = "committed"
        except exc.DBAPIError as error:
            outcome = f"refused: {refusal(error)}"
            session.rollback()
    return {
        "replacement": outcome,
        "old profile row": _old_row(ctx, Profile.id, Profile.user_id, old_id),
        "statements of the replacement": [s.sql.split()[0] for s in replacing],
    }


class PassportBase(DeclarativeBase):
    """A registry of its own: the delete-orphan variant of one-to-one."""


class Person(PassportBase):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    passport: Mapped[Passport | None] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )


class Passport(PassportBase):
    __tablename__ = "passports"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), unique=True)
    person: Mapped[Person] = relationship(back_populates="passport")


@scenario(
    "Replacing person.passport with cascade='all, delete-orphan' (unique, NOT NULL key)",
    tags=("relationships",),
    expect={},
)
def replace_passport_delete_orphan(ctx: Context) -> Observed:
    """delete-orphan marks the replaced child for deletion. The unit of work
    orders the INSERT of the new row and the DELETE of the old one; with a
    UNIQUE foreign key that order decides whether the flush succeeds."""
    ctx.create_tables(PassportBase.metadata)
    session = ctx.session()
    ada = Person(name="ada", passport=Passport(number="A-1"))
    session.add(ada)
    session.commit()
    old_id = ada.passport.id if ada.passport else -1
    with ctx.counting() as replacing:
        ada.passport = Passport(number="A-2")
        try:
            session.commit()
            outcome = "committed"
        except exc.DBAPIError as error:
            outcome = f"refused: {refusal(error)}"
            session.rollback()
    return {
        "replacement": outcome,
        "old passport row": _old_row(ctx, Passport.id, Passport.person_id, old_id),
        "statements of the replacement": [s.sql.split()[0] for s in replacing],
    }


@scenario(
    "A second profile row for the same user: does the database refuse it?",
    tags=("relationships", "constraints"),
    expect={"second profile for one user": ByBackend(**UNIQUE)},
)
def second_profile_refused(ctx: Context) -> Observed:
    """The relationship's uselist=False is Python-side only; the UNIQUE
    constraint on profiles.user_id is what makes one-to-one hold in the data."""
    with ctx.engine.begin() as conn:
        (user_id,) = conn.execute(insert(User).values(name="ada")).inserted_primary_key or (None,)
        conn.execute(insert(Profile).values(bio="one", user_id=user_id))
    with ctx.engine.connect() as conn:
        try:
            conn.execute(insert(Profile).values(bio="two", user_id=user_id))
            conn.commit()
            outcome = "accepted"
        except exc.DBAPIError as error:
            refusal(error)
            outcome = "rejected"
            conn.rollback()
        rows = conn.execute(select(func.count()).select_from(Profile)).scalar()
    return {"second profile for one user": outcome, "profile rows": rows}


# -- uselist=False against the Mapped[...] annotation ---------------------------------

ONE_TO_ONE = "https://docs.sqlalchemy.org/en/20/orm/basic_relationships.html#one-to-one"
USELIST = (
    "https://docs.sqlalchemy.org/en/20/orm/relationship_api.html"
    "#sqlalchemy.orm.relationship.params.uselist"
)

#: How users declare the scalar side, each on a registry of its own: the annotation
#: alone (Optional or not), the classic uselist=False without an annotation, and a
#: list annotation contradicted by uselist=False.
DECLARATIONS: dict[str, tuple[str | None, Callable[[], Any]]] = {  # -> (annotation, relationship)
    'Mapped["Badge | None"] = relationship()': ('Mapped["Badge | None"]', lambda: relationship()),
    'Mapped["Badge"] = relationship()': ('Mapped["Badge"]', lambda: relationship()),
    'relationship("Badge", uselist=False), no annotation': (
        None,
        lambda: relationship("Badge", uselist=False),
    ),
    'Mapped[list["Badge"]] = relationship(uselist=False)': (
        'Mapped[list["Badge"]]',
        lambda: relationship(uselist=False),
    ),
}


def _declare_owner(number: int, declaration: str) -> tuple[Any, Any]:
    """Owner and Badge in a registry of their own; badges.owner_id has no UNIQUE."""

    class Base(DeclarativeBase):
        pass

    annotation, badge = DECLARATIONS[declaration]
    namespace: dict[str, Any] = {
        "__module__": __name__,
        "__tablename__": f"owners{number}",
        "id": mapped_column(Integer, primary_key=True, autoincrement=False),
        "badge": badge(),
    }
    if annotation is not None:
        namespace["__annotations__"] = {"badge": annotation}
    owner = type("Owner", (Base,), namespace)

    class Badge(Base):
        __tablename__ = f"badges{number}"
        id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
        owner_id: Mapped[int] = mapped_column(ForeignKey(f"owners{number}.id"))

    Base.registry.configure()
    return owner, Badge


def _read_badge(ctx: Context, owner: Any, owner_id: int, option: Any = None) -> str:
    """What ``owner.badge`` holds, loaded lazily or by ``option``, and any warning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with ctx.session() as session:
            query = select(owner).where(owner.id == owner_id)
            if option is not None:
                query = query.options(option(owner.badge))
            value = session.scalars(query).unique().one().badge
            held = "None" if value is None else f"badge {value.id}"
            if isinstance(value, list):
                held = f"a list of {len(value)}"
    warned = [type(w.message).__name__ for w in caught if "Multiple rows" in str(w.message)]
    return held + (
        f", with {warned[0]} 'Multiple rows returned with uselist=False'" if warned else ""
    )


@scenario(
    "One-to-one: uselist=False against the Mapped[...] annotation, and two rows for one parent",
    tags=("relationships",),
    expect={
        'Mapped["Badge | None"] = relationship(): uselist': Doc(False, ONE_TO_ONE),
        'relationship("Badge", uselist=False), no annotation: uselist': Doc(False, USELIST),
        'Mapped["Badge | None"] = relationship(): badges.owner_id UNIQUE': Doc(False, ONE_TO_ONE),
    },
)
def uselist_and_annotations(ctx: Context) -> Observed:
    """The annotation decides uselist: a non-collection Mapped[...] gives a scalar
    whether or not it says "| None", and nothing in the schema changes: the foreign
    key gets no UNIQUE. So the database accepts a second child row, and the scalar
    attribute shows one of the two: which one, and with what warning, per loader.
    Nor is the annotation checked at run time: Mapped["Badge"] reads None too."""
    observed: Observed = {}
    for number, declaration in enumerate(DECLARATIONS):
        try:
            owner, badge = _declare_owner(number, declaration)
        except (exc.ArgumentError, exc.InvalidRequestError) as error:
            observed[f"{declaration}: mapping"] = f"refused: {type(error).__name__}"
            continue
        ctx.create_tables(owner.metadata)
        uniques = inspect(ctx.engine).get_unique_constraints(badge.__tablename__)
        indexes = inspect(ctx.engine).get_indexes(badge.__tablename__)
        observed[f"{declaration}: uselist"] = owner.badge.property.uselist
        observed[f"{declaration}: badges.owner_id UNIQUE"] = any(
            u["column_names"] == ["owner_id"] for u in uniques
        ) or any(i["unique"] and i["column_names"] == ["owner_id"] for i in indexes)
        with ctx.engine.begin() as conn:
            conn.execute(insert(owner), [{"id": 1}, {"id": 2}])
            conn.execute(insert(badge), [{"id": 1, "owner_id": 2}, {"id": 2, "owner_id": 2}])
        observed[f"{declaration}: owner without a badge reads"] = _read_badge(ctx, owner, 1)
        if number == 0:  # the loaders read the same way whatever the declaration
            loaders = (("lazy", None), ("joinedload", joinedload), ("selectinload", selectinload))
            for name, option in loaders:
                observed[f"two badge rows for one owner, {name}: reads"] = _read_badge(
                    ctx, owner, 2, option
                )
    return observed
