"""``onupdate`` against ``server_onupdate``: who keeps ``updated_at`` right?

The seed notes only link to the question. The answer, observed per backend:

- ``onupdate=`` (a SQL function or a Python callable) is applied *by
  SQLAlchemy*: it adds ``updated_at`` to the UPDATE statements it builds.
  SQL that never went through SQLAlchemy does not get it.
- ``server_onupdate=`` only *tells* SQLAlchemy that the server changes the
  column (so the ORM knows to fetch it); it puts nothing in the DDL. Something
  on the server must do the work: MySQL/MariaDB's ``ON UPDATE
  CURRENT_TIMESTAMP`` or a trigger.

Each variant below is one table; every row starts with ``updated_at`` set to
2000-01-01, then one kind of UPDATE touches another column, and the
scenario reads back whether ``updated_at`` moved.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    DDL,
    DateTime,
    FetchedValue,
    Integer,
    String,
    event,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedColumn, mapped_column

from scenarios import _updated_at as keys
from scenarios._ddl import column_ddl
from scenarios._orm_fetch import after_flush
from sqla_matrix.capabilities import per_backend
from sqla_matrix.releases import CHANGELOG_20
from sqla_matrix.requirements import ON_CONFLICT, ON_UPDATE_CURRENT_TIMESTAMP
from sqla_matrix.scenario import ByBackend, Context, Doc, KnownBug, Observed, When, scenario

OLD = datetime(2000, 1, 1)
DEFAULTS = "https://docs.sqlalchemy.org/en/20/core/defaults.html"
CLIENT_SQL_EXPRESSION = f"{DEFAULTS}#client-invoked-sql-expressions"
PYTHON_FUNCTIONS = f"{DEFAULTS}#python-executed-functions"
FETCHED_VALUE = f"{DEFAULTS}#marking-implicitly-generated-values-timestamps-and-triggered-columns"
SERVER_ONUPDATE = (
    "https://docs.sqlalchemy.org/en/20/core/metadata.html"
    "#sqlalchemy.schema.Column.params.server_onupdate"
)
ORM_FETCH = "https://docs.sqlalchemy.org/en/20/orm/persistence_techniques.html#orm-server-defaults"
MYSQL_AUTO_UPDATE = "https://dev.mysql.com/doc/refman/8.4/en/timestamp-initialization.html"
MARIADB_AUTO_UPDATE = "https://mariadb.com/kb/en/timestamp/#automatic-values"
SA_MYSQL_ON_UPDATE = (
    "https://docs.sqlalchemy.org/en/20/dialects/mysql.html#mysql-timestamp-onupdate"
)
PG_TRIGGERS = "https://www.postgresql.org/docs/current/trigger-definition.html"
MYSQL_TRIGGERS = "https://dev.mysql.com/doc/refman/8.4/en/create-trigger.html"
MARIADB_TRIGGERS = "https://mariadb.com/kb/en/create-trigger/"
SQLITE_TRIGGERS = "https://www.sqlite.org/lang_createtrigger.html"

ColumnFactory = Callable[[], MappedColumn[Any]]
Triggers = Callable[[str], tuple[list[str], list[str]]]  # table -> (after create, after drop)


def onupdate_now() -> MappedColumn[Any]:
    """SQLAlchemy puts ``SET updated_at=now()`` into the UPDATEs it builds."""
    return mapped_column(DateTime, onupdate=func.now())


def on_update_current_timestamp() -> MappedColumn[Any]:
    """MySQL/MariaDB's clause, the way SQLAlchemy documents it: inside server_default,
    with server_onupdate=FetchedValue() telling the ORM that the server changes it."""
    return mapped_column(
        DateTime,
        server_default=text("CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP"),
        server_onupdate=FetchedValue(),
    )


def fetched_value() -> MappedColumn[Any]:
    """A column something on the server (a trigger) keeps: SQLAlchemy is only told so."""
    return mapped_column(DateTime, server_onupdate=FetchedValue())


def declare(variant: str, column: ColumnFactory, triggers: Triggers | None, *, eager: bool) -> Any:
    """One variant's table and model; ``eager`` sets the mapper's ``eager_defaults``."""

    class Base(DeclarativeBase):
        pass

    class Stamped(Base):
        __tablename__ = f"stamped_{variant}{'_eager' if eager else ''}"
        __mapper_args__ = {"eager_defaults": eager}  # noqa: RUF012 (declarative reads it)
        id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
        name: Mapped[str] = mapped_column(String(50))
        updated_at: Mapped[datetime | None] = column()

    if triggers is not None:
        create, drop = triggers(Stamped.__tablename__)
        for statement in create:
            event.listen(Stamped.__table__, "after_create", DDL(statement))  # type: ignore[no-untyped-call]
        for statement in drop:
            event.listen(Stamped.__table__, "after_drop", DDL(statement))  # type: ignore[no-untyped-call]
    return Stamped


def _moved(ctx: Context, model: Any, row_id: int) -> bool:
    with ctx.engine.connect() as conn:
        value = conn.execute(select(model.updated_at).where(model.id == row_id)).scalar_one()
    return bool(value != OLD)


def _orm_object_after_flush(ctx: Context, model: Any) -> tuple[str, int]:
    """How the flushed object's updated_at compares with the row: fresh, expired or stale."""
    session = ctx.session()
    session.add(model(id=100, name="before", updated_at=OLD))
    session.commit()
    row = session.get(model, 100)
    assert row is not None and row.updated_at == OLD

    def rename_and_flush() -> None:
        row.name = "after"
        session.flush()

    outcome = after_flush(ctx, session, row, "updated_at", rename_and_flush, before=OLD)
    session.rollback()
    return outcome


