"""Aware datetimes on the way in: what a value with a UTC offset becomes.

A question users ask about the seed notes' timestamps: a ``datetime`` with a
non-UTC offset (here +05:00) is written into a ``DateTime()`` column and
into a ``DateTime(timezone=True)`` column, by Core and by the ORM. What the
server stored is read back as text on the server (``CAST(... AS <string>)``),
and what SQLAlchemy hands back is classified: the same instant with its
offset, converted to UTC or to the session's zone, or the wall time with the
offset silently dropped. A naive value written into a ``timezone=True``
column shows which zone the server assumes for it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import DateTime, Integer, MetaData, String, cast, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped
from sqlalchemy.schema import Column, Table

from scenarios._zones import utc_offset
from sqla_matrix.scenario import ByBackend, Context, Doc, Observed, scenario

PG_TIMESTAMPTZ = "https://www.postgresql.org/docs/current/datatype-datetime.html#DATATYPE-TIMEZONES"
SA_SQLITE_DATETIME = (
    "https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#sqlalchemy.dialects.sqlite.DATETIME"
)

#: Noon at UTC+05:00: 07:00 UTC.
SENT = datetime(2026, 1, 15, 12, 0, 0, tzinfo=timezone(timedelta(hours=5)))
NAIVE = datetime(2026, 1, 15, 12, 0, 0)


def classify(read: Any, sent: datetime) -> str:
    """What became of ``sent`` when it was read back as ``read``."""
    if not isinstance(read, datetime):
        return f"{type(read).__name__}: {read!r}"
    if read.tzinfo is not None:
        offset = utc_offset(read)
        if sent.tzinfo is None:
            assumed = sent.replace(tzinfo=read.tzinfo)
            taken = "taken in that zone" if assumed == read else f"{read.isoformat()}"
            return f"aware {offset}, {taken}"
        same = "the same instant" if read == sent else f"another instant ({read.isoformat()})"
        return f"aware {offset}, {same}"
    if sent.tzinfo is None:
        return "naive, unchanged" if read == sent else f"naive {read.isoformat()}"
    if read == sent.replace(tzinfo=None):
        return "naive, wall time kept, offset dropped"
    if read == sent.astimezone(timezone.utc).replace(tzinfo=None):
        return "naive, converted to the session's zone (UTC), offset dropped"
    return f"naive {read.isoformat()}"


@scenario(
    "A datetime with a +05:00 offset written into DateTime() and DateTime(timezone=True)",
    tags=("timestamps", "time_zones"),
    expect={
        "timezone=True, Core: read back": ByBackend(
            postgresql=Doc("aware +00:00, the same instant", PG_TIMESTAMPTZ),
        ),
        "timezone=True, ORM: read back": ByBackend(
            postgresql=Doc("aware +00:00, the same instant", PG_TIMESTAMPTZ),
        ),
        "DateTime(), Core: read back": ByBackend(
            sqlite=Doc("naive, wall time kept, offset dropped", SA_SQLITE_DATETIME),
        ),
    },
)
def aware_values_on_the_way_in(ctx: Context) -> Observed:
    """Row 1 by Core, row 2 by the ORM, both with 12:00+05:00 in each column; row 3
    with a naive 12:00 in the timezone=True column. The server's own text of each
    stored value comes from a CAST on the server, in the session's default zone."""
    metadata = MetaData()
    table = Table(
        "moments",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("plain", DateTime()),
        Column("with_tz", DateTime(timezone=True)),
    )
    ctx.create_tables(metadata)

    class Base(DeclarativeBase):
        pass

    class Moment(Base):
        __table__ = table
        id: Mapped[int]
        plain: Mapped[datetime | None]
        with_tz: Mapped[datetime | None]

    with ctx.engine.begin() as conn:
        conn.execute(insert(table).values(id=1, plain=SENT, with_tz=SENT))
    session = ctx.session()
    session.add(Moment(id=2, plain=SENT, with_tz=SENT))
    session.commit()
    with ctx.engine.begin() as conn:
        conn.execute(insert(table).values(id=3, with_tz=NAIVE))
    session.expunge_all()
    observed: Observed = {}
    with ctx.engine.connect() as conn:
        texts = {
            row.id: {"plain": row.plain, "with_tz": row.with_tz}
            for row in conn.execute(
                select(
                    table.c.id,
                    cast(table.c.plain, String).label("plain"),
                    cast(table.c.with_tz, String).label("with_tz"),
                ).order_by(table.c.id)
            )
        }
        core = {row.id: row for row in conn.execute(select(table).order_by(table.c.id))}
    orm = {m.id: m for m in session.scalars(select(Moment).order_by(Moment.id))}
    for label, column in (("DateTime()", "plain"), ("timezone=True", "with_tz")):
        observed[f"{label}, Core: stored, as the server shows it"] = texts[1][column]
        observed[f"{label}, Core: read back"] = classify(getattr(core[1], column), SENT)
        observed[f"{label}, ORM: stored, as the server shows it"] = texts[2][column]
        observed[f"{label}, ORM: read back"] = classify(getattr(orm[2], column), SENT)
    observed["naive 12:00 into timezone=True: stored, as the server shows it"] = texts[3]["with_tz"]
    observed["naive 12:00 into timezone=True: read back"] = classify(core[3].with_tz, NAIVE)
    return observed
