"""Whose clock: each time-valued default kind × each write path that fires it.

write_paths.py says that a timestamp default gave the row "a datetime"; insert_defaults.py
and server_time.py say whose clock set it for one ORM flush or one Core INSERT. Here the
client's clock runs three days behind (time-machine) during every write path users take,
and each time-valued column is compared with the server's own ``now()``:

- ``the client's``: three days behind (Python computed it: ``default=datetime.now``);
- ``the server's``: the server's time (a SQL expression the server evaluated);
- ``no value`` (nothing written), ``unchanged`` (an UPDATE that did not fire ``onupdate``),
  or what the write raised.

Insert kinds: ``default=datetime.now``, ``default=func.now()``, ``server_default=func.now()``
and a ``MappedAsDataclass`` field's ``default_factory=datetime.now``, under an ORM flush,
``session.merge()`` of a new object, ``bulk_save_objects``, ``bulk_insert_mappings``, ORM
bulk INSERT and Core INSERT. Update kinds: ``onupdate=datetime.now`` and
``onupdate=func.now()``, under an ORM flush of a change, ORM UPDATE with WHERE, the legacy
``Query.update()``, ``bulk_update_mappings`` and Core UPDATE.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, cast

import time_machine
from sqlalchemy import DateTime, String, func, insert, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedAsDataclass, Session, mapped_column

from scenarios._raised import raised
from sqla_matrix.product import Combination, Label, Observations, Product
from sqla_matrix.scenario import Context, Doc, Observed, scenario

DEFAULTS = "https://docs.sqlalchemy.org/en/20/core/defaults.html"
PYTHON_FUNCTIONS = f"{DEFAULTS}#python-executed-functions"
CLIENT_SQL = f"{DEFAULTS}#client-invoked-sql-expressions"
SERVER_DEFAULT = f"{DEFAULTS}#server-invoked-ddl-explicit-default-expressions"
DATACLASSES = "https://docs.sqlalchemy.org/en/20/orm/dataclasses.html#column-defaults"
#: How far behind the client's clock runs during each write.
BEHIND = timedelta(days=3)
#: The row the update paths change: above the keys new rows get (a serial does not move
#: for an explicit key).
SEEDED = 100
#: What every onupdate column holds before an UPDATE (an INSERT's default).
BEFORE = datetime(2000, 1, 1)


class Kind(Label):
    PY_DEFAULT = "default=datetime.now"
    SQL_DEFAULT = "default=func.now()"
    SERVER_DEFAULT = "server_default=func.now()"
    DC_FACTORY = "dataclass default_factory=datetime.now"
    PY_ONUPDATE = "onupdate=datetime.now"
    SQL_ONUPDATE = "onupdate=func.now()"


class Path(Label):
    FLUSH = "ORM flush of one new object"
    MERGE = "session.merge() of a new object"
    BULK_SAVE = "bulk_save_objects()"
    MAPPINGS = "bulk_insert_mappings()"
    ORM_INSERT = "ORM bulk INSERT: session.execute(insert(Model), [dicts])"
    CORE_INSERT = "Core insert()"
    FLUSH_CHANGE = "ORM flush of a changed object"
    UPDATE_WHERE = "ORM UPDATE with WHERE"
    QUERY_UPDATE = "legacy Query.update()"
    UPDATE_MAPPINGS = "bulk_update_mappings()"
    CORE_UPDATE = "Core update()"


INSERTS = (Kind.PY_DEFAULT, Kind.SQL_DEFAULT, Kind.SERVER_DEFAULT, Kind.DC_FACTORY)
UPDATES: tuple[Path, ...] = (Path.FLUSH_CHANGE, Path.UPDATE_WHERE, Path.QUERY_UPDATE)
UPDATES += (Path.UPDATE_MAPPINGS, Path.CORE_UPDATE)


class Base(DeclarativeBase):
    pass


class Stamped(Base):
    __tablename__ = "wc_stamped"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))
    py_default: Mapped[datetime | None] = mapped_column(DateTime(), default=datetime.now)
    sql_default: Mapped[datetime | None] = mapped_column(DateTime(), default=func.now())
    server_default: Mapped[datetime | None] = mapped_column(DateTime(), server_default=func.now())
    py_onupdate: Mapped[datetime | None] = mapped_column(
        DateTime(), default=BEFORE, onupdate=datetime.now
    )
    sql_onupdate: Mapped[datetime | None] = mapped_column(
        DateTime(), default=BEFORE, onupdate=func.now()
    )


class DataclassBase(MappedAsDataclass, DeclarativeBase):
    pass


class DcStamped(DataclassBase):
    __tablename__ = "wc_dc_stamped"
    id: Mapped[int] = mapped_column(primary_key=True, init=False)
    name: Mapped[str] = mapped_column(String(30))
    dc_factory: Mapped[datetime | None] = mapped_column(DateTime(), default_factory=datetime.now)


COLUMNS: dict[Kind, Any] = {
    Kind.PY_DEFAULT: Stamped.py_default,
    Kind.SQL_DEFAULT: Stamped.sql_default,
    Kind.SERVER_DEFAULT: Stamped.server_default,
    Kind.DC_FACTORY: DcStamped.dc_factory,
    Kind.PY_ONUPDATE: Stamped.py_onupdate,
    Kind.SQL_ONUPDATE: Stamped.sql_onupdate,
}


def _admits(combination: Combination) -> bool:
    kind, path = cast("tuple[Kind, Path]", combination)
    return (kind in INSERTS) == (path not in UPDATES)


PRODUCT = Product(Kind, Path, measures=("clock",), admits=_admits)
PRODUCT.expect("clock", Doc("the client's", PYTHON_FUNCTIONS), Kind.PY_DEFAULT)
PRODUCT.expect("clock", Doc("the server's", CLIENT_SQL), Kind.SQL_DEFAULT)
PRODUCT.expect("clock", Doc("the server's", SERVER_DEFAULT), Kind.SERVER_DEFAULT)
# A dataclass default_factory belongs to the constructor: only paths that construct
# objects run it.
OBJECTS = (Path.FLUSH, Path.MERGE, Path.BULK_SAVE)
PRODUCT.expect("clock", Doc("the client's", DATACLASSES), Kind.DC_FACTORY, *OBJECTS)
for path in (Path.MAPPINGS, Path.ORM_INSERT, Path.CORE_INSERT):
    PRODUCT.expect("clock", Doc("no value", DATACLASSES), Kind.DC_FACTORY, path)
for path in (Path.FLUSH_CHANGE, Path.UPDATE_WHERE, Path.QUERY_UPDATE, Path.CORE_UPDATE):
    PRODUCT.expect("clock", Doc("the client's", PYTHON_FUNCTIONS), Kind.PY_ONUPDATE, path)
    PRODUCT.expect("clock", Doc("the server's", CLIENT_SQL), Kind.SQL_ONUPDATE, path)


def _insert(session: Session, model: Any, path: Path) -> None:
    """One row named ``path`` written to ``model``'s table by ``path``."""
    name = path.name.lower()
    if path is Path.FLUSH:
        session.add(model(name=name))
    elif path is Path.MERGE:
        session.merge(model(name=name))
    elif path is Path.BULK_SAVE:
        session.bulk_save_objects([model(name=name)])
    elif path is Path.MAPPINGS:
        session.bulk_insert_mappings(model, [{"name": name}])
    elif path is Path.ORM_INSERT:
        session.execute(insert(model), [{"name": name}])
    else:
        session.connection().execute(insert(model.__table__), [{"name": name}])
    session.flush()