def _held_value(obj: Any, before: Any) -> str:
    """What an object in the identity map holds for updated_at right after an
    ORM-enabled UPDATE ... WHERE touched its row (read without loading)."""
    held = inspect(obj).dict
    if "updated_at" not in held:
        return "expired (reloaded on access)"
    return "stale (the value before the UPDATE)" if held["updated_at"] == before else "refreshed"


def _kept_digits(ctx: Context, table: str) -> int | None:
    """How many fractional-second digits the server keeps in ``table.updated_at``, as its
    catalog declares (None on SQLite, which stores whatever text it is given)."""
    schema = ctx.capabilities.catalog_namespace
    if schema is None:
        return None
    query = text(
        "SELECT datetime_precision FROM information_schema.columns "
        f"WHERE table_schema = {schema} AND table_name = :table AND column_name = 'updated_at'"
    )
    with ctx.engine.connect() as conn:
        return int(conn.execute(query, {"table": table}).scalar_one())


def _same_second_outcome(values: list[datetime], digits: int | None) -> str:
    """Whether two updates in one second stored different values, and why."""
    kept = (
        "SQLite keeps the text it is given"
        if digits is None
        else f"the column keeps {digits} fractional-second digits "
        "(information_schema.columns.datetime_precision)"
    )
    if values[0] != values[1]:
        return f"changed: {kept}"
    if digits == 0:
        return f"unchanged (same value): {kept}, so whole seconds"
    if values[0].microsecond == 0:
        return f"unchanged (same value): the time written had whole seconds only; {kept}"
    return f"unchanged (same value): the same time was written; {kept}"


def _same_second_updates(ctx: Context, model: Any) -> str:
    """Two Core UPDATEs, committed separately, inside one second of the server's clock
    and one half-second of the client's (a try that straddles either is repeated): MySQL
    rounds a fraction it cannot keep, so client times of .4 and .6 would be stored a
    second apart although they fall in one second."""
    for _ in range(10):
        started = time.time()
        with ctx.engine.begin() as conn:
            conn.execute(model.__table__.insert().values(id=200, name="a", updated_at=OLD))
        with ctx.engine.connect() as conn:
            second = conn.execute(select(func.current_timestamp())).scalar_one()
        values = []
        for name in ("b", "c"):
            with ctx.engine.begin() as conn:
                conn.execute(update(model).where(model.id == 200).values(name=name))
            with ctx.engine.connect() as conn:
                values.append(
                    conn.execute(select(model.updated_at).where(model.id == 200)).scalar_one()
                )
        with ctx.engine.connect() as conn:
            after = conn.execute(select(func.current_timestamp())).scalar_one()
        one_half_second = int(started * 2) == int(time.time() * 2)
        with ctx.engine.begin() as conn:
            conn.execute(model.__table__.delete().where(model.id == 200))
        if str(second)[:19] == str(after)[:19] and one_half_second:
            return _same_second_outcome(values, _kept_digits(ctx, model.__tablename__))
        ctx.pause(0.05)
    raise RuntimeError("could not fit two updates into one second of the server's clock")


