"""A customer's created_at comes from the server, also for rows SQLAlchemy never saw."""

from sqla_matrix.scenario import Context, Doc, Observed, scenario
from sqlalchemy import select, text

from shop.models import Customer

DEFAULTS = "https://docs.sqlalchemy.org/en/20/core/defaults.html"
SERVER_DEFAULT = f"{DEFAULTS}#server-invoked-ddl-explicit-default-expressions"


@scenario(
    "server_default=func.now(): is created_at filled by the ORM and by plain SQL?",
    expect={
        "ORM insert": Doc("filled", SERVER_DEFAULT),
        "plain INSERT without the column": Doc("filled", SERVER_DEFAULT),
    },
)
def created_at(ctx: Context) -> Observed:
    """A server_default is part of the table's DDL, so the database fills the column
    whoever inserts the row."""
    session = ctx.session()
    session.add(Customer(id=1, name="Ann"))
    session.commit()
    with ctx.engine.begin() as conn:
        conn.execute(text("INSERT INTO customers (id, name) VALUES (2, 'Bob')"))
    filled = {c.id: c.created_at is not None for c in session.scalars(select(Customer))}
    return {
        "ORM insert": "filled" if filled[1] else "empty",
        "plain INSERT without the column": "filled" if filled[2] else "empty",
    }
