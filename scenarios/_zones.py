"""A session's time zone, and a datetime's offset, as the time-zone scenarios write them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqla_matrix.scenario import Context


def set_zone(ctx: Context, zones: Mapping[str, str]) -> str:
    """The statement that sets this session's zone to the backend's name for it in
    ``zones`` (PostgreSQL's ``SET TIME ZONE``, MySQL's and MariaDB's ``SET time_zone``)."""
    statement = ctx.capabilities.set_time_zone
    if statement is None:
        raise RuntimeError(f"{ctx.backend} has no session time zone")
    return statement.format(zone=zones[ctx.backend])


def utc_offset(value: datetime) -> str:
    """An aware datetime's offset as ``+05:30`` (``""`` for a naive one)."""
    offset = value.strftime("%z")
    return f"{offset[:3]}:{offset[3:]}" if offset else ""