def observe(
    ctx: Context, variant: str, column: ColumnFactory, triggers: Triggers | None = None
) -> Observed:
    """Every kind of UPDATE against one variant of updated_at, on this backend."""
    model = declare(variant, column, triggers, eager=False)
    eager = declare(variant, column, triggers, eager=True)
    with ctx.counting() as ddl:
        ctx.create_tables(model.metadata)
        ctx.create_tables(eager.metadata)

    with ctx.engine.begin() as conn:
        conn.execute(
            model.__table__.insert(),
            [{"id": i, "name": "a", "updated_at": OLD} for i in range(1, 7)],
        )

    session = ctx.session()
    row = session.get(model, 1)
    assert row is not None
    row.name = "b"
    session.commit()
    with ctx.engine.begin() as conn:
        conn.execute(update(model.__table__).where(model.id == 2).values(name="b"))
    in_session = session.get(model, 3)
    assert in_session is not None
    before = in_session.updated_at
    session.execute(update(model).where(model.id == 3).values(name="b"))
    object_after_bulk = _held_value(in_session, before)
    session.commit()
    with ctx.engine.begin() as conn:
        conn.execute(text(f"UPDATE {model.__tablename__} SET name = 'b' WHERE id = 4"))
        conn.execute(update(model.__table__).where(model.id == 5).values(name="a"))
        conn.execute(text(f"UPDATE {model.__tablename__} SET name = 'a' WHERE id = 6"))

    observed: Observed = {
        "DDL of updated_at": column_ddl(ddl, "updated_at"),
        keys.ORM_FLUSH: _moved(ctx, model, 1),
        keys.CORE_UPDATE: _moved(ctx, model, 2),
        keys.ORM_UPDATE_WHERE: _moved(ctx, model, 3),
        AFTER_UPDATE_WHERE: object_after_bulk,
        keys.RAW_UPDATE: _moved(ctx, model, 4),
        keys.CORE_NO_CHANGE: _moved(ctx, model, 5),
        keys.RAW_NO_CHANGE: _moved(ctx, model, 6),
    }
    state, statements = _orm_object_after_flush(ctx, model)
    observed[keys.OBJECT] = state
    observed["statements: flush + reading updated_at"] = statements
    state, statements = _orm_object_after_flush(ctx, eager)
    observed[keys.OBJECT_EAGER] = state
    observed["statements: flush + reading updated_at, eager_defaults=True"] = statements
    if observed[keys.CORE_UPDATE]:
        observed["two updates within one second"] = _same_second_updates(ctx, model)
    return observed


#: A row trigger fires for every updated row: every kind of UPDATE moves updated_at.
EVERY_UPDATE = {
    "orm": True,
    "core": True,
    "bulk": True,
    "raw": True,
    "core_no_change": True,
    "raw_no_change": True,
}


def _expect(source: str, **values: Any) -> dict[str, Doc]:
    names = {
        "orm": keys.ORM_FLUSH,
        "core": keys.CORE_UPDATE,
        "bulk": keys.ORM_UPDATE_WHERE,
        "raw": keys.RAW_UPDATE,
        "core_no_change": keys.CORE_NO_CHANGE,
        "raw_no_change": keys.RAW_NO_CHANGE,
    }
    return {names[k]: Doc(v, source) for k, v in values.items()}


