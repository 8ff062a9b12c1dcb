"""The declarative base every shared model derives from."""

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """The registry and ``MetaData`` of the shared models."""
