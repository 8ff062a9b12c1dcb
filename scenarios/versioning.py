"""``version_id_col``: what each write path does to the version counter, and what a stale
version raises.

A mapper with ``version_id_col`` adds the version to each UPDATE's WHERE and sets a new
one; "if the UPDATE statement ... matches no rows, the ORM raises StaleDataError"
(another transaction changed the row first). Users meet the other writes: a DELETE of a
stale object, ``session.merge()`` of a detached object that holds an old version, and the
statements that bypass the unit of work (ORM UPDATE with WHERE, the legacy
``Query.update()``). Two counters: the default integer one, and a
``version_id_generator`` of its own (a uuid's hex). Each combination starts from one row
at version ``v1`` and observes:

- ``outcome``: ``no error`` or ``raises <Class>`` (the message is the statement's);
- ``row version``: ``unchanged``, ``new`` (another version than before the write, and than
  the one moved on behind the session) or the row deleted;
- ``object version``: what the object written holds right after, before any rollback
  (``fresh``: the row's version, ``expired``, ``stale: the first``);
- ``statements``: how many the write took (the other transaction's not counted), and
  whether its UPDATE or DELETE names the version column.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import String, insert, inspect, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from scenarios._raised import raised
from sqla_matrix.product import Label, Observations, Product
from sqla_matrix.scenario import Context, Doc, Observed, scenario

VERSIONING = "https://docs.sqlalchemy.org/en/20/orm/versioning.html"
SIMPLE = f"{VERSIONING}#simple-version-counting"
CUSTOM = f"{VERSIONING}#custom-version-counters-types"


class Counter(Label):
    INTEGER = "version_id_col, integer counter"
    GENERATOR = "version_id_col, version_id_generator=uuid4().hex"


class Write(Label):
    FLUSH = "ORM flush of a changed attribute"
    FLUSH_STALE = "ORM flush, the row's version moved on behind the session"
    DELETE_STALE = "session.delete(), the row's version moved on behind the session"
    MERGE_STALE = "session.merge() of a detached object holding the old version"
    UPDATE_WHERE = "ORM UPDATE with WHERE"
    QUERY_UPDATE = "legacy Query.update()"


class Base(DeclarativeBase):
    pass


class Counted(Base):
    __tablename__ = "vc_counted"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))
    version: Mapped[int] = mapped_column(nullable=False)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (declarative reads it)


class Generated(Base):
    __tablename__ = "vc_generated"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))
    version: Mapped[str] = mapped_column(String(32), nullable=False)
    __mapper_args__ = {  # noqa: RUF012 (declarative reads it)
        "version_id_col": version,
        "version_id_generator": lambda _version: uuid.uuid4().hex,
    }


MODELS: dict[Counter, Any] = {Counter.INTEGER: Counted, Counter.GENERATOR: Generated}
#: The version each row starts at, and the one a concurrent writer moves it to.
FIRST: dict[Counter, Any] = {Counter.INTEGER: 1, Counter.GENERATOR: "v1"}
MOVED: dict[Counter, Any] = {Counter.INTEGER: 7, Counter.GENERATOR: "moved"}
STALE = (Write.FLUSH_STALE, Write.DELETE_STALE, Write.MERGE_STALE)

PRODUCT = Product(
    Counter, Write, measures=("outcome", "row version", "object version", "statements")
)
PRODUCT.expect("outcome", Doc("no error", SIMPLE), Write.FLUSH)
PRODUCT.expect("row version", Doc("new", SIMPLE), Counter.INTEGER, Write.FLUSH)
PRODUCT.expect("row version", Doc("new", CUSTOM), Counter.GENERATOR, Write.FLUSH)
PRODUCT.expect("outcome", Doc("raises StaleDataError", SIMPLE), Write.FLUSH_STALE)


def _move_behind(ctx: Context, model: Any, counter: Counter) -> None:
    """Another transaction (Core, committed) changes the row and its version."""
    with ctx.engine.begin() as conn:
        conn.execute(update(model).where(model.id == 1).values(version=MOVED[counter]))


def _prepare(ctx: Context, session: Any, counter: Counter, write: Write) -> Any:
    """The object ``write`` acts on (row 1), with the row moved on behind it where the
    write is a stale one (not counted: another transaction's statement)."""
    model = MODELS[counter]
    if write is Write.MERGE_STALE:
        reading = ctx.session()
        obj = reading.get(model, 1)
        reading.close()  # detached, holding the first version
    else:
        obj = session.get(model, 1)
    if write in STALE:
        with ctx.engine.begin() as conn:
            conn.execute(update(model).where(model.id == 1).values(version=MOVED[counter]))
    return obj


def _write(session: Any, counter: Counter, write: Write, obj: Any) -> Any:
    """Run ``write`` on ``obj``: the object it leaves in ``session`` (or None)."""
    model = MODELS[counter]
    if write is Write.DELETE_STALE:
        session.delete(obj)
        session.flush()
        return obj
    if write is Write.UPDATE_WHERE:
        session.execute(update(model).where(model.id == 1).values(name="changed"))
        return obj
    if write is Write.QUERY_UPDATE:
        session.query(model).filter(model.id == 1).update({"name": "changed"})
        return obj
    obj.name = "changed"
    if write is Write.MERGE_STALE:
        obj = session.merge(obj)
    session.flush()
    return obj


def _named(statements: list[Any]) -> str:
    writes = [s.sql for s in statements if s.sql.split(None, 1)[0].upper() in ("UPDATE", "DELETE")]
    where = [sql.upper().split(" WHERE ", 1)[-1] for sql in writes if " WHERE " in sql.upper()]
    names = any("VERSION" in clause for clause in where)
    shown = "its WHERE names the version" if names else "its WHERE does not name the version"
    return f"{len(statements)}; {shown}" if writes else f"{len(statements)}; no UPDATE or DELETE"


def _held(obj: Any) -> Any:
    """What ``obj`` holds as its version, read without SQL (``expired`` if nothing)."""
    state = inspect(obj)
    if "version" in state.expired_attributes or "version" in state.unloaded:
        return "expired"
    return state.dict["version"]


def _observe(ctx: Context, counter: Counter, write: Write, seen: Observations) -> None:
    model = MODELS[counter]
    with ctx.engine.begin() as conn:  # each combination from the same row
        conn.execute(model.__table__.delete())
        conn.execute(insert(model), [{"id": 1, "name": "first", "version": FIRST[counter]}])
    session = ctx.session()
    combination = (counter, write)
    obj = _prepare(ctx, session, counter, write)
    with ctx.counting() as statements:
        try:
            obj = _write(session, counter, write, obj)
            seen[combination, "outcome"] = "no error"
            held = _held(obj)
        except Exception as error:  # StaleDataError, or what the server refused
            seen[combination, "outcome"] = raised(error).split(":", 1)[0]
            held = _held(obj)
            session.rollback()
    seen[combination, "statements"] = _named(statements)
    conn = session.connection()
    row = conn.execute(select(model.version).where(model.id == 1)).scalar_one_or_none()
    if row is None:
        seen[combination, "row version"] = "row deleted"
    elif row == FIRST[counter]:
        seen[combination, "row version"] = "unchanged"
    else:
        seen[combination, "row version"] = "moved on behind" if row == MOVED[counter] else "new"
    if held == "expired":
        seen[combination, "object version"] = "expired"
    elif held == row:
        seen[combination, "object version"] = "fresh"
    else:
        seen[combination, "object version"] = (
            "stale: the first" if held == FIRST[counter] else "stale"
        )
    session.rollback()


@scenario(
    "version_id_col: what each write does to the version, what a stale version raises",
    tags=("write_paths", "versioning"),
    expect=PRODUCT.expectations(),
)
def version_counter(ctx: Context) -> Observed:
    """Two counters (integer, a generator of one's own) × six writes, three of them after
    another transaction moved the row's version on."""
    ctx.create_tables(Base.metadata)
    seen = PRODUCT.observed()
    for counter in Counter:
        for write in Write:
            _observe(ctx, counter, write, seen)
    return seen.values
