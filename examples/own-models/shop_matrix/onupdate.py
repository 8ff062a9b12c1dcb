"""An order's updated_at: set by onupdate on an ORM update, and on a Core one."""

from sqla_matrix.scenario import Context, Doc, Observed, scenario
from sqlalchemy import select, update

from shop.models import Customer, Order

ONUPDATE = "https://docs.sqlalchemy.org/en/20/core/defaults.html#python-scalar-function-defaults"


@scenario(
    "An order's status changes: does onupdate=func.now() set updated_at?",
    expect={
        "after an ORM flush": Doc("set", ONUPDATE),
        "after Core update(Order)": Doc("set", ONUPDATE),
    },
)
def updated_at(ctx: Context) -> Observed:
    """onupdate applies to every UPDATE SQLAlchemy renders for the table, ORM or Core."""
    session = ctx.session()
    session.add(Customer(id=1, name="Ann", orders=[Order(id=1), Order(id=2)]))
    session.commit()
    session.get_one(Order, 1).status = "paid"
    session.commit()
    session.execute(update(Order).where(Order.id == 2).values(status="paid"))
    session.commit()
    stamps = dict(session.execute(select(Order.id, Order.updated_at)).tuples().all())
    return {
        "after an ORM flush": "set" if stamps[1] is not None else "not set",
        "after Core update(Order)": "set" if stamps[2] is not None else "not set",
    }
