"""Listing customers with their orders: the N+1 problem, and selectinload."""

from sqla_matrix.scenario import Context, Doc, Observed, scenario
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from shop.models import Customer, Order

LOADING = "https://docs.sqlalchemy.org/en/20/orm/queryguide/relationships.html"


@scenario(
    "Three customers and their orders: how many statements?",
    expect={
        "lazy (the default)": Doc(4, f"{LOADING}#lazy-loading"),
        "selectinload(Customer.orders)": Doc(2, f"{LOADING}#select-in-loading"),
    },
)
def customers_with_orders(ctx: Context) -> Observed:
    """Lazy loading issues one SELECT per customer's orders (1 + N); selectinload
    loads every customer's orders in one more SELECT."""
    setup = ctx.session()
    for number in (1, 2, 3):
        setup.add(Customer(id=number, name=f"c{number}", orders=[Order(id=number)]))
    setup.commit()
    observed: Observed = {}
    for name, options in (
        ("lazy (the default)", ()),
        ("selectinload(Customer.orders)", (selectinload(Customer.orders),)),
    ):
        session = ctx.session()
        with ctx.counting() as seen:
            for customer in session.scalars(select(Customer).options(*options)):
                _ = customer.orders
        observed[name] = len(seen)
    return observed
