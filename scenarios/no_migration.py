""" "Adding relationship() does not change the database, so no migration is needed."

The notes' claim, checked two ways on each backend: the CREATE TABLE
statements of the notes' two models are the same with and without their
``relationship()`` lines, and Alembic's autogenerate comparison finds
nothing to migrate between a live schema created *before* the relationships
were added and the models *after*.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import (
    Connection,
    DateTime,
    FetchedValue,
    ForeignKey,
    Integer,
    MetaData,
    String,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, configure_mappers, mapped_column, relationship
from sqlalchemy.schema import Column, CreateTable, Table

import models
from sqla_matrix.scenario import Context, Doc, Observed, scenario

RELATIONSHIP_READS_TABLES = "https://docs.sqlalchemy.org/en/20/tutorial/orm_related_objects.html"
AUTOGENERATE = (
    "https://alembic.sqlalchemy.org/en/latest/autogenerate.html"
    "#what-does-autogenerate-detect-and-what-does-it-not-detect"
)


def declare_blog(*, with_relationships: bool) -> MetaData:
    """The notes' User and Post, declared in a registry of their own,
    with or without their relationship() lines."""

    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "blog_users"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))
        if with_relationships:
            posts: Mapped[list[Post]] = relationship(back_populates="user")

    class Post(Base):
        __tablename__ = "blog_posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(String(100))
        user_id: Mapped[int] = mapped_column(ForeignKey("blog_users.id"))
        if with_relationships:
            user: Mapped[User] = relationship(back_populates="posts")

    configure_mappers()
    return Base.metadata


def _ddl(metadata: MetaData, ctx: Context) -> list[str]:
    return [
        str(CreateTable(t).compile(dialect=ctx.engine.dialect)).strip()
        for t in metadata.sorted_tables
    ]


def _autogenerate_diff(ctx: Context, metadata: MetaData) -> list[str]:
    """What ``alembic revision --autogenerate`` would put in a migration,
    comparing the live schema with ``metadata``'s tables only."""
    names = set(metadata.tables)

    def include_name(name: str | None, type_: str, parent: Any) -> bool:
        return type_ != "table" or name in names

    with ctx.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        return [_describe(diff) for diff in compare_metadata(context, metadata)]


def _describe(diff: Any) -> str:
    """An autogenerate diff entry as one readable line."""
    if isinstance(diff, list):  # modify_* entries come grouped
        return "; ".join(_describe(part) for part in diff)
    op, *rest = diff
    names = [getattr(part, "name", None) or str(part) for part in rest if part is not None]
    return " ".join([op, *map(str, names[:3])])


@scenario(
    "relationship() changes no DDL: CREATE TABLE with and without it",
    tags=("relationships", "migrations"),
    expect={
        "CREATE TABLE identical with and without relationship()": Doc(
            True, RELATIONSHIP_READS_TABLES
        )
    },
)
def ddl_unchanged(ctx: Context) -> Observed:
    """relationship() reads the tables' foreign keys; it adds no column and no
    constraint. The tables are created here from the models *with* their
    relationships (the DDL is in the SQL below) and compared, statement by
    statement, with the DDL of the same models *without* them."""
    with ctx.counting() as emitted:
        ctx.create_tables(declare_blog(with_relationships=True))
    created = [s.sql for s in emitted if s.sql.startswith("CREATE TABLE")]
    without = _ddl(declare_blog(with_relationships=False), ctx)
    return {
        "CREATE TABLE identical with and without relationship()": created == without,
        "tables compared": len(created),
    }


