"""Row locks with the loading strategies: with_for_update() beside joinedload, selectinload
and subqueryload.

Users lock the rows they are about to change with ``with_for_update()`` and
load the related rows in the same query. Each loader then puts the lock
somewhere else: joinedload joins the posts in (an outer join, which
PostgreSQL refuses to lock on its nullable side unless ``of=`` names the
table), and with LIMIT wraps the users in a subquery; selectinload and
subqueryload send their own SELECTs, which carry no lock at all. Observed per
loader and lock variant (plain, ``of=User``, ``skip_locked``, ``nowait``,
``read``): where FOR UPDATE lands in the SQL, whether the server accepts it, and
which rows a second connection finds locked (``NOWAIT``, so nothing waits).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, exc, select

from models.user import User
from scenarios._ddl import refused
from scenarios._loaders import Strategy
from scenarios._loaders import options as loader_options
from scenarios.loading import seed
from sqla_matrix.dberrors import code
from sqla_matrix.requirements import ROW_LOCKS
from sqla_matrix.scenario import (
    ByBackend,
    Context,
    Doc,
    KnownBug,
    Observed,
    When,
    scenario,
)

PG_LOCKING = "https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE"
MYSQL_LOCKING = "https://dev.mysql.com/doc/refman/8.4/en/innodb-locking-reads.html"
MARIADB_LOCKING = "https://mariadb.com/kb/en/select/#lock-in-share-modefor-update"
SQLITE_LOCKING = "https://www.sqlite.org/lockingv3.html"
SA_FOR_UPDATE = "https://docs.sqlalchemy.org/en/20/core/selectable.html#sqlalchemy.sql.expression.Select.with_for_update"

LOADERS = loader_options(Strategy.JOINED, Strategy.SELECTIN, Strategy.SUBQUERY)
LOCKS: dict[str, dict[str, Any]] = {
    "with_for_update()": {},
    "with_for_update(of=User)": {"of": User},
    "with_for_update(skip_locked=True)": {"skip_locked": True},
    "with_for_update(nowait=True)": {"nowait": True},
    "with_for_update(read=True)": {"read": True},
}
#: A second connection asks for the first user's row and its first post, without waiting.
PROBE = "SELECT id FROM {table} WHERE id = 1 FOR UPDATE NOWAIT"  # the same on every server
#: The second connection finds the row locked (PostgreSQL's lock_not_available, MySQL's
#: ER_LOCK_NOWAIT, MariaDB's lock wait timeout at once).
LOCKED = ByBackend(
    postgresql=Doc("locked", PG_LOCKING),
    mysql=Doc("locked", MYSQL_LOCKING),
    mariadb=Doc("locked", MARIADB_LOCKING),
)


#: What a second connection's NOWAIT gets on a row another transaction holds.
LOCK_REFUSALS = ("SQLSTATE 55P03", "MySQL 3572", "MySQL 1205")
LOCKING_CLAUSES = (" FOR UPDATE", " FOR SHARE", " FOR NO KEY UPDATE", " LOCK IN SHARE MODE")


def where_the_lock_is(statements: list[str]) -> str:
    """How many of a load's SELECTs carry a locking clause: ``1 of 2 SELECT(s)``."""
    selects = [s.upper() for s in statements if s.lstrip().upper().startswith("SELECT")]
    locked = [s for s in selects if any(clause in s for clause in LOCKING_CLAUSES)]
    return f"{len(locked)} of {len(selects)} SELECT(s)"


def _probe(conn: Connection, table: str) -> str:
    """Whether a second connection can lock row 1 of ``table`` now: free, locked, or
    the server's refusal of the probe itself."""
    try:
        with conn.begin():
            conn.exec_driver_sql(PROBE.format(table=table)).all()
        return "free"
    except exc.DBAPIError as error:
        found = code(error)
        if found is None:
            raise
        return "locked" if found in LOCK_REFUSALS else f"refused: {found}"


@scenario(
    "with_for_update() beside joinedload, selectinload and subqueryload, with and without LIMIT",
    tags=("loading", "locking"),
    requires=(ROW_LOCKS,),
    expect={
        # The eager loader's own SELECT is a second statement: the lock option is the
        # main query's, so it is not repeated there.
        "selectinload, with_for_update(): where the lock is": Doc(
            "1 of 2 SELECT(s)", SA_FOR_UPDATE
        ),
        "joinedload, with_for_update(of=User): a second connection on users row 1": LOCKED,
    },
)
def locks_and_loaders(ctx: Context) -> Observed:
    """Three users with two posts each. For each loader and lock variant, the load runs
    in a transaction of its own: the SQL it sent, the server's verdict, and, for the
    plain and of=User locks, what a second connection finds of users row 1 and posts
    row 1 while the first transaction is still open."""
    seed(ctx, 3)
    observed: Observed = {}
    for loader_name, loader in LOADERS.items():
        for limit in (None, 2):
            shape = f"{loader_name}{' + LIMIT 2' if limit else ''}"
            for lock_name, options in LOCKS.items():
                query = select(User).options(loader(User.posts)).order_by(User.id)
                query = query.with_for_update(**options)
                if limit:
                    query = query.limit(limit)
                session = ctx.session()
                key = f"{shape}, {lock_name}"
                try:
                    with ctx.counting() as seen:
                        users = session.scalars(query).unique().all()
                        _ = [len(user.posts) for user in users]
                    observed[f"{key}: outcome"] = f"{len(users)} users"
                    observed[f"{key}: where the lock is"] = where_the_lock_is([s.sql for s in seen])
                    if not limit and lock_name in ("with_for_update()", "with_for_update(of=User)"):
                        with ctx.engine.connect() as other:
                            for table in ("users", "posts"):
                                probe = f"{loader_name}, {lock_name}: a second connection on"
                                observed[f"{probe} {table} row 1"] = _probe(other, table)
                except exc.DBAPIError as error:
                    observed[f"{key}: outcome"] = refused(error)
                finally:
                    session.rollback()
                    session.close()
    return observed


CHANGELOG_13176 = "https://docs.sqlalchemy.org/en/20/changelog/changelog_20.html#change-2.0.49"
GET_NO_LOCK = (
    "Session.get(User, 1, with_for_update=False) on an object already in the session: "
    "statements (#13176)"
)


@scenario(
    "Session.get() with with_for_update=False: does it still look in the identity map?",
    tags=("locking",),
    expect={
        GET_NO_LOCK: When(
            {
                "sqlalchemy<2.0.49": KnownBug(
                    1,
                    "https://github.com/sqlalchemy/sqlalchemy/issues/13176",
                    fixed_in="2.0.49",
                    workaround="leave with_for_update out (None) when no lock is wanted",
                ),
                "sqlalchemy>=2.0.49": Doc(0, CHANGELOG_13176),
            }
        ),
    },
)
def get_without_lock(ctx: Context) -> Observed:
    """with_for_update=False means no lock, like the default None; until 2.0.49 (#13176)
    Session.get took any value given as a lock request, skipped the identity map and
    sent a SELECT for an object it already held. (Plain SELECT, no lock: every backend.)"""
    seed(ctx, 1)
    session = ctx.session()
    user = session.get(User, 1)
    with ctx.counting() as seen:
        again = session.get(User, 1, with_for_update=False)
    session.rollback()
    return {
        GET_NO_LOCK: len(seen),
        "the same object returned": again is user,
    }
