"""What an INSERT gives each kind of default, and where its time comes from.

The seed notes contrast ``server_default=func.now()`` with ``default=``. Users
then meet two more spellings: ``default=func.now()`` (a SQL expression the
*client* puts into its INSERT) and a column that has only ``onupdate=``.
One table holds all four; a row is inserted by the ORM with the client's
clock shifted a day back (time-machine), and another by a raw INSERT that
never went through SQLAlchemy. Observed: the DDL of each column, whether
SQLAlchemy's INSERT names it, the value each row got, and whose clock set it.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import time_machine
from sqlalchemy import DateTime, Integer, MetaData, String, exc, func, insert, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, joinedload
from sqlalchemy.schema import Column, Table

from models.user import User
from scenarios._ddl import column_ddl
from sqla_matrix.requirements import INSERT_RETURNING
from sqla_matrix.scenario import ByBackend, Context, Doc, KnownBug, Observed, When, scenario

DEFAULTS = "https://docs.sqlalchemy.org/en/20/core/defaults.html"
CLIENT_SQL = f"{DEFAULTS}#client-invoked-sql-expressions"
PYTHON_FUNCTIONS = f"{DEFAULTS}#python-executed-functions"
SERVER_DEFAULT = f"{DEFAULTS}#server-invoked-ddl-explicit-default-expressions"
ONUPDATE = f"{DEFAULTS}#scalar-defaults"

#: name -> the column's keyword arguments, as a model would write them
KINDS: dict[str, dict[str, Any]] = {
    "onupdate=func.now() only": {"onupdate": func.now()},
    "default=func.now()": {"default": func.now()},
    "default=datetime.now": {"default": datetime.now},
    "server_default=func.now()": {"server_default": func.now()},
}
COLUMNS = dict(zip(KINDS, ("only_onupdate", "client_sql", "client_python", "server"), strict=True))


@scenario(
    "On INSERT: onupdate only, default=func.now(), default=datetime.now, server_default",
    tags=("timestamps", "defaults"),
    expect={
        "onupdate=func.now() only: ORM INSERT gives": Doc("none", ONUPDATE),
        "default=func.now(): clock": Doc("the server's", CLIENT_SQL),
        "default=datetime.now: clock": Doc("the client's", PYTHON_FUNCTIONS),
        "server_default=func.now(): clock": Doc("the server's", SERVER_DEFAULT),
        "default=func.now(): raw INSERT gives": Doc("none", CLIENT_SQL),
        "default=datetime.now: raw INSERT gives": Doc("none", PYTHON_FUNCTIONS),
        "server_default=func.now(): raw INSERT gives": Doc("a time", SERVER_DEFAULT),
    },
)
def insert_defaults(ctx: Context) -> Observed:
    """default=func.now() is rendered into SQLAlchemy's own INSERT (the server
    evaluates it, so the time is the server's) but is not in the DDL, so a raw
    INSERT leaves the column empty; only server_default is in the table itself."""
    metadata = MetaData()
    table = Table(
        "stamped",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(20)),
        *(Column(COLUMNS[kind], DateTime, **kwargs) for kind, kwargs in KINDS.items()),
    )
    with ctx.counting() as ddl:
        ctx.create_tables(metadata)

    class Base(DeclarativeBase):
        pass

    class Stamped(Base):
        __table__ = table
        id: Mapped[int]

    session = ctx.session()
    client_shift = timedelta(days=1)
    shifted = time_machine.travel(datetime.now(timezone.utc) - client_shift, tick=True)
    with shifted, ctx.counting() as orm_insert:
        session.add(Stamped(id=1, name="orm"))
        session.commit()
    with ctx.engine.begin() as conn:
        conn.execute(text("INSERT INTO stamped (id, name) VALUES (2, 'raw')"))
        server_now = conn.execute(select(func.now())).scalar_one()
    with ctx.engine.connect() as conn:
        rows = {row.id: row for row in conn.execute(select(table))}
    insert_sql = next(s.sql for s in orm_insert if s.sql.startswith("INSERT"))
    match = re.match(r"INSERT INTO \w+ \(([^)]*)\)", insert_sql)
    named = {name.strip() for name in match[1].split(",")} if match else set()
    server_clock = server_now.replace(tzinfo=None)
    observed: Observed = {"SQLAlchemy's INSERT": insert_sql}
    for kind, column in COLUMNS.items():
        orm_value = getattr(rows[1], column)
        observed[f"{kind}: DDL"] = column_ddl(ddl, column)
        observed[f"{kind}: named in SQLAlchemy's INSERT"] = column in named
        observed[f"{kind}: ORM INSERT gives"] = "a time" if orm_value is not None else "none"
        if orm_value is not None:
            behind = server_clock - orm_value.replace(tzinfo=None)
            observed[f"{kind}: clock"] = (
                "the client's" if behind > client_shift / 2 else "the server's"
            )
        raw_value = getattr(rows[2], column)
        observed[f"{kind}: raw INSERT gives"] = "a time" if raw_value is not None else "none"
    return observed


# -- bulk inserts, from SQLAlchemy's changelog -------------------------------------------

CHANGELOG_20 = "https://docs.sqlalchemy.org/en/20/changelog/changelog_20.html"
CHANGELOG_21 = "https://docs.sqlalchemy.org/en/21/changelog/changelog_21.html"
BULK_PKS = "bulk_insert_mappings(return_defaults=True): new primary keys put in the dicts (#11661)"
AFTER_FAILED_BULK = "a flush after a failed bulk_insert_mappings() and a rollback (#13485)"
EMPTY_EXECUTEMANY = "conn.execute(insert(table), []): rows inserted (#9647)"
EMPTY_WARNING = "conn.execute(insert(table), []): warning (#9647)"
JOINED_ON_INSERT = "insert(User).returning(User).options(joinedload(User.posts)): warning (#11853)"
JOINED_ON_INSERT_OUTCOME = (
    "insert(User).returning(User).options(joinedload(User.posts)): outcome (#11853)"
)


def _warned(caught: list[warnings.WarningMessage]) -> str:
    """The warnings caught, each as its category and first sentence (``none`` without one)."""
    seen = {f"{w.category.__name__}: {str(w.message).split('.')[0]}" for w in caught}
    return "; ".join(sorted(seen)) or "none"


def _outcome(action: Callable[[], object]) -> str:
    """``done``, or the exception's class (and, for SQLAlchemy's own, its first sentence)."""
    try:
        action()
        return "done"
    except exc.DBAPIError as error:
        return f"raises {type(error).__name__}"
    except exc.SQLAlchemyError as error:
        return f"raises {type(error).__name__}: {str(error).split('.')[0].split(chr(10))[0]}"


@scenario(
    "Bulk inserts: return_defaults, a failed bulk call, an empty executemany, joinedload on INSERT",
    tags=("defaults", "returning"),
    expect={
        BULK_PKS: When(
            {
                "sqlalchemy<2.0.32": KnownBug(
                    False,
                    "https://github.com/sqlalchemy/sqlalchemy/issues/11661",
                    fixed_in="2.0.32",
                    workaround="session.execute(insert(Model).returning(Model.id), dicts)",
                ),
                "sqlalchemy>=2.0.32": Doc(True, f"{CHANGELOG_20}#change-2.0.32"),
            }
        ),
        AFTER_FAILED_BULK: When(
            {
                "sqlalchemy<2.0.52": KnownBug(
                    "raises InvalidRequestError: Session is already flushing",
                    "https://github.com/sqlalchemy/sqlalchemy/issues/13485",
                    fixed_in="2.0.52",
                    workaround="a new Session",
                ),
                "sqlalchemy>=2.0.52": Doc("done", f"{CHANGELOG_20}#change-2.0.52"),
            }
        ),
        EMPTY_WARNING: When(
            {
                "sqlalchemy>=2.1.0b1": Doc(
                    "SADeprecationWarning: Empty parameter sequence passed to execute()",
                    f"{CHANGELOG_21}#change-2.1.0b1",
                ),
            }
        ),
        # Only where INSERT ... RETURNING exists: elsewhere the statement is not sent.
        JOINED_ON_INSERT: ByBackend(
            **dict.fromkeys(
                INSERT_RETURNING.backends(),
                When(
                    {
                        "sqlalchemy>=2.0.35": Doc(
                            "SADeprecationWarning: The joinedload loader option is not "
                            "compatible with DML statements such as INSERT, UPDATE",
                            f"{CHANGELOG_20}#change-2.0.35",
                        ),
                    }
                ),
            )
        ),
    },
)
def bulk_insert_changes(ctx: Context) -> Observed:
    """Four changelog entries on INSERT, each observed on its own: the primary keys
    that bulk_insert_mappings(return_defaults=True) hands back (2.0.32, #11661); a Session
    left "flushing" by a bulk call that failed (2.0.52, #13485); an empty list of
    parameters to execute(), an executemany of nothing (deprecated in 2.1, #9647); a
    joinedload on an INSERT, which has no JOIN (a warning since 2.0.35, #11853)."""
    metadata = MetaData()
    loose = Table(
        "loose", metadata, Column("id", Integer, primary_key=True), Column("name", String(20))
    )
    ctx.create_tables(metadata)
    observed: Observed = {}

    session = ctx.session()
    mappings: list[dict[str, Any]] = [{"name": "a"}, {"name": "b"}]
    session.bulk_insert_mappings(User, mappings, return_defaults=True)
    observed[BULK_PKS] = all(m.get("id") is not None for m in mappings)
    session.rollback()

    with ctx.engine.begin() as conn:
        conn.execute(insert(User).values(id=1, name="taken"))
    session = ctx.session()
    session.add(User(id=1, name="duplicate"))
    observed["the duplicate flush"] = _outcome(session.flush)
    observed["bulk_insert_mappings() before the rollback"] = _outcome(
        lambda: session.bulk_insert_mappings(User, [{"id": 2, "name": "b"}])
    )
    session.rollback()
    session.add(User(id=3, name="c"))
    observed[AFTER_FAILED_BULK] = _outcome(session.flush)
    session.rollback()

    with warnings.catch_warnings(record=True) as caught, ctx.engine.begin() as conn:
        warnings.simplefilter("always")
        try:
            conn.execute(insert(loose), [])
            rows = conn.execute(select(func.count()).select_from(loose)).scalar_one()
            observed[EMPTY_EXECUTEMANY] = rows
        except exc.SQLAlchemyError as error:
            observed[EMPTY_EXECUTEMANY] = f"raises {type(error).__name__}"
    observed[EMPTY_WARNING] = _warned(caught)

    if ctx.engine.dialect.insert_returning:
        session = ctx.session()
        statement = insert(User).returning(User).options(joinedload(User.posts))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            observed[JOINED_ON_INSERT_OUTCOME] = _outcome(
                lambda: session.scalars(statement, [{"id": 10, "name": "x"}]).all()
            )
        observed[JOINED_ON_INSERT] = _warned(caught)
        session.rollback()
    else:
        observed[JOINED_ON_INSERT_OUTCOME] = "no INSERT..RETURNING here"
    return observed


#: What users type for these behaviours (read by the site's search: sqla_matrix/site/words.py).
SYNONYMS = {
    "clock": ("same time", "whose clock", "client time or server time"),
    "insert_defaults": ("created_at", "default timestamp"),
}
