"""How a value the database generated reaches the ORM object after a flush.

Shared by the timestamp scenarios: the answer is one of a few states, and
the statements it took are counted from the engine's events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from sqla_matrix.scenario import Context


def after_flush(
    ctx: Context,
    session: Session,
    obj: Any,
    attribute: str,
    flush: Callable[[], None],
    *,
    before: Any = None,
) -> tuple[str, int]:
    """Run ``flush`` and say how ``obj.<attribute>`` compares with its row, and at what cost.

    ``before`` is the value the row held before (an UPDATE), if any.
    """
    with ctx.counting() as flushing:
        flush()
    expired = attribute in inspect(obj).unloaded
    with ctx.counting() as reading:
        in_python = getattr(obj, attribute)
    column = getattr(type(obj), attribute)
    in_database = session.execute(select(column).filter_by(id=obj.id)).scalar_one()
    verb = flushing[0].sql.split()[0] if flushing else "flush"
    if before is not None and in_database == before:
        state = "unchanged in the database"
    elif expired:
        state = "expired, re-selected on access"
    elif (before is not None and in_python == before) or in_python is None:
        state = f"stale: the value before the {verb}"
    elif in_python != in_database:
        state = "differs from the row: the object keeps the value it sent"
    elif any("RETURNING" in s.sql for s in flushing):
        state = f"fresh, fetched by RETURNING in the {verb}"
    elif any(s.sql.startswith("SELECT") for s in flushing):
        state = f"fresh, fetched by a SELECT after the {verb}"
    else:
        state = f"fresh, computed in Python and sent with the {verb}"
    return state, len(flushing) + len(reading)


def _same(value: Any) -> Any:
    return value


def held_state(
    obj: Any,
    attribute: str,
    row: Any,
    *,
    compared: Callable[[Any], Any] = _same,
    shown: Callable[[Any], Any] = _same,
) -> str:
    """What ``obj.<attribute>`` holds against the row's value, read without SQL:
    ``expired``, ``not loaded``, ``fresh`` (``compared(held) == row``), or
    ``stale: <shown(compared(held))>``."""
    state = inspect(obj)
    if attribute in state.expired_attributes:
        return "expired"
    if attribute in state.unloaded:
        return "not loaded"
    held = compared(state.dict[attribute])
    return "fresh" if held == row else f"stale: {shown(held)}"