AFTER_UPDATE_WHERE = "object in the session after ORM update(Model).where()"
CHANGELOG_11917 = f"{CHANGELOG_20}#change-2.0.36"
#: Before 2.0.36 an ORM-enabled UPDATE with WHERE left an onupdate column of the objects
#: it matched in the session as it was (sqlalchemy#11917, fixed in 2.0.36).
STALE_AFTER_BULK = KnownBug(
    "stale (the value before the UPDATE)",
    "https://github.com/sqlalchemy/sqlalchemy/issues/11917",
    fixed_in="2.0.36",
    workaround="session.refresh(obj), or execution_options(populate_existing=True)",
)
#: The same, for both of two matched objects (before 2.0.36 neither was touched).
STALE_AFTER_BULK_BOTH = KnownBug(
    "first: stale (the value before the UPDATE); second: stale (the value before the UPDATE)",
    "https://github.com/sqlalchemy/sqlalchemy/issues/11917",
    fixed_in="2.0.36",
    workaround="session.refresh(obj), or execution_options(populate_existing=True)",
)


@scenario(
    "updated_at with onupdate=func.now(): SQLAlchemy adds now() to its UPDATEs",
    tags=("timestamps", keys.VARIANT),
    expect={
        **_expect(CLIENT_SQL_EXPRESSION, orm=True, core=True, bulk=True, core_no_change=True),
        **_expect(DEFAULTS, raw=False, raw_no_change=False),
        keys.OBJECT: Doc("expired, re-selected on access", ORM_FETCH),
        AFTER_UPDATE_WHERE: When(
            {
                "sqlalchemy<2.0.36": STALE_AFTER_BULK,
                "sqlalchemy>=2.0.36": Doc("expired (reloaded on access)", CHANGELOG_11917),
            }
        ),
    },
)
def onupdate_sql_function(ctx: Context) -> Observed:
    """The server computes the time, but only because SQLAlchemy wrote
    ``SET updated_at=now()`` into the UPDATE; a raw UPDATE leaves it alone."""
    return observe(ctx, "onupdate_now", onupdate_now)


@scenario(
    "updated_at with onupdate=datetime.now: the client computes the time",
    tags=("timestamps", keys.VARIANT),
    expect={
        **_expect(PYTHON_FUNCTIONS, orm=True, core=True, bulk=True, core_no_change=True),
        **_expect(DEFAULTS, raw=False, raw_no_change=False),
    },
)
def onupdate_python_callable(ctx: Context) -> Observed:
    """The value is computed in Python and sent as a parameter, so the ORM
    object holds it already; a raw UPDATE leaves the column alone."""
    return observe(ctx, "onupdate_py", lambda: mapped_column(DateTime, onupdate=datetime.now))


@scenario(
    "updated_at with server_onupdate=FetchedValue() and nothing on the server",
    tags=("timestamps", keys.VARIANT),
    expect=_expect(FETCHED_VALUE, orm=False, core=False, bulk=False, raw=False),
)
def server_onupdate_fetched_value_alone(ctx: Context) -> Observed:
    """FetchedValue only tells SQLAlchemy that the server changes the column;
    with no trigger or ON UPDATE clause, nothing ever does."""
    return observe(ctx, "fetched", fetched_value)


@scenario(
    "updated_at with server_onupdate=func.now(): is anything put in the DDL?",
    tags=("timestamps", keys.VARIANT),
    expect=_expect(SERVER_ONUPDATE, orm=False, core=False, bulk=False, raw=False),
)
def server_onupdate_sql_function(ctx: Context) -> Observed:
    """server_onupdate does not create an ON UPDATE clause or a trigger:
    the column's DDL is a plain DATETIME and nothing updates it."""
    return observe(ctx, "server_now", lambda: mapped_column(DateTime, server_onupdate=func.now()))