def _update(session: Session, path: Path) -> None:
    """The seeded row's name changed by ``path``."""
    where = Stamped.id == SEEDED
    if path is Path.FLUSH_CHANGE:
        obj = session.get(Stamped, SEEDED)
        assert obj is not None
        with time_machine.travel(datetime.now(timezone.utc) - BEHIND, tick=True):
            obj.name = "changed"
            session.flush()
        return
    with time_machine.travel(datetime.now(timezone.utc) - BEHIND, tick=True):
        if path is Path.UPDATE_WHERE:
            session.execute(update(Stamped).where(where).values(name="changed"))
        elif path is Path.QUERY_UPDATE:
            session.query(Stamped).filter(where).update({"name": "changed"})
        elif path is Path.UPDATE_MAPPINGS:
            session.bulk_update_mappings(Stamped, [{"id": SEEDED, "name": "changed"}])
        else:
            table = Stamped.__table__
            core = update(cast("Any", table)).where(table.c.id == SEEDED).values(name="x")
            session.connection().execute(core)


def _clock(value: Any, server_now: datetime) -> str:
    if value is None:
        return "no value"
    if value == BEFORE:
        return "unchanged"
    behind = server_now - value.replace(tzinfo=None)
    return "the client's" if behind > BEHIND / 2 else "the server's"


def _observe(ctx: Context, path: Path, seen: Observations) -> None:
    """Every kind ``path`` fires, from one write with the client's clock behind."""
    kinds = [kind for kind in Kind if (kind, path) in PRODUCT.combinations]
    session = ctx.session()
    try:
        if path in UPDATES:
            _update(session, path)
        else:
            with time_machine.travel(datetime.now(timezone.utc) - BEHIND, tick=True):
                _insert(session, Stamped, path)
                _insert(session, DcStamped, path)
    except Exception as error:  # a path SQLAlchemy or the server refuses
        for kind in kinds:
            seen[(kind, path), "clock"] = raised(error)
        session.rollback()
        return
    server_now = session.execute(select(func.now())).scalar_one().replace(tzinfo=None)
    for kind in kinds:
        column = COLUMNS[kind]
        if path in UPDATES:
            value = session.execute(select(column).where(Stamped.id == SEEDED)).scalar_one()
        else:
            table = column.class_
            value = session.execute(
                select(column).where(table.name == path.name.lower())
            ).scalar_one()
        seen[(kind, path), "clock"] = _clock(value, server_now)
    session.rollback()


@scenario(
    "Whose clock: each time-valued default × each write path, the client's clock behind",
    tags=("timestamps", "defaults", "write_paths"),
    expect=PRODUCT.expectations(),
)
def write_clocks(ctx: Context) -> Observed:
    """Four insert defaults × six insert paths, two onupdate kinds × five update paths,
    each write made with the client's clock three days behind."""
    for metadata in (Base.metadata, DataclassBase.metadata):
        ctx.create_tables(metadata)
    with ctx.engine.begin() as conn:  # the row the update paths change (real clock)
        conn.execute(insert(Stamped), [{"id": SEEDED, "name": "first"}])
    seen = PRODUCT.observed()
    for path in Path:
        _observe(ctx, path, seen)
    return seen.values
