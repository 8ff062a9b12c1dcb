"""``User``: the "one" side of one-to-many (posts) and a side of one-to-one (profile)."""

from typing import TYPE_CHECKING

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base

# Imported for the type checker only: at run time "Post" and "Profile" are
# resolved by name from the registry, so user.py and post.py never import
# each other and there is no cycle.
if TYPE_CHECKING:
    from models.post import Post
    from models.profile import Profile


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))

    # One-to-many: user.posts lists the user's posts; back_populates names
    # the attribute on the other side that SQLAlchemy keeps in step.
    posts: Mapped[list["Post"]] = relationship(back_populates="user")

    # One-to-one: a scalar annotation (not a list) makes uselist=False.
    profile: Mapped["Profile | None"] = relationship(back_populates="user")
