"""``Identity()`` and ``Sequence``: what each backend makes of them, what the rows get, and
what the object holds after each write path.

A model declares ``Identity(start=100, increment=5)`` or ``Sequence("...", start=100)``
and moves between backends. SQLAlchemy renders each only where the backend has it: an
IDENTITY column (PostgreSQL), a sequence (PostgreSQL, MariaDB 10.3+); elsewhere the
column falls back to the backend's own autoincrement, or (a sequence on a column that is
not the primary key) to nothing. A refusal or a fallback is an observation, not a gap.
Observed per kind: the column's DDL, whether a CREATE SEQUENCE ran, and the three values
the first ORM flush of three rows gave (start and increment honoured or not); per kind ×
write path:

- ``row``: ``a value`` or ``none`` (what the rows' column holds);
- ``object``: ``fresh``, ``expired``, ``not loaded`` or ``stale: <value>`` right after
  the write, or ``no object`` (Core);
- ``statements``: how many, how many with RETURNING, and whether one asked the sequence
  itself for a value (``nextval``, ``NEXT VALUE FOR``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Identity, Integer, Sequence, String, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from scenarios._ddl import column_ddl
from scenarios._orm_fetch import held_state
from scenarios._raised import raised
from sqla_matrix.product import Label, Observations, Product
from sqla_matrix.scenario import Context, Doc, Observed, When, scenario

DEFAULTS = "https://docs.sqlalchemy.org/en/20/core/defaults.html"
IDENTITY = f"{DEFAULTS}#identity-ddl"
SEQUENCES = f"{DEFAULTS}#defining-sequences"
PG_IDENTITY = "https://www.postgresql.org/docs/current/sql-createtable.html"


class Kind(Label):
    AUTOINCREMENT = "Integer primary key (autoincrement, neither)"
    IDENTITY = "Identity()"
    IDENTITY_START = "Identity(start=100, increment=5)"
    SEQUENCE = "Sequence('gk_seq', start=100, increment=5) on the primary key"
    OPTIONAL = "Sequence('gk_optional', start=100, optional=True) on the primary key"
    NOT_KEY = "Sequence('gk_number', start=50) on a column not the primary key"


class Path(Label):
    FLUSH_ONE = "ORM flush of one new object"
    FLUSH_THREE = "ORM flush of three new objects"
    ORM_RETURNING = "ORM bulk INSERT .returning(Model)"
    CORE = "Core insert(), executemany"


class Base(DeclarativeBase):
    pass


def _model(kind: Kind, key: Any, number: Any = None) -> Any:
    """A table of its own per kind: ``id``, ``name``, and for NOT_KEY the sequence's
    column ``number``; ``value`` names the column observed."""
    index = list(Kind).index(kind)
    annotations: dict[str, Any] = {"id": Mapped[int], "name": Mapped[str]}
    attributes: dict[str, Any] = {
        "__tablename__": f"gk_{index}",
        "id": key,
        "name": mapped_column(String(30)),
    }
    if number is not None:
        annotations["number"] = Mapped[int | None]
        attributes["number"] = number
    attributes["__annotations__"] = annotations
    return type(f"GeneratedKey{index}", (Base,), attributes)


MODELS: dict[Kind, Any] = {
    Kind.AUTOINCREMENT: _model(Kind.AUTOINCREMENT, mapped_column(primary_key=True)),
    Kind.IDENTITY: _model(Kind.IDENTITY, mapped_column(Identity(), primary_key=True)),
    Kind.IDENTITY_START: _model(
        Kind.IDENTITY_START, mapped_column(Identity(start=100, increment=5), primary_key=True)
    ),
    Kind.SEQUENCE: _model(
        Kind.SEQUENCE,
        mapped_column(Sequence("gk_seq", start=100, increment=5), primary_key=True),
    ),
    Kind.OPTIONAL: _model(
        Kind.OPTIONAL,
        mapped_column(Sequence("gk_optional", start=100, optional=True), primary_key=True),
    ),
    Kind.NOT_KEY: _model(
        Kind.NOT_KEY,
        mapped_column(primary_key=True),
        mapped_column(Integer, Sequence("gk_number", start=50), nullable=True),
    ),
}
#: The sequence each kind declares.
SEQUENCE_NAMES = {Kind.SEQUENCE: "gk_seq", Kind.OPTIONAL: "gk_optional", Kind.NOT_KEY: "gk_number"}
#: The column each kind's values are read from.
COLUMN = {kind: "number" if kind is Kind.NOT_KEY else "id" for kind in Kind}

KINDS = Product(Kind, measures=("DDL", "CREATE SEQUENCE", "first three values"))
VALUES = Product(Kind, Path, measures=("row", "object", "statements"))
# A primary key gets a value on every backend, whichever construct made it (MySQL has no
# RETURNING, so an INSERT with one is refused there before any row is written).
for key_kind, source in (
    *((k, IDENTITY) for k in (Kind.AUTOINCREMENT, Kind.IDENTITY, Kind.IDENTITY_START)),
    *((k, SEQUENCES) for k in (Kind.SEQUENCE, Kind.OPTIONAL)),
):
    VALUES.expect("row", Doc("a value", source), key_kind)
    returning = {name: Doc("a value", source) for name in ("sqlite", "postgresql", "mariadb")}
    VALUES.expect("row", When(returning), key_kind, Path.ORM_RETURNING)


def _write(session: Session, model: Any, path: Path, names: list[str]) -> list[Any]:
    """Write rows named ``names`` by ``path``: the objects it leaves or returns."""
    if path in (Path.FLUSH_ONE, Path.FLUSH_THREE):
        objects = [model(name=name) for name in names]
        session.add_all(objects)
        session.flush()
        return objects
    if path is Path.ORM_RETURNING:
        return list(session.scalars(insert(model).returning(model), [{"name": n} for n in names]))
    session.connection().execute(insert(model.__table__), [{"name": n} for n in names])
    return []


def _statements(statements: list[Any]) -> str:
    returning = sum(" RETURNING " in s.sql.upper() for s in statements)
    asked = any("NEXTVAL" in s.sql.upper() or "NEXT VALUE FOR" in s.sql.upper() for s in statements)
    shown = f"{len(statements)} ({returning} RETURNING)"
    return f"{shown}, asks the sequence" if asked else shown


def _observe(ctx: Context, kind: Kind, path: Path, seen: Observations) -> list[Any]:
    """One kind written by one path; the values its rows got (for the first write)."""
    model = MODELS[kind]
    column = getattr(model, COLUMN[kind])
    names = [f"{path.name.lower()} {n}" for n in range(3 if path is Path.FLUSH_THREE else 1)]
    session = ctx.session()
    with ctx.counting() as statements:
        try:
            made = _write(session, model, path, names)
        except Exception as error:  # a construct this backend refuses
            for measure in VALUES.measures:
                seen[(kind, path), measure] = raised(error)
            session.rollback()
            return []
    seen[(kind, path), "statements"] = _statements(statements)
    rows = session.execute(select(model.id, column).order_by(model.id)).all()
    values = [value for _id, value in rows]
    seen[(kind, path), "row"] = "none" if all(v is None for v in values) else "a value"
    if not made:
        seen[(kind, path), "object"] = "no object"
    else:
        by_name = {obj.name: obj for obj in made}
        names_of: dict[Any, Any] = dict(session.execute(select(model.id, model.name)).all())
        states = {
            held_state(by_name[names_of[id_]], COLUMN[kind], value)
            for id_, value in rows
            if names_of[id_] in by_name
        }
        seen[(kind, path), "object"] = " / ".join(sorted(states))
    session.rollback()
    return values


@scenario(
    "Identity() and Sequence per backend: the DDL, the values, the object after each write",
    tags=("defaults", "write_paths"),
    expect={**KINDS.expectations(), **VALUES.expectations()},
)
def generated_keys(ctx: Context) -> Observed:
    """Six ways a key (or a column) is generated × four write paths."""
    with ctx.counting() as ddl:
        ctx.create_tables(Base.metadata)
    kinds, seen = KINDS.observed(), VALUES.observed()
    for kind in Kind:
        model = MODELS[kind]
        own = [s for s in ddl if s.sql.startswith("CREATE TABLE") and model.__tablename__ in s.sql]
        kinds[(kind,), "DDL"] = column_ddl(own, COLUMN[kind])
        sequence = SEQUENCE_NAMES.get(kind)
        created = any(
            s.sql.upper().startswith("CREATE SEQUENCE") and sequence in s.sql
            for s in ddl
            if sequence is not None
        )
        kinds[(kind,), "CREATE SEQUENCE"] = (
            "not declared" if sequence is None else ("ran" if created else "none")
        )
        first: list[Any] = []
        for path in (Path.FLUSH_THREE, *(p for p in Path if p is not Path.FLUSH_THREE)):
            values = _observe(ctx, kind, path, seen)
            first = first or values
        kinds[(kind,), "first three values"] = ", ".join(str(v) for v in first) or "none"
    return {**kinds.values, **seen.values}
