"""Statement decorations inside an eager load: where a prefix, a suffix or a hint ends up.

With LIMIT, joinedload cannot join a collection into the limited query, so
SQLAlchemy wraps the limited users in a subquery and joins the posts to it.
A decoration written on the query (``prefix_with``, ``suffix_with``,
``with_hint``, MySQL's index hints) then belongs to one of two SELECTs.
Observed per dialect: the outer or the inner SELECT (or neither), and whether
the server takes the statement. The decorations are comments and harmless
hints, so that every backend can run them; each is looked for in the SQL sent.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import exc, select
from sqlalchemy.orm import joinedload

from models.user import User
from scenarios._ddl import refused
from scenarios.loading import seed
from sqla_matrix.scenario import ByBackend, Context, Doc, Observed, scenario

JOINED_LIMIT = (
    "https://docs.sqlalchemy.org/en/20/orm/queryguide/relationships.html"
    "#the-zen-of-joined-eager-loading"
)
SA_HINTS = "https://docs.sqlalchemy.org/en/20/core/selectable.html#sqlalchemy.sql.expression.Select.with_hint"

PREFIX = "/* matrix-prefix */"
SUFFIX = "/* matrix-suffix */"
#: name -> (how the query is decorated, the text to look for in the SQL)
DECORATIONS: dict[str, tuple[Any, str]] = {
    f'prefix_with("{PREFIX}")': (lambda q: q.prefix_with(PREFIX), PREFIX),
    f'suffix_with("{SUFFIX}")': (lambda q: q.suffix_with(SUFFIX), SUFFIX),
    'with_hint(User, "USE INDEX (PRIMARY)", "mysql")': (
        lambda q: q.with_hint(User, "USE INDEX (PRIMARY)", "mysql"),
        "USE INDEX (PRIMARY)",
    ),
    'with_hint(User, "USE INDEX (PRIMARY)", "mariadb")': (
        lambda q: q.with_hint(User, "USE INDEX (PRIMARY)", "mariadb"),
        "USE INDEX (PRIMARY)",
    ),
    'with_statement_hint("/* matrix-statement-hint */")': (
        lambda q: q.with_statement_hint("/* matrix-statement-hint */"),
        "/* matrix-statement-hint */",
    ),
}


def placement(sql: str, mark: str) -> str:
    """Where ``mark`` sits in a statement that wraps a subquery: in the outer SELECT,
    inside the subquery, after it, or nowhere."""
    at = sql.find(mark)
    if at < 0:
        return "not in the SQL"
    inner = re.search(r"FROM \(SELECT", sql)
    if inner is None:
        return "in the one SELECT (no subquery)"
    end = sql.find(") AS anon_1", inner.end())
    if at < inner.start():
        return "the outer SELECT, before the subquery"
    if end < 0 or at < end:
        return "inside the subquery"
    return "the outer SELECT, after the subquery"


@scenario(
    "Decorations on a joinedload query that LIMIT wraps in a subquery: where each one lands",
    tags=("loading",),
    expect={
        "joinedload + LIMIT 2: the limited users are wrapped in a subquery": Doc(
            True, JOINED_LIMIT
        ),
        # "the hint is rendered only for the dialect named": another dialect leaves it out.
        'with_hint(User, "USE INDEX (PRIMARY)", "mysql"): where it lands': ByBackend(
            postgresql=Doc("not in the SQL", SA_HINTS),
            sqlite=Doc("not in the SQL", SA_HINTS),
        ),
    },
)
def decorations_in_eager_loads(ctx: Context) -> Observed:
    """Three users with two posts each, loaded as select(User).options(joinedload(
    User.posts)).limit(2) with one decoration at a time: its place in the SQL the
    dialect rendered, and the server's verdict. A hint for another dialect is left
    out of the SQL, as with_hint documents."""
    seed(ctx, 3)
    observed: Observed = {}
    base = select(User).options(joinedload(User.posts)).order_by(User.id).limit(2)
    with ctx.counting() as seen:
        plain = ctx.session().scalars(base).unique().all()
    observed["joinedload + LIMIT 2: the limited users are wrapped in a subquery"] = bool(
        re.search(r"FROM \(SELECT", seen[-1].sql)
    )
    observed["joinedload + LIMIT 2: users"] = len(plain)
    for name, (decorate, mark) in DECORATIONS.items():
        session = ctx.session()
        try:
            with ctx.counting() as seen:
                users = session.scalars(decorate(base)).unique().all()
            observed[f"{name}: outcome"] = f"{len(users)} users"
        except exc.DBAPIError as error:
            observed[f"{name}: outcome"] = refused(error)
            session.rollback()
        statement = next((s.sql for s in seen if "FROM" in s.sql), "")
        observed[f"{name}: where it lands"] = placement(statement, mark)
    return observed
