"""ORM UPDATE with WHERE and the objects already in the session, per ``synchronize_session``.

``session.execute(update(User).where(...).values(name="b"))`` changes rows the session
may hold as objects. What those objects hold afterwards depends on
``synchronize_session`` ("auto", "evaluate", "fetch", False), on how many loaded objects
the WHERE matches, and on the column: one the UPDATE sets, or one ``onupdate=`` fills.
Each combination loads two of three rows, runs one UPDATE, and reads each matched
object's attribute without a new query: ``fresh`` (the row's new value), ``expired``
(reloaded on access), or ``stale: ...`` (the value before the UPDATE). The legacy
``session.query(User).filter(...).update({...}, synchronize_session=...)`` takes the same
strategies; the second scenario runs it beside the first, on the same keys.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, String, func, insert, inspect, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from scenarios._raised import raised
from sqla_matrix.product import Label, Observations, Product
from sqla_matrix.scenario import Context, Doc, Observed, scenario

DML = "https://docs.sqlalchemy.org/en/20/orm/queryguide/dml.html"
SYNCHRONIZE = f"{DML}#selecting-a-synchronization-strategy"


class Sync(Label):
    AUTO = 'synchronize_session="auto"'
    EVALUATE = 'synchronize_session="evaluate"'
    FETCH = 'synchronize_session="fetch"'
    OFF = "synchronize_session=False"


class Matched(Label):
    ONE = "WHERE matches one loaded object"
    TWO = "WHERE matches two loaded objects"


class Column(Label):
    SET = "name, set by .values()"
    ONUPDATE = "updated_at, onupdate=func.now()"


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "us_accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(), default=datetime(2000, 1, 1), onupdate=func.now()
    )


PRODUCT = Product(Sync, Matched, Column, measures=("objects after",))
#: Query.update's synchronize_session takes the same strategies ("see the section
#: ORM-Enabled INSERT, UPDATE, and DELETE statements for a discussion of these strategies").
LEGACY = Product(Sync, Matched, Column, measures=PRODUCT.measures)
QUERY_UPDATE = (
    "https://docs.sqlalchemy.org/en/20/orm/queryguide/query.html#sqlalchemy.orm.Query.update"
)
for product, source in ((PRODUCT, SYNCHRONIZE), (LEGACY, QUERY_UPDATE)):
    # A column the UPDATE sets is synchronized by every strategy but False.
    for synchronized in (Sync.EVALUATE, Sync.FETCH, Sync.AUTO):
        product.expect("objects after", Doc("fresh", source), synchronized, Column.SET)
    product.expect("objects after", Doc("stale: a", source), Sync.OFF, Column.SET)
SYNC_VALUE: dict[Sync, Any] = {
    Sync.AUTO: "auto",
    Sync.EVALUATE: "evaluate",
    Sync.FETCH: "fetch",
    Sync.OFF: False,
}


def _state(obj: Any, attribute: str, now: Any) -> str:
    state = inspect(obj)
    if attribute in state.expired_attributes or attribute in state.unloaded:
        return "expired"
    held = state.dict[attribute]
    shown = "an earlier time" if isinstance(held, datetime) else held
    return "fresh" if held == now else f"stale: {shown}"


def _update_where(session: Session, ids: tuple[int, ...], sync: Sync) -> None:
    statement = update(Account).where(Account.id.in_(ids)).values(name="b")
    session.execute(statement, execution_options={"synchronize_session": SYNC_VALUE[sync]})


def _query_update(session: Session, ids: tuple[int, ...], sync: Sync) -> None:
    legacy = session.query(Account).filter(Account.id.in_(ids))
    legacy.update({"name": "b"}, synchronize_session=SYNC_VALUE[sync])


def _observe(
    ctx: Context,
    run: Callable[[Session, tuple[int, ...], Sync], None],
    sync: Sync,
    matched: Matched,
    seen: Observations,
) -> None:
    session = ctx.session()
    objects = list(session.scalars(select(Account).where(Account.id.in_((1, 2)))))
    ids = (1,) if matched is Matched.ONE else (1, 2)
    try:
        run(session, ids, sync)
    except Exception as error:  # a strategy SQLAlchemy refuses for this statement
        for column in Column:
            seen[(sync, matched, column), "objects after"] = raised(error)
        session.rollback()
        return
    rows = dict(session.execute(select(Account.id, Account.updated_at)).all())
    names = dict(session.execute(select(Account.id, Account.name)).all())
    for column, attribute, now in (
        (Column.SET, "name", names),
        (Column.ONUPDATE, "updated_at", rows),
    ):
        states = {_state(obj, attribute, now[obj.id]) for obj in objects if obj.id in ids}
        seen[(sync, matched, column), "objects after"] = " / ".join(sorted(states))
    session.rollback()


def _run(
    ctx: Context, product: Product, run: Callable[[Session, tuple[int, ...], Sync], None]
) -> Observed:
    ctx.create_tables(Base.metadata)
    with ctx.engine.begin() as conn:
        conn.execute(insert(Account), [{"id": i, "name": "a"} for i in (1, 2, 3)])
    seen = product.observed()
    for sync in Sync:
        for matched in Matched:
            _observe(ctx, run, sync, matched, seen)
    return seen.values


@scenario(
    "ORM UPDATE with WHERE: what the objects it matched hold, per synchronize_session",
    tags=("timestamps", "write_paths"),
    expect=PRODUCT.expectations(),
)
def update_where_synchronize(ctx: Context) -> Observed:
    """Four strategies × one or two matched objects × a set column and an onupdate one."""
    return _run(ctx, PRODUCT, _update_where)


@scenario(
    "Legacy Query.update(): what the objects it matched hold, per synchronize_session",
    tags=("timestamps", "write_paths"),
    expect=LEGACY.expectations(),
)
def query_update_synchronize(ctx: Context) -> Observed:
    """The same four strategies, one or two matched objects and two columns, through
    session.query(...).filter(...).update({...}, synchronize_session=...)."""
    return _run(ctx, LEGACY, _query_update)
