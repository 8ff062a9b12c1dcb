"""``Profile``: the one-to-one the notes leave empty.

One-to-one is one-to-many with two restrictions: the parent side holds a
scalar (``Mapped["Profile | None"]``, so ``uselist=False``), and the foreign
key is UNIQUE, so the database itself refuses a second profile per user.
The foreign key is nullable: with the default cascade, replacing a user's
profile detaches the old one by setting its ``user_id`` to NULL.
"""

from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base

if TYPE_CHECKING:
    from models.user import User


class Profile(Base):
    __tablename__ = "profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    bio: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)

    user: Mapped["User | None"] = relationship(back_populates="profile")