@scenario(
    "updated_at with MySQL/MariaDB's ON UPDATE CURRENT_TIMESTAMP (via server_default)",
    tags=("timestamps", keys.VARIANT),
    requires=(ON_UPDATE_CURRENT_TIMESTAMP,),
    expect={
        **_expect(
            MYSQL_AUTO_UPDATE,
            orm=True,
            core=True,
            bulk=True,
            raw=True,
            core_no_change=False,
            raw_no_change=False,
        ),
        "DDL of updated_at": Doc(
            "updated_at DATETIME DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP",
            SA_MYSQL_ON_UPDATE,
        ),
    },
)
def mysql_on_update_current_timestamp(ctx: Context) -> Observed:
    """SQLAlchemy has no ON UPDATE option; the documented way is to put the clause
    into server_default and mark the column server_onupdate=FetchedValue(). The
    server then stamps every UPDATE that changes a value, whoever sends it."""
    return observe(ctx, "mysql_on_update", on_update_current_timestamp)


def _postgresql_trigger(table: str) -> tuple[list[str], list[str]]:
    function = f"{table}_touch"
    return (
        [
            f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$",
            f"CREATE TRIGGER {table}_updated_at BEFORE UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()",
        ],
        [f"DROP FUNCTION {function}()"],
    )


def _sqlite_trigger(table: str) -> tuple[list[str], list[str]]:
    # SQLite's triggers cannot assign NEW: an AFTER UPDATE trigger re-stamps the row.
    # (Recursive triggers are off by default, so its own UPDATE does not fire it again.)
    return (
        [
            f"CREATE TRIGGER {table}_updated_at AFTER UPDATE ON {table} FOR EACH ROW "
            f"BEGIN UPDATE {table} SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id; END"
        ],
        [],
    )


def _mysql_trigger(table: str) -> tuple[list[str], list[str]]:
    return (
        [
            f"CREATE TRIGGER {table}_updated_at BEFORE UPDATE ON {table} "
            "FOR EACH ROW SET NEW.updated_at = CURRENT_TIMESTAMP"
        ],
        [],
    )


#: A row trigger that keeps updated_at, in each server's SQL (each manual's CREATE TRIGGER).
TRIGGERS: Mapping[str, tuple[Triggers, str]] = per_backend(
    "onupdate.TRIGGERS",
    {
        "postgresql": (_postgresql_trigger, PG_TRIGGERS),
        "sqlite": (_sqlite_trigger, SQLITE_TRIGGERS),
        "mysql": (_mysql_trigger, MYSQL_TRIGGERS),
        "mariadb": (_mysql_trigger, MARIADB_TRIGGERS),
    },
)
#: On PostgreSQL and SQLite every update path stamps the row: a row trigger fires for
#: each row an UPDATE matches, whoever sends it and whether or not a value changed.
#: MySQL's and MariaDB's manuals say no more than "activates whenever a row is modified":
#: what their triggers do on an UPDATE that changes nothing is observed, not asserted.
EVERY_PATH_STAMPED = {
    key: ByBackend(postgresql=Doc(True, PG_TRIGGERS), sqlite=Doc(True, SQLITE_TRIGGERS))
    for key in _expect("", **EVERY_UPDATE)
}


@scenario(
    "updated_at kept by a row trigger (server_onupdate=FetchedValue())",
    tags=("timestamps", keys.VARIANT),
    expect=EVERY_PATH_STAMPED,
)
def trigger(ctx: Context) -> Observed:
    """A FOR EACH ROW trigger stamps updated_at on every updated row: BEFORE UPDATE
    assigning NEW.updated_at on PostgreSQL, MySQL and MariaDB; on SQLite, whose
    triggers cannot assign NEW, an AFTER UPDATE trigger that updates the row again."""
    triggers, _source = TRIGGERS[ctx.backend]
    return observe(ctx, "trigger", fetched_value, triggers)


CHANGELOG_13675 = f"{CHANGELOG_20}#change-2.0.55"
TWO_MATCHED = "two objects in the session matched by one ORM update(Model).where() (#13675)"
ONE_STALE = KnownBug(
    "first: expired (reloaded on access); second: stale (the value before the UPDATE)",
    "https://github.com/sqlalchemy/sqlalchemy/issues/13675",
    fixed_in="2.0.55 and 2.1.5",
    workaround="execution_options(populate_existing=True), or session.refresh()",
)
BOTH_EXPIRED = Doc(
    "first: expired (reloaded on access); second: expired (reloaded on access)",
    CHANGELOG_13675,
)


