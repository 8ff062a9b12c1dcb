"""Every way a column gets its value × every way a row is written: what the row holds, and
what the object holds right after.

insert_defaults.py asks whose clock a timestamp default uses, with one object and one
row. Users meet the other writes: a flush of several new objects, ``session.merge()``,
``bulk_save_objects``, ``bulk_insert_mappings(return_defaults=True)``, ORM bulk INSERT
with and without RETURNING, Core executemany, and defaults declared on a
``MappedAsDataclass`` model. Each write gives only ``name``; then each default kind's
column is read back from the row (Core, so that no ORM state is involved) and from the
object the write left in the session:

- ``row``: what the row holds (a string default by its value, a timestamp as "a
  datetime", nothing as none);
- ``object``: ``fresh`` (the object holds the row's value), ``expired`` (reloaded on
  access), ``not loaded``, ``stale: <value>`` (it holds another value than the row), or
  ``no object`` (the write made none: Core, mappings, ORM bulk INSERT without RETURNING).

Besides, each write path's statements: how many, and how many carried RETURNING.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Computed, DateTime, String, func, insert, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedAsDataclass, Session, mapped_column

from scenarios._orm_fetch import held_state
from scenarios._raised import raised
from sqla_matrix.product import Label, Observations, Product
from sqla_matrix.requirements import INSERT_RETURNING
from sqla_matrix.scenario import ByBackend, Context, Doc, Observed, scenario

DEFAULTS = "https://docs.sqlalchemy.org/en/20/core/defaults.html"
DATACLASSES = "https://docs.sqlalchemy.org/en/20/orm/dataclasses.html#column-defaults"
DML = "https://docs.sqlalchemy.org/en/20/orm/queryguide/dml.html"
FETCH = "https://docs.sqlalchemy.org/en/20/orm/persistence_techniques.html#fetching-server-generated-defaults"


class Kind(Label):
    SCALAR = "default='scalar'"
    CALLABLE = "default=callable"
    CONTEXT = "default=callable(context)"
    SQL = "default=func.now()"
    INSERT_DEFAULT = "insert_default='insert'"
    SERVER_FUNC = "server_default=func.now()"
    SERVER_TEXT = "server_default=text(\"'server'\")"
    COMPUTED = "Computed(\"name || '!'\")"
    DC_DEFAULT = "dataclass field default='dc'"
    DC_FACTORY = "dataclass default_factory=callable"
    DC_INIT_FALSE = "dataclass init=False, default='hidden'"


class Path(Label):
    FLUSH_ONE = "ORM flush of one new object"
    FLUSH_THREE = "ORM flush of three new objects"
    MERGE = "session.merge() of a new object"
    BULK_SAVE = "bulk_save_objects()"
    MAPPINGS = "bulk_insert_mappings(return_defaults=True)"
    ORM_INSERT = "ORM bulk INSERT: session.execute(insert(Model), [dicts])"
    ORM_RETURNING = "ORM bulk INSERT .returning(Model)"
    CORE = "Core insert(), executemany"


class Base(DeclarativeBase):
    pass


class DataclassBase(MappedAsDataclass, DeclarativeBase):
    pass


def _model(kind: Kind, column: Any) -> Any:
    """A table of its own per kind (id, name, and the kind's column ``value``), so that a
    write one kind breaks leaves the others' rows to observe."""
    number = list(Kind).index(kind)
    base = DataclassBase if kind.name.startswith("DC_") else Base
    attributes: dict[str, Any] = {
        "__tablename__": f"wp_{number}",
        "__annotations__": {"id": Mapped[int], "name": Mapped[str], "value": Mapped[Any]},
        "id": (
            mapped_column(primary_key=True, init=False)
            if base is DataclassBase
            else mapped_column(primary_key=True)
        ),
        "name": mapped_column(String(30)),
        "value": column,
    }
    return type(f"WritePath{number}", (base,), attributes)


#: kind -> its model, the column holding the kind's default
MODELS: dict[Kind, Any] = {
    Kind.SCALAR: _model(Kind.SCALAR, mapped_column(String(30), default="scalar")),
    Kind.CALLABLE: _model(Kind.CALLABLE, mapped_column(String(30), default=lambda: "callable")),
    Kind.CONTEXT: _model(
        Kind.CONTEXT,
        mapped_column(
            String(40), default=lambda context: f"{context.get_current_parameters()['name']}!"
        ),
    ),
    Kind.SQL: _model(Kind.SQL, mapped_column(DateTime(), default=func.now())),
    Kind.INSERT_DEFAULT: _model(
        Kind.INSERT_DEFAULT, mapped_column(String(30), insert_default="insert")
    ),
    Kind.SERVER_FUNC: _model(
        Kind.SERVER_FUNC, mapped_column(DateTime(), server_default=func.now())
    ),
    Kind.SERVER_TEXT: _model(
        Kind.SERVER_TEXT, mapped_column(String(30), server_default=text("'server'"))
    ),
    Kind.COMPUTED: _model(Kind.COMPUTED, mapped_column(String(40), Computed("name || '!'"))),
    Kind.DC_DEFAULT: _model(Kind.DC_DEFAULT, mapped_column(String(30), default="dc")),
    Kind.DC_FACTORY: _model(
        Kind.DC_FACTORY, mapped_column(String(30), default_factory=lambda: "factory")
    ),
    Kind.DC_INIT_FALSE: _model(
        Kind.DC_INIT_FALSE, mapped_column(String(30), init=False, default="hidden")
    ),
}
VALUES = Product(Kind, Path, measures=("row", "object"))
STATEMENTS = Product(Path, measures=("statements (RETURNING)",))
#: What the documentation promises every write path that runs: the row gets the default.
ROW_GETS = {
    Kind.SCALAR: ("scalar", f"{DEFAULTS}#scalar-defaults"),
    Kind.CALLABLE: ("callable", f"{DEFAULTS}#python-executed-functions"),
    Kind.SQL: ("a datetime", f"{DEFAULTS}#client-invoked-sql-expressions"),
    Kind.INSERT_DEFAULT: ("insert", f"{DEFAULTS}#scalar-defaults"),
    Kind.SERVER_FUNC: ("a datetime", f"{DEFAULTS}#server-invoked-ddl-explicit-default-expressions"),
    Kind.SERVER_TEXT: ("server", f"{DEFAULTS}#server-invoked-ddl-explicit-default-expressions"),
    Kind.DC_DEFAULT: ("dc", DATACLASSES),
    Kind.DC_FACTORY: ("factory", DATACLASSES),
    Kind.DC_INIT_FALSE: ("hidden", DATACLASSES),
}


def _where_returning(doc: Doc) -> ByBackend:
    """``doc`` on the backends with INSERT ... RETURNING; elsewhere (MySQL) SQLAlchemy
    refuses the ORM bulk INSERT with .returning(), and that refusal is observed."""
    return ByBackend(**dict.fromkeys(INSERT_RETURNING.backends(), doc))


for kind, (value, source) in ROW_GETS.items():
    VALUES.expect("row", Doc(value, source), kind)
    VALUES.expect("row", _where_returning(Doc(value, source)), kind, Path.ORM_RETURNING)
#: A dataclass default_factory is the constructor's, not the column's: only writes that
#: construct objects carry its value (the others send no value for the column).
OBJECTS = (Path.FLUSH_ONE, Path.FLUSH_THREE, Path.MERGE, Path.BULK_SAVE)
VALUES.expect("row", Doc("factory", DATACLASSES), Kind.DC_FACTORY, *OBJECTS)
VALUES.expect("row", Doc("no value sent", DATACLASSES), Kind.DC_FACTORY, Path.MAPPINGS)
VALUES.expect("row", Doc("no value sent", DATACLASSES), Kind.DC_FACTORY, Path.ORM_INSERT)
VALUES.expect(
    "row", _where_returning(Doc("no value sent", DATACLASSES)), Kind.DC_FACTORY, Path.ORM_RETURNING
)
VALUES.expect("row", Doc("no value sent", DATACLASSES), Kind.DC_FACTORY, Path.CORE)


def _new(model: Any, name: str) -> Any:
    return model(name=name)


def _write(session: Session, model: Any, path: Path, names: list[str]) -> list[Any]:
    """Write rows named ``names`` to ``model``'s table by ``path`` (only ``name`` given):
    the objects it leaves in the session, or returns."""
    if path in (Path.FLUSH_ONE, Path.FLUSH_THREE):
        objects = [_new(model, name) for name in names]
        session.add_all(objects)
        session.flush()
        return objects
    if path is Path.MERGE:
        merged = [session.merge(_new(model, name)) for name in names]
        session.flush()
        return merged
    if path is Path.BULK_SAVE:
        objects = [_new(model, name) for name in names]
        session.bulk_save_objects(objects)
        return objects  # never attached to the session
    if path is Path.MAPPINGS:
        session.bulk_insert_mappings(model, [{"name": n} for n in names], return_defaults=True)
        return []
    if path is Path.ORM_INSERT:
        session.execute(insert(model), [{"name": n} for n in names])
        return []
    if path is Path.ORM_RETURNING:
        stmt = insert(model).returning(model)
        return list(session.scalars(stmt, [{"name": n} for n in names]))
    session.connection().execute(insert(model.__table__), [{"name": n} for n in names])
    return []


#: How each server refuses a NOT NULL column given no value (SQLite, PostgreSQL, MySQL).
NO_VALUE = ("NOT NULL constraint failed", "violates not-null constraint", "doesn't have a default")


def _shown(value: Any) -> Any:
    return "a datetime" if isinstance(value, datetime) else value


def _observe(ctx: Context, kind: Kind, path: Path, seen: Observations) -> None:
    """One kind's column written by one path: what its rows and objects hold."""
    model = MODELS[kind]
    names = _names(path)
    session = ctx.session()
    try:
        made = _write(session, model, path, names)
        found = session.execute(select(model.id, model.value).order_by(model.id)).all()
    except Exception as error:  # a write SQLAlchemy or the server refuses
        refused = raised(error)
        # A NOT NULL column refusing the row: no value was sent for it (whatever the server
        # calls it), which is what is compared; the refusal itself is the object's value.
        sent_nothing = any(words in refused for words in NO_VALUE)
        seen[(kind, path), "row"] = "no value sent" if sent_nothing else refused
        seen[(kind, path), "object"] = refused
        session.rollback()
        return
    seen[(kind, path), "row"] = _shown(found[0][1]) if found else "no row"
    if not made:
        seen[(kind, path), "object"] = "no object"
    else:
        pairs = zip(made, (value for _id, value in found), strict=False)
        states = {held_state(obj, "value", value, shown=_shown) for obj, value in pairs}
        seen[(kind, path), "object"] = " / ".join(sorted(states))
    session.rollback()


def _names(path: Path) -> list[str]:
    """The rows a path writes: three for the flush of three, else one."""
    return [f"{path.name.lower()} {n}" for n in range(3 if path is Path.FLUSH_THREE else 1)]


def _count(ctx: Context, path: Path, counts: Observations) -> None:
    """A path's statements on the plain scalar default's table: how many, with RETURNING."""
    session = ctx.session()
    with ctx.counting() as statements:
        try:
            _write(session, MODELS[Kind.SCALAR], path, _names(path))
        except Exception as error:
            counts[(path,), "statements (RETURNING)"] = raised(error)
            session.rollback()
            return
    returning = sum(" RETURNING " in s.sql.upper() for s in statements)
    counts[(path,), "statements (RETURNING)"] = f"{len(statements)} ({returning})"
    session.rollback()


@scenario(
    "Every default kind × every write path: what the row holds, what the object holds",
    tags=("defaults", "write_paths"),
    expect={**VALUES.expectations(), **STATEMENTS.expectations()},
)
def defaults_by_write_path(ctx: Context) -> Observed:
    """Eleven ways a column gets a value (Python and SQL defaults, insert_default, server
    defaults, a computed column, dataclass defaults) × eight ways rows are written."""
    for metadata in (Base.metadata, DataclassBase.metadata):
        ctx.create_tables(metadata)
    seen, counts = VALUES.observed(), STATEMENTS.observed()
    for path in Path:
        _count(ctx, path, counts)
        for kind in Kind:
            _observe(ctx, kind, path, seen)
    return {**seen.values, **counts.values}
