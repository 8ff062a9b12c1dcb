"""Upserts as SQLAlchemy's changelog changed them: ON CONFLICT and ON DUPLICATE KEY UPDATE
beside executemany, RETURNING and ORM attributes.

(``onupdate.upserts`` asks what an upsert does to ``updated_at``.) Each scenario
here observes one changelog entry, named by its ticket, on whatever release
the column has; the timeline then shows the release that changed it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, exc, insert, select
from sqlalchemy.dialects import mysql, postgresql, sqlite

from models.user import User
from sqla_matrix.capabilities import per_backend
from sqla_matrix.releases import CHANGELOG_20, Since
from sqla_matrix.requirements import ON_CONFLICT
from sqla_matrix.scenario import Context, Doc, Observed, When, scenario

#: The dialect's own insert() where the upsert is ON CONFLICT.
ON_CONFLICT_INSERT: Mapping[str, Callable[[Any], Any]] = per_backend(
    "upserts.ON_CONFLICT_INSERT",
    {"postgresql": postgresql.insert, "sqlite": sqlite.insert},
    only=ON_CONFLICT.backends(),
)
SORTED_RETURNING = Since(
    "2.0.10", "Insert.returning(sort_by_parameter_order=True)", f"{CHANGELOG_20}#change-2.0.10"
)
PER_ROW_SET = "on_conflict_do_update(set_={name: bindparam()}), 2 rows as executemany"
PER_ROW_SET_RETURNING = f"{PER_ROW_SET} with RETURNING: names stored (#13130)"
PER_ROW_SET_PLAIN = f"{PER_ROW_SET}, no RETURNING: names stored (#13130)"
SORTED_ON_CONFLICT = (
    "on_conflict_do_nothing().returning(id, sort_by_parameter_order=True), "
    "3 new rows, server-generated ids: outcome (#13107)"
)
ORM_KEYED = "the update part keyed by the ORM attribute User.name: name stored (#12117)"


def _outcome(action: Callable[[], str]) -> str:
    try:
        return action()
    except exc.SQLAlchemyError as error:
        return f"raises {type(error).__name__}"


def _table(ctx: Context, name: str) -> Table:
    metadata = MetaData()
    table = Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("name", String(20)),
    )
    ctx.create_tables(metadata)
    return table


@scenario(
    "ON CONFLICT DO UPDATE with a per-row bound parameter in set_, sent as an executemany",
    tags=("upserts", "returning"),
    requires=(ON_CONFLICT,),
    expect={
        PER_ROW_SET_RETURNING: When(
            {"sqlalchemy>=2.0.47": Doc("x1, x2", f"{CHANGELOG_20}#change-2.0.47")}
        ),
        PER_ROW_SET_PLAIN: When(
            {"sqlalchemy>=2.0.47": Doc("x1, x2", f"{CHANGELOG_20}#change-2.0.47")}
        ),
    },
)
def on_conflict_per_row_set(ctx: Context) -> Observed:
    """Two existing rows, each upserted with its own new name taken from its parameter
    set (set_={"name": bindparam("new_name")}), both in one execute(): insertmanyvalues
    batches the rows into one statement, where one bound parameter cannot hold two
    values; since 2.0.47 (#13130) such statements go row at a time."""
    table = _table(ctx, "upsert_per_row")
    make = ON_CONFLICT_INSERT[ctx.backend]
    observed: Observed = {}
    for key, returning in ((PER_ROW_SET_RETURNING, True), (PER_ROW_SET_PLAIN, False)):
        with ctx.engine.begin() as conn:
            conn.execute(table.delete())
            conn.execute(table.insert(), [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])
        statement = make(table).on_conflict_do_update(
            index_elements=[table.c.id], set_={"name": bindparam("new_name")}
        )
        if returning:
            statement = statement.returning(table.c.id)
        rows = [{"id": 1, "name": "a", "new_name": "x1"}, {"id": 2, "name": "b", "new_name": "x2"}]

        def run(statement: Any = statement, rows: list[dict[str, Any]] = rows) -> str:
            with ctx.engine.begin() as conn:
                conn.execute(statement, rows)
                names = conn.execute(select(table.c.name).order_by(table.c.id)).scalars()
                return ", ".join(names)

        observed[key] = _outcome(run)
    return observed


@scenario(
    "ON CONFLICT DO NOTHING with RETURNING sorted by parameter order, server-generated ids",
    tags=("upserts", "returning"),
    requires=(ON_CONFLICT,),
    since=SORTED_RETURNING,
    expect={
        SORTED_ON_CONFLICT: When(
            {
                "postgresql sqlalchemy>=2.0.47": Doc(
                    "3 ids, in parameter order", f"{CHANGELOG_20}#change-2.0.47"
                )
            }
        ),
    },
)
def on_conflict_sorted_returning(ctx: Context) -> Observed:
    """Three new rows whose ids the server generates, inserted in one execute() with
    RETURNING sorted back to the parameters: SQLAlchemy tracks the rows with a
    counter it adds to the batched statement (an "implicit sentinel"); with ON
    CONFLICT, PostgreSQL refused the SQL it wrote until 2.0.47 (#13107)."""
    table = _table(ctx, "upsert_sorted")
    statement = (
        ON_CONFLICT_INSERT[ctx.backend](table)
        .on_conflict_do_nothing()
        .returning(table.c.id, table.c.name, sort_by_parameter_order=True)
    )

    def run() -> str:
        with ctx.engine.begin() as conn:
            rows = conn.execute(statement, [{"name": n} for n in ("c", "a", "b")]).all()
        in_order = [row.name for row in rows] == ["c", "a", "b"]
        return f"{len(rows)} ids, {'in parameter order' if in_order else 'out of order'}"

    return {SORTED_ON_CONFLICT: _outcome(run)}


@scenario(
    "An upsert whose update part is keyed by an ORM attribute (User.name), not a string",
    tags=("upserts",),
    expect={
        ORM_KEYED: When({"sqlalchemy>=2.0.38": Doc("c", f"{CHANGELOG_20}#change-2.0.38")}),
    },
)
def upsert_keyed_by_orm_attribute(ctx: Context) -> Observed:
    """User 1 exists as "a"; an upsert inserts it as "b" and on the conflict sets
    User.name to "c". MySQL's compiler refused an ORM attribute as a key of
    on_duplicate_key_update until 2.0.38 (#12117); ON CONFLICT's set_ for comparison."""
    with ctx.engine.begin() as conn:
        conn.execute(insert(User).values(id=1, name="a"))
    if ctx.capabilities.upsert == "on duplicate key":
        on_mysql = mysql.insert(User).values(id=1, name="b")
        statement: Any = on_mysql.on_duplicate_key_update({User.name: "c"})
        form = "on_duplicate_key_update({User.name: 'c'})"
    else:
        on_conflict = ON_CONFLICT_INSERT[ctx.backend](User).values(id=1, name="b")
        statement = on_conflict.on_conflict_do_update(
            index_elements=[User.id], set_={User.name: "c"}
        )
        form = "on_conflict_do_update(set_={User.name: 'c'})"

    def run() -> str:
        with ctx.engine.begin() as conn:
            conn.execute(statement)
        with ctx.engine.connect() as conn:
            return str(conn.execute(select(User.name).where(User.id == 1)).scalar_one())

    return {"statement": form, ORM_KEYED: _outcome(run)}