@scenario(
    "No migration: Alembic autogenerate after adding relationship() to a live schema",
    tags=("relationships", "migrations"),
    expect={
        "autogenerate: schema created without relationship(), models with": Doc([], AUTOGENERATE),
        "autogenerate: schema created from the shared models": Doc([], AUTOGENERATE),
    },
)
def autogenerate_finds_nothing(ctx: Context) -> Observed:
    """Create the tables from the models *before* relationship() was added,
    then compare the live schema with the models *after*: Alembic would write
    an empty migration. The same comparison against the shared models' own
    live schema shows what autogenerate reports on each backend."""
    ctx.create_tables(declare_blog(with_relationships=False))
    return {
        "autogenerate: schema created without relationship(), models with": _autogenerate_diff(
            ctx, declare_blog(with_relationships=True)
        ),
        "autogenerate: schema created from the shared models": _autogenerate_diff(
            ctx, models.Base.metadata
        ),
    }


# -- server-side defaults ----------------------------------------------------------------

#: change -> the stamped table's columns as the models say after it (the live table
#: was created from BEFORE). Only server_default is DDL; onupdate and server_onupdate
#: are not.
BEFORE: dict[str, dict[str, Any]] = {
    "created": {"server_default": func.now()},
    "touched": {"onupdate": func.now()},
    "plain": {},
}
CHANGES: dict[str, dict[str, dict[str, Any]]] = {
    "server_default added": {**BEFORE, "plain": {"server_default": func.now()}},
    "server_default changed": {**BEFORE, "created": {"server_default": text("'2000-01-01'")}},
    "server_onupdate added": {
        **BEFORE,
        "touched": {"onupdate": func.now(), "server_onupdate": FetchedValue()},
    },
    "onupdate changed": {**BEFORE, "touched": {"onupdate": datetime.now}},
}


def _stamped(columns: dict[str, dict[str, Any]]) -> MetaData:
    metadata = MetaData()
    Table(
        "stamped_defaults",
        metadata,
        Column("id", Integer, primary_key=True),
        *(Column(name, DateTime, **options) for name, options in columns.items()),
    )
    return metadata


def _defaults_diff(ctx: Context, metadata: MetaData, compare_server_default: bool) -> list[str]:
    """What autogenerate would write, as ``operation table.column`` lines."""
    with ctx.engine.connect() as conn:
        return autogenerate_lines(conn, metadata, compare_server_default)


def autogenerate_lines(
    conn: Connection, metadata: MetaData, compare_server_default: bool
) -> list[str]:
    """What autogenerate would write for ``metadata``'s tables (no other table of the
    live schema), as ``operation table.column`` lines, sorted."""
    opts = {
        "include_name": lambda name, type_, parent: type_ != "table" or name in metadata.tables,
        "compare_server_default": compare_server_default,
    }
    found = compare_metadata(MigrationContext.configure(conn, opts=opts), metadata)
    lines = []
    for entry in found:
        for diff in entry if isinstance(entry, list) else [entry]:
            op, *rest = diff
            if op.startswith("modify_"):
                lines.append(f"{op} {rest[1]}.{rest[2]}")
            else:
                lines.append(" ".join([op, *(getattr(p, "name", "") or "" for p in rest[:2])]))
    return sorted(lines)


@scenario(
    "Alembic autogenerate and server-side defaults: which changes does it detect?",
    tags=("migrations", "timestamps"),
    expect={
        "server_default added, compare_server_default=False": Doc([], AUTOGENERATE),
        "server_default changed, compare_server_default=False": Doc([], AUTOGENERATE),
        "server_onupdate added, compare_server_default=True": Doc([], AUTOGENERATE),
        "onupdate changed, compare_server_default=True": Doc([], AUTOGENERATE),
    },
)
def autogenerate_server_defaults(ctx: Context) -> Observed:
    """A live table is created with server_default=func.now() on one column and
    onupdate=func.now() on another; the models then change one thing each, and
    autogenerate compares them with the live table, with compare_server_default
    off and on. Alembic's docs: a server default change is detected only with
    compare_server_default=True; onupdate and server_onupdate are not DDL."""
    ctx.create_tables(_stamped(BEFORE))
    observed: Observed = {}
    for change, columns in CHANGES.items():
        for compare in (False, True):
            observed[f"{change}, compare_server_default={compare}"] = _defaults_diff(
                ctx, _stamped(columns), compare
            )
    return observed