@scenario(
    "One ORM update(Model).where() matching two objects in the session: are both refreshed?",
    tags=("timestamps",),
    expect={
        TWO_MATCHED: When(
            {
                # The 2.1 line first: 2.1.0 came out before 2.0.55, the fix reached it in
                # 2.1.5 (the changelog entry's ":versions:").
                "sqlalchemy>=2.1.5": BOTH_EXPIRED,
                "sqlalchemy>=2.1.0b1": ONE_STALE,
                "sqlalchemy<2.0.36": STALE_AFTER_BULK_BOTH,
                "sqlalchemy<2.0.55": ONE_STALE,
                "sqlalchemy>=2.0.55": BOTH_EXPIRED,
            }
        ),
    },
)
def update_where_two_objects(ctx: Context) -> Observed:
    """Two rows with onupdate=func.now() loaded into the session, then one ORM-enabled
    UPDATE whose WHERE matches both: 2.0.36 (#11917) expires the onupdate column of
    the objects it matched; until 2.0.55 and 2.1.5 (#13675) only of one of them."""
    model = declare("two_matched", onupdate_now, None, eager=False)
    ctx.create_tables(model.metadata)
    with ctx.engine.begin() as conn:
        conn.execute(
            model.__table__.insert(),
            [{"id": i, "name": "a", "updated_at": OLD} for i in (1, 2)],
        )
    session = ctx.session()
    first, second = session.get(model, 1), session.get(model, 2)
    session.execute(update(model).where(model.id.in_([1, 2])).values(name="b"))
    held = [_held_value(obj, OLD) for obj in (first, second)]
    session.rollback()
    return {TWO_MATCHED: f"first: {held[0]}; second: {held[1]}"}


# -- an explicit value, and every update path ------------------------------------------

EXPLICIT = datetime(2010, 6, 1, 12, 0, 0)
SCALAR_DEFAULTS = f"{DEFAULTS}#scalar-defaults"
ORM_BULK_BY_PK = (
    "https://docs.sqlalchemy.org/en/20/orm/queryguide/dml.html#orm-bulk-update-by-primary-key"
)


def _update_paths(session: Any, model: Any, explicit: dict[str, Any]) -> dict[str, int]:
    """Update one row per path (setting ``explicit`` too, if given): path -> its row id."""
    paths = {}
    row = session.get(model, 1)
    row.name = "b"
    for key, value in explicit.items():
        setattr(row, key, value)
    session.commit()
    paths["ORM flush of a changed object"] = 1
    session.execute(update(model.__table__).where(model.id == 2).values(name="b", **explicit))
    paths["Core update(table)"] = 2
    session.execute(update(model).where(model.id == 3).values(name="b", **explicit))
    paths["ORM UPDATE with WHERE: update(Model).where(...)"] = 3
    session.execute(update(model), [{"id": 4, "name": "b", **explicit}])
    paths["ORM bulk UPDATE by primary key: session.execute(update(Model), [dicts])"] = 4
    session.bulk_update_mappings(model, [{"id": 5, "name": "b", **explicit}])
    paths["Session.bulk_update_mappings()"] = 5
    session.query(model).filter(model.id == 6).update(
        {"name": "b", **explicit}, synchronize_session=False
    )
    paths["legacy Query.update()"] = 6
    session.commit()
    return paths


def _paths_observed(
    ctx: Context, variant: str, column: ColumnFactory, triggers: Triggers | None
) -> Observed:
    """Six rows, each updated by one API: once changing only the name (does updated_at
    move?), once setting updated_at to 2010-06-01 12:00 as well (is the explicit value kept?)."""
    observed: Observed = {}
    for explicit in ({}, {"updated_at": EXPLICIT}):
        model = declare(f"{variant}{len(explicit)}", column, triggers, eager=False)
        ctx.create_tables(model.metadata)
        with ctx.engine.begin() as conn:
            rows = [{"id": i, "name": "a", "updated_at": OLD} for i in range(1, 7)]
            conn.execute(model.__table__.insert(), rows)
        paths = _update_paths(ctx.session(), model, explicit)
        with ctx.engine.connect() as conn:
            stored = {key: value for key, value in conn.execute(select(model.id, model.updated_at))}
        for path, row_id in paths.items():
            value = stored[row_id]
            if explicit:
                observed[f"{path}, updated_at given: keeps it"] = value == EXPLICIT
            else:
                observed[f"{path}, updated_at not given: moves"] = value != OLD
    return observed


