"""A session's time zone, and a datetime's offset, as the time-zone scenarios write them."""

from __future__ import annotations

from datetime import datetime


def set_zone(dialect: str, zone: str) -> str:
    """The statement that sets this session's zone: PostgreSQL's ``SET TIME ZONE``,
    MySQL's and MariaDB's ``SET time_zone``."""
    if dialect == "postgresql":
        return f"SET TIME ZONE '{zone}'"
    return f"SET time_zone = '{zone}'"


def utc_offset(value: datetime) -> str:
    """An aware datetime's offset as ``+05:30`` (``""`` for a naive one)."""
    offset = value.strftime("%z")
    return f"{offset[:3]}:{offset[3:]}" if offset else ""
