"""``session.execute(delete(Parent).where(...))``: a bulk DELETE skips the ORM's cascades.

``session.delete(parent)`` (``deleting.py``) loads the children and deletes
them under ``cascade="all, delete-orphan"``. The ORM-enabled bulk DELETE is
one statement: SQLAlchemy's documentation says it does not cascade to
related rows in Python, and that ON DELETE CASCADE in the database is what
reaches them. Without it the database refuses the parent's DELETE where it
enforces the foreign key, or leaves the children behind as orphans (SQLite
with foreign keys off). Each variant has its own tables, a parent with two
children already loaded into the session, and one bulk DELETE: the outcome,
the DELETE statements sent, the children left in the table, and what the
session still holds.

The driver carries the refusal only (its code is the server's, whichever
driver: sqla_matrix/dberrors.py), so the scenario runs on the sync driver.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, ForeignKey, String, delete, exc, func, inspect, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from sqla_matrix.dberrors import refusal
from sqla_matrix.scenario import ByBackend, Context, Doc, Observed, scenario

ORM_DML = "https://docs.sqlalchemy.org/en/20/orm/queryguide/dml.html"
CAVEATS = f"{ORM_DML}#important-notes-and-caveats-for-orm-enabled-update-and-delete"
SQLITE_FK = "https://www.sqlite.org/foreignkeys.html#fk_enable"
PG_FK = "https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK"
MYSQL_FK = "https://dev.mysql.com/doc/refman/8.4/en/create-table-foreign-keys.html"
MARIADB_FK = "https://mariadb.com/kb/en/foreign-keys/"

#: variant -> (relationship() arguments, ondelete on the child's foreign key)
VARIANTS: dict[str, tuple[dict[str, Any], str | None]] = {
    "cascade='all, delete-orphan'": ({"cascade": "all, delete-orphan"}, None),
    "cascade='all, delete-orphan', ondelete='CASCADE'": (
        {"cascade": "all, delete-orphan", "passive_deletes": True},
        "CASCADE",
    ),
}
ORPHANED = "cascade='all, delete-orphan'"
CASCADED = "cascade='all, delete-orphan', ondelete='CASCADE'"


def _models(number: int, options: dict[str, Any], ondelete: str | None) -> Any:
    class Base(DeclarativeBase):
        pass

    class Parent(Base):
        __tablename__ = f"bulk_parents_{number}"
        id: Mapped[int] = mapped_column(primary_key=True)
        children: Mapped[list[Child]] = relationship(**options)

    class Child(Base):
        __tablename__ = f"bulk_children_{number}"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(20))
        parent_id: Mapped[int] = mapped_column(
            ForeignKey(f"bulk_parents_{number}.id", ondelete=ondelete)
        )

    return Parent, Child


def _bulk_delete(ctx: Context, conn: Connection, parent: Any, child: Any) -> Observed:
    with Session(conn) as session:
        session.add(parent(id=1, children=[child(id=1, name="a"), child(id=2, name="b")]))
        session.commit()
        loaded = session.get(parent, 1)
        assert loaded is not None
        kids = list(loaded.children)  # loaded, as a page would have them
        with ctx.counting() as statements:
            try:
                session.execute(delete(parent).where(parent.id == 1))
                session.commit()
                outcome = "deleted"
            except exc.DBAPIError as error:
                session.rollback()
                outcome = f"refused: {refusal(error)}"
        deletes = [s for s in statements if s.sql.startswith("DELETE")]
        held = [kid for kid in kids if kid in session]
        found: Observed = {
            "outcome": outcome,
            "DELETE statements": len(deletes),
            "children left": session.scalar(select(func.count()).select_from(child)),
            "the parent object afterwards": _state(loaded),
            "loaded children still in the session": len(held),
        }
    return found


def _state(obj: Any) -> str:
    state = inspect(obj)
    for name in ("deleted", "detached", "persistent"):
        if getattr(state, name):
            return name
    return "transient" if state.transient else "pending"


@scenario(
    "A bulk delete(Parent).where() against ORM cascades: the children left",
    tags=("relationships", "cascades", "failing"),
    expect={
        f"{ORPHANED}: DELETE statements": Doc(1, CAVEATS),
        f"{CASCADED}: DELETE statements": Doc(1, CAVEATS),
        f"{ORPHANED}: outcome": ByBackend(
            postgresql=Doc("refused: SQLSTATE 23503", PG_FK),
            mysql=Doc("refused: MySQL 1451", MYSQL_FK),
            mariadb=Doc("refused: MySQL 1451", MARIADB_FK),
            sqlite=Doc("deleted", SQLITE_FK),
        ),
        f"{ORPHANED}: children left": ByBackend(sqlite=Doc(2, SQLITE_FK)),
        f"{ORPHANED}, foreign_keys=ON: outcome": ByBackend(
            sqlite=Doc("refused: SQLITE_CONSTRAINT_FOREIGNKEY", SQLITE_FK)
        ),
        f"{CASCADED}: children left": ByBackend(
            postgresql=Doc(0, CAVEATS),
            mysql=Doc(0, CAVEATS),
            mariadb=Doc(0, CAVEATS),
            sqlite=Doc(2, SQLITE_FK),
        ),
        f"{CASCADED}, foreign_keys=ON: children left": ByBackend(sqlite=Doc(0, SQLITE_FK)),
    },
)
def bulk_delete_cascades(ctx: Context) -> Observed:
    """session.execute(delete(Parent).where(Parent.id == 1)) with the parent and its
    two children loaded: one DELETE, whatever relationship() says; the database's
    foreign key then refuses it, cascades it, or (SQLite, foreign keys off)
    leaves orphans. SQLite runs each variant with PRAGMA foreign_keys off and on."""
    observed: Observed = {}
    for number, (name, (options, ondelete)) in enumerate(VARIANTS.items()):
        parent, child = _models(number, options, ondelete)
        ctx.create_tables(parent.metadata)
        pragmas = [False, True] if ctx.capabilities.foreign_keys_by_pragma else [False]
        for foreign_keys in pragmas:
            with ctx.engine.connect() as conn:
                if foreign_keys:
                    conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                    # Ended here, so that the Session runs its own transaction (joined to
                    # the Connection's, its rollback would undo the rows it committed).
                    conn.commit()
                seen = _bulk_delete(ctx, conn, parent, child)
                conn.exec_driver_sql(f"DELETE FROM {child.__tablename__}")
                conn.exec_driver_sql(f"DELETE FROM {parent.__tablename__}")
                conn.commit()
                if foreign_keys:
                    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            label = f"{name}, foreign_keys=ON" if foreign_keys else name
            observed.update({f"{label}: {key}": value for key, value in seen.items()})
    return observed