@scenario(
    "onupdate=func.now() on every update path, with and without an explicit updated_at",
    tags=("timestamps",),
    expect={
        "Core update(table), updated_at given: keeps it": Doc(True, SCALAR_DEFAULTS),
        "Core update(table), updated_at not given: moves": Doc(True, CLIENT_SQL_EXPRESSION),
        "ORM bulk UPDATE by primary key: session.execute(update(Model), [dicts]), "
        "updated_at not given: moves": Doc(True, ORM_BULK_BY_PK),
    },
)
def explicit_value_and_update_paths(ctx: Context) -> Observed:
    """Six rows, each updated by one API (named as users call it); once changing only
    the name (does onupdate move updated_at?) and once setting updated_at to
    2010-06-01 12:00 as well (does onupdate override an explicit value?)."""
    return _paths_observed(ctx, "paths", onupdate_now, None)


@dataclass(frozen=True)
class ServerKeeper:
    """What keeps updated_at on one backend's server."""

    kind: str  # "ON UPDATE CURRENT_TIMESTAMP" or "a trigger"
    description: str
    column: ColumnFactory
    triggers: Triggers | None


_ON_UPDATE = ServerKeeper(
    "ON UPDATE CURRENT_TIMESTAMP",
    "ON UPDATE CURRENT_TIMESTAMP",
    on_update_current_timestamp,
    None,
)
#: Per backend: MySQL/MariaDB's ON UPDATE clause, a row trigger on PostgreSQL and
#: SQLite (which have no such clause).
#: The trigger that keeps updated_at where there is no ON UPDATE clause, in each server's SQL.
TRIGGER_KEEPERS = per_backend(
    "onupdate.TRIGGER_KEEPERS",
    {
        "postgresql": ServerKeeper(
            "a trigger",
            "BEFORE UPDATE trigger: NEW.updated_at := now()",
            fetched_value,
            _postgresql_trigger,
        ),
        "sqlite": ServerKeeper(
            "a trigger",
            "AFTER UPDATE trigger: UPDATE ... SET updated_at = CURRENT_TIMESTAMP",
            fetched_value,
            _sqlite_trigger,
        ),
    },
    only=ON_UPDATE_CURRENT_TIMESTAMP.backends(present=False),
)


def server_keeper(ctx: Context) -> ServerKeeper:
    """What keeps updated_at on this server: ON UPDATE CURRENT_TIMESTAMP where it has
    one, else a trigger."""
    if ctx.capabilities.on_update_current_timestamp:
        return _ON_UPDATE
    return TRIGGER_KEEPERS[ctx.backend]


KEEPS_EXPLICIT = "Core update(table), updated_at given: keeps it"


@scenario(
    "ON UPDATE CURRENT_TIMESTAMP or a trigger on every update path: is an explicit value kept?",
    tags=("timestamps",),
    expect={
        KEEPS_EXPLICIT: ByBackend(
            mysql=Doc(True, MYSQL_AUTO_UPDATE), mariadb=Doc(True, MARIADB_AUTO_UPDATE)
        ),
    },
)
def server_keeper_and_update_paths(ctx: Context) -> Observed:
    """The same six update paths with the server keeping updated_at. MySQL's manual:
    the column is not auto-updated when it is "explicitly assigned a value"; a
    trigger does what its body says, and these two overwrite whatever was sent."""
    keeper = server_keeper(ctx)
    observed = _paths_observed(ctx, "server_paths", keeper.column, keeper.triggers)
    return {"kept by": keeper.description, **observed}


# -- upserts ------------------------------------------------------------------------------

