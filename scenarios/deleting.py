"""Deleting a parent: what happens to its children, per cascade setting.

The seed notes' one-to-many (a user and their posts) raises the next question:
what does ``session.delete(user)`` do to the posts? Each variant has its own
parent/child tables (the child's foreign key NOT NULL, as in the shared
models), a parent with two children, and one ``session.delete(parent)``:
the outcome (deleted, or the server's refusal), the statements SQLAlchemy
sent, and the children left in the table. SQLite enforces foreign keys only
when ``PRAGMA foreign_keys=ON``; its ondelete variants run both ways.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, ForeignKey, String, UniqueConstraint, exc, func, select
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    WriteOnlyMapped,
    mapped_column,
    relationship,
)

from sqla_matrix.dberrors import refusal
from sqla_matrix.scenario import ByBackend, Context, Doc, Observed, scenario

CASCADES = "https://docs.sqlalchemy.org/en/20/orm/cascades.html"
DELETE_ORPHAN = f"{CASCADES}#delete-orphan"
PASSIVE_DELETES = f"{CASCADES}#using-foreign-key-on-delete-cascade-with-orm-relationships"
DEFAULT_CASCADE = f"{CASCADES}#delete"
SQLITE_FK = "https://www.sqlite.org/foreignkeys.html#fk_enable"
#: The unit of work inserts before it deletes (the same question for one-to-one).
FLUSH_ORDER = "https://docs.sqlalchemy.org/en/20/orm/session_basics.html#flushing"

#: variant -> (relationship() arguments, ondelete on the foreign key, write_only)
VARIANTS: dict[str, tuple[dict[str, Any], str | None, bool]] = {
    "default cascade": ({}, None, False),
    "cascade='all, delete-orphan'": ({"cascade": "all, delete-orphan"}, None, False),
    "ondelete='CASCADE', passive_deletes=True": ({"passive_deletes": True}, "CASCADE", False),
    "write_only, ondelete='CASCADE', passive_deletes=True": (
        {"passive_deletes": True},
        "CASCADE",
        True,
    ),
}


def _models(number: int, options: dict[str, Any], ondelete: str | None, write_only: bool) -> Any:
    class Base(DeclarativeBase):
        pass

    class Parent(Base):
        __tablename__ = f"parents_{number}"
        id: Mapped[int] = mapped_column(primary_key=True)
        if write_only:
            children: WriteOnlyMapped[Child] = relationship(**options)
        else:
            children: Mapped[list[Child]] = relationship(**options)  # type: ignore[no-redef]

    class Child(Base):
        __tablename__ = f"children_{number}"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(20))
        parent_id: Mapped[int] = mapped_column(
            ForeignKey(f"parents_{number}.id", ondelete=ondelete)
        )

    return Parent, Child


def _delete_parent(ctx: Context, conn: Connection, parent: Any, child: Any) -> dict[str, Any]:
    with Session(conn) as session:
        session.add(parent(id=1))
        session.add_all([child(id=1, name="a", parent_id=1), child(id=2, name="b", parent_id=1)])
        session.commit()
        with ctx.counting() as statements:
            try:
                session.delete(session.get(parent, 1))
                session.commit()
                outcome = "deleted"
            except exc.DBAPIError as error:
                session.rollback()
                outcome = f"refused: {refusal(error)}"
        left = session.scalar(select(func.count()).select_from(child))
    verbs = [s.sql.split()[0] for s in statements if s.sql.split()[0] in ("DELETE", "UPDATE")]
    return {
        "outcome": outcome,
        "children left": left,
        "DELETE statements": verbs.count("DELETE"),
        "UPDATE statements": verbs.count("UPDATE"),
    }


@scenario(
    "Deleting a parent: the children under each cascade setting (and SQLite's foreign keys)",
    tags=("relationships", "cascades"),
    expect={
        "cascade='all, delete-orphan': children left": Doc(0, DELETE_ORPHAN),
        "ondelete='CASCADE', passive_deletes=True: DELETE statements": Doc(1, PASSIVE_DELETES),
        "ondelete='CASCADE', passive_deletes=True: children left": ByBackend(
            postgresql=Doc(0, PASSIVE_DELETES),
            mysql=Doc(0, PASSIVE_DELETES),
            mariadb=Doc(0, PASSIVE_DELETES),
            sqlite=Doc(2, SQLITE_FK),
        ),
        "ondelete='CASCADE', passive_deletes=True, foreign_keys=ON: children left": ByBackend(
            sqlite=Doc(0, SQLITE_FK),
        ),
    },
)
def delete_parent(ctx: Context) -> Observed:
    """The default cascade sets the children's foreign key to NULL (refused: it is
    NOT NULL); delete-orphan deletes them one by one; ondelete='CASCADE' with
    passive_deletes leaves them to the database, which on SQLite does nothing
    unless foreign keys are on. A write_only collection is never loaded."""
    observed: Observed = {}
    for number, (name, (options, ondelete, write_only)) in enumerate(VARIANTS.items()):
        parent, child = _models(number, options, ondelete, write_only)
        ctx.create_tables(parent.metadata)
        pragmas = [False, True] if ctx.capabilities.foreign_keys_by_pragma and ondelete else [False]
        for foreign_keys in pragmas:
            with ctx.engine.connect() as conn:
                if foreign_keys:
                    conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                seen = _delete_parent(ctx, conn, parent, child)
                conn.exec_driver_sql(f"DELETE FROM {child.__tablename__}")
                conn.exec_driver_sql(f"DELETE FROM {parent.__tablename__}")
                conn.commit()
                if foreign_keys:
                    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            label = f"{name}, foreign_keys=ON" if foreign_keys else name
            observed.update({f"{label}: {key}": value for key, value in seen.items()})
    return observed


class _ReplaceBase(DeclarativeBase):
    pass


class _Owner(_ReplaceBase):
    __tablename__ = "owners"
    id: Mapped[int] = mapped_column(primary_key=True)
    tags: Mapped[list[_Tag]] = relationship(cascade="all, delete-orphan")


class _Tag(_ReplaceBase):
    __tablename__ = "owner_tags"
    __table_args__ = (UniqueConstraint("owner_id", "label"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id"))
    label: Mapped[str] = mapped_column(String(20))


@scenario(
    "Replacing a one-to-many collection whose children carry a UNIQUE key (delete-orphan)",
    tags=("relationships", "cascades"),
    expect={"owner.tags = [new objects, same labels]: outcome": Doc("refused", FLUSH_ORDER)},
)
def replace_unique_children(ctx: Context) -> Observed:
    """owner.tags = [Tag(label="a"), Tag(label="b")] over existing tags with the same
    labels: the flush INSERTs the new rows before it DELETEs the orphans, so the
    UNIQUE (owner_id, label) key refuses it on every database; deleting the old
    children and flushing first, then adding the new, works."""
    ctx.create_tables(_ReplaceBase.metadata)
    observed: Observed = {}
    with Session(ctx.engine) as session:
        session.add(_Owner(id=1, tags=[_Tag(id=1, label="a"), _Tag(id=2, label="b")]))
        session.commit()
        owner = session.get(_Owner, 1)
        assert owner is not None
        owner.tags = [_Tag(id=3, label="a"), _Tag(id=4, label="b")]
        with ctx.counting() as statements:
            try:
                session.commit()
                observed["owner.tags = [new objects, same labels]: outcome"] = "accepted"
            except exc.DBAPIError as error:
                session.rollback()
                observed["owner.tags = [new objects, same labels]: outcome"] = "refused"
                observed["owner.tags = [new objects, same labels]: error"] = refusal(error)
        order = [s.sql.split()[0] for s in statements if s.sql.split()[0] in ("INSERT", "DELETE")]
        observed["owner.tags = [new objects, same labels]: statements sent"] = order
        owner = session.get(_Owner, 1)
        assert owner is not None
        owner.tags.clear()
        session.flush()
        owner.tags.extend([_Tag(id=5, label="a"), _Tag(id=6, label="b")])
        session.commit()
        observed["clear(), flush(), then add: labels kept"] = sorted(t.label for t in owner.tags)
    return observed
