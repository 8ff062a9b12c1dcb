"""``Post``: the "many" side of one-to-many, holding the foreign key."""

from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base

# If types are being checked rather than code run, import User: the
# relationship needs the name, and a run-time import would be circular.
if TYPE_CHECKING:
    from models.user import User


class Post(Base):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))

    # "users.id" names the *table* and column, not the model: no import of
    # models.user is needed, so no import cycle can arise.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    user: Mapped["User"] = relationship(back_populates="posts")