PG_UPSERT = "https://docs.sqlalchemy.org/en/20/dialects/postgresql.html#insert-on-conflict-upsert"
MYSQL_UPSERT = (
    "https://docs.sqlalchemy.org/en/20/dialects/mysql.html#insert-on-duplicate-key-update-upsert"
)
PG_INSERT_TRIGGERS = "https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT"


#: The dialect's own insert() where the upsert is ON CONFLICT DO UPDATE.
ON_CONFLICT_INSERT: Mapping[str, Callable[[Any], Any]] = per_backend(
    "onupdate.ON_CONFLICT_INSERT",
    {"postgresql": postgresql.insert, "sqlite": sqlite.insert},
    only=ON_CONFLICT.backends(),
)


def _upsert(ctx: Context, table: Any, set_updated_at: bool) -> Any:
    """An upsert of row 1 that changes its name (and, if asked, sets updated_at=now())."""
    extra = {"updated_at": func.now()} if set_updated_at else {}
    if ctx.capabilities.upsert == "on duplicate key":
        on_mysql = mysql.insert(table).values(id=1, name="b")
        return on_mysql.on_duplicate_key_update(name=on_mysql.inserted.name, **extra)
    on_conflict = ON_CONFLICT_INSERT[ctx.backend](table).values(id=1, name="b")
    set_ = {"name": on_conflict.excluded.name, **extra}
    return on_conflict.on_conflict_do_update(index_elements=[table.c.id], set_=set_)


@scenario(
    "Upserts and updated_at: on_conflict_do_update / on_duplicate_key_update on an existing row",
    tags=("timestamps", "upserts"),
    expect={
        "onupdate=func.now(): the upsert moves updated_at": ByBackend(
            postgresql=Doc(False, PG_UPSERT),
            sqlite=Doc(False, PG_UPSERT),
            mysql=Doc(False, MYSQL_UPSERT),
            mariadb=Doc(False, MYSQL_UPSERT),
        ),
        "ON UPDATE CURRENT_TIMESTAMP: the upsert moves updated_at": ByBackend(
            mysql=Doc(True, MYSQL_AUTO_UPDATE),
            mariadb=Doc(True, MARIADB_AUTO_UPDATE),
        ),
        "a trigger: the upsert moves updated_at": ByBackend(
            postgresql=Doc(True, PG_INSERT_TRIGGERS),
        ),
    },
)
def upserts(ctx: Context) -> Observed:
    """Row 1 exists with an old updated_at; an upsert changes its name. Does a client
    onupdate, a server ON UPDATE clause (MySQL, MariaDB) or a trigger (PostgreSQL,
    SQLite) move updated_at, and does naming updated_at=func.now() in the
    statement's update part move it? SQLAlchemy's docs: onupdate is not applied to
    these statements; it must be given in set_ / on_duplicate_key_update."""
    observed: Observed = {}
    keeper = server_keeper(ctx)
    variants = {
        "onupdate=func.now()": (onupdate_now, None),
        keeper.kind: (keeper.column, keeper.triggers),
    }
    for number, (name, (column, triggers)) in enumerate(variants.items()):
        model = declare(f"upsert{number}", column, triggers, eager=False)
        ctx.create_tables(model.metadata)
        table = model.__table__
        for set_updated_at in (False, True):
            with ctx.engine.begin() as conn:
                conn.execute(table.delete())
                conn.execute(table.insert().values(id=1, name="a", updated_at=OLD))
            with ctx.engine.begin() as conn:
                conn.execute(_upsert(ctx, table, set_updated_at))
            moved = _moved(ctx, model, 1)
            if set_updated_at:
                observed[f"{name}: with updated_at=func.now() in the update part, moves"] = moved
            else:
                observed[f"{name}: the upsert moves updated_at"] = moved
    return observed


#: What users type for these behaviours (read by the site's search: sqla_matrix/site/words.py).
SYNONYMS = {
    "update(Model)": ("session.execute(update(User).where(...))", "update(User)"),
    "moves": ("does updated_at change", "last modified"),
    "upserts": ("upsert", "on_conflict_do_update", "on_duplicate_key_update", "INSERT ON CONFLICT"),
    "onupdate_sql_function": ("onupdate=func.now()", "auto update timestamp"),
}
