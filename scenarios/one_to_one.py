"""One-to-one, the section the notes leave empty.

``User.profile: Mapped["Profile | None"]`` is a scalar, so the relationship
holds at most one object; ``Profile.user_id`` is UNIQUE, so the database
holds at most one row per user. What happens to the old row when a user's
profile is replaced depends on the relationship's cascade: the shared model
keeps the default cascade; ``Person.passport`` below uses
``cascade="all, delete-orphan"`` with a NOT NULL foreign key.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, String, exc, func, insert, select
from sqlalchemy.orm import (
    DeclarativeBase,
    InstrumentedAttribute,
    Mapped,
    mapped_column,
    relationship,
)

from harness.dberrors import refusal
from harness.scenario import ByBackend, Context, Doc, Observed, scenario
from models.profile import Profile
from models.user import User

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
