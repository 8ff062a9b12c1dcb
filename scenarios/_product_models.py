"""The loading product's own tables: one of each relationship shape, and the rows they hold.

Seven shapes on five small tables (their own registry and MetaData, created in the
scenario's namespace and dropped after it): one-to-many, many-to-one, one-to-one
(``uselist=False``), many-to-many through a ``secondary`` table, a self-referential
adjacency list, a relationship with a custom ``primaryjoin``, and a ``viewonly`` one.

The rows are chosen so that a wrong collection shows: parents with none, one and
several children, one-to-one parents with and without a child, shared many-to-many
children, a tree two levels deep, and groups that tie under ORDER BY.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, ForeignKey, Integer, String, Table, and_, insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Mapped, foreign, mapped_column, relationship

from sqla_matrix.product import Combination, Observations, Product
from sqla_matrix.scenario import Context


class Base(DeclarativeBase):
    pass


user_tags = Table(
    "lp_user_tags",
    Base.metadata,
    Column("user_id", ForeignKey("lp_users.id"), primary_key=True),
    Column("tag_id", ForeignKey("lp_tags.id"), primary_key=True),
)


class User(Base):
    __tablename__ = "lp_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))
    grp: Mapped[str] = mapped_column(String(5))  # ties under ORDER BY grp
    posts: Mapped[list[Post]] = relationship(back_populates="user", order_by="Post.id")
    profile: Mapped[Profile | None] = relationship(back_populates="user", uselist=False)
    tags: Mapped[list[Tag]] = relationship(secondary=user_tags, order_by="Tag.id")
    top_posts: Mapped[list[Post]] = relationship(
        primaryjoin=lambda: and_(foreign(Post.user_id) == User.id, Post.rank == 1),
        viewonly=True,
    )
    post_view: Mapped[list[Post]] = relationship(viewonly=True, order_by="Post.id")


class Post(Base):
    __tablename__ = "lp_posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lp_users.id"))
    name: Mapped[str] = mapped_column(String(30))
    rank: Mapped[int] = mapped_column(Integer)
    user: Mapped[User] = relationship(back_populates="posts")


class Profile(Base):
    __tablename__ = "lp_profiles"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lp_users.id"), unique=True)
    name: Mapped[str] = mapped_column(String(30))
    user: Mapped[User] = relationship(back_populates="profile")


class Tag(Base):
    __tablename__ = "lp_tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))


class Node(Base):
    __tablename__ = "lp_nodes"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("lp_nodes.id"))
    name: Mapped[str] = mapped_column(String(30))
    children: Mapped[list[Node]] = relationship(join_depth=2, order_by="Node.id")


USERS: list[dict[str, Any]] = [
    {"id": i, "name": f"user {i}", "grp": g} for i, g in zip(range(1, 6), "aabbc", strict=True)
]
#: user 1 has three posts, user 2 one, user 3 none, users 4 and 5 two each
POSTS: list[dict[str, Any]] = [
    {"id": pid, "user_id": uid, "name": f"post {pid}", "rank": rank}
    for pid, (uid, rank) in enumerate(
        [(1, 1), (1, 2), (1, 3), (2, 1), (4, 2), (4, 1), (5, 1), (5, 2)], start=1
    )
]
PROFILES: list[dict[str, Any]] = [
    {"id": i, "user_id": u, "name": f"profile {u}"} for i, u in enumerate((1, 2, 4), 1)
]
TAGS: list[dict[str, Any]] = [{"id": i, "name": f"tag {i}"} for i in range(1, 5)]
USER_TAGS: list[dict[str, Any]] = [
    {"user_id": u, "tag_id": t} for u, t in ((1, 1), (1, 2), (2, 2), (3, 3), (4, 1))
]
NODES: list[dict[str, Any]] = [
    {"id": 1, "parent_id": None, "name": "root"},
    {"id": 2, "parent_id": 1, "name": "node 2"},
    {"id": 3, "parent_id": 1, "name": "node 3"},
    {"id": 4, "parent_id": 2, "name": "node 4"},
    {"id": 5, "parent_id": 2, "name": "node 5"},
]


def seed(conn: Connection) -> None:
    """Insert the rows above (Core, so that no ORM state is left behind)."""
    tables = Base.metadata.tables
    for name, rows in (
        ("lp_users", USERS),
        ("lp_posts", POSTS),
        ("lp_profiles", PROFILES),
        ("lp_tags", TAGS),
        ("lp_user_tags", USER_TAGS),
        ("lp_nodes", NODES),
    ):
        conn.execute(insert(tables[name]), rows)


def seeded(ctx: Context) -> None:
    """These tables created in the scenario's namespace, holding the rows above."""
    ctx.create_tables(Base.metadata)
    with ctx.engine.begin() as conn:
        seed(conn)


def observe_each(
    ctx: Context,
    product: Product,
    observe: Callable[[Context, Combination, Observations], None],
) -> Observations:
    """The tables seeded, then ``observe`` run on every combination of ``product``."""
    seeded(ctx)
    seen = product.observed()
    for combination in product:
        observe(ctx, combination, seen)
    return seen
