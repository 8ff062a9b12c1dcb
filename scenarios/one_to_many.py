"""One-to-many, as the notes write it: ``User.posts`` / ``Post.user`` with
``back_populates``, ``ForeignKey("users.id")`` naming the table, and model
modules that import each other only under ``TYPE_CHECKING``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import exc, func, insert, select, text
from sqlalchemy.orm import Session

from models.post import Post
from models.user import User
from sqla_matrix.dberrors import refusal
from sqla_matrix.namespaces import MARKER_TABLE
from sqla_matrix.scenario import ByBackend, Context, Doc, Observed, scenario

TUTORIAL_BACK_POPULATES = (
    "https://docs.sqlalchemy.org/en/20/tutorial/orm_related_objects.html"
    "#persisting-and-loading-relationships"
)
SAVE_UPDATE_CASCADE = "https://docs.sqlalchemy.org/en/20/orm/cascades.html#save-update"
BACKREF_CASCADE = "https://docs.sqlalchemy.org/en/20/orm/cascades.html#backref-cascade"
LATE_EVALUATION = (
    "https://docs.sqlalchemy.org/en/20/orm/basic_relationships.html"
    "#late-evaluation-of-relationship-arguments"
)


@scenario(
    "back_populates keeps both sides in step before any flush",
    tags=("relationships",),
    expect={
        "post.user = user puts the post in user.posts": Doc(True, TUTORIAL_BACK_POPULATES),
        "user.posts.append(post) sets post.user": Doc(True, TUTORIAL_BACK_POPULATES),
        "SQL statements before the flush": Doc(0, TUTORIAL_BACK_POPULATES),
        "post appended to user.posts joins the session": Doc(True, SAVE_UPDATE_CASCADE),
        "post given post.user = user joins the session": Doc(False, BACKREF_CASCADE),
        "posts the flush wrote": Doc(1, BACKREF_CASCADE),
    },
)
def back_populates_in_step(ctx: Context) -> Observed:
    """Setting either side of a back_populates pair updates the other side in
    Python at once, with no SQL. Only the collection side cascades the post
    into the user's session: since SQLAlchemy 2.0 the reverse direction does
    not, so a post attached with post.user = user is not written."""
    session = ctx.session()
    ada = User(name="ada")
    session.add(ada)
    first, second = Post(title="first"), Post(title="second")
    with ctx.counting() as before_flush:
        first.user = ada  # set the many-to-one side...
        first_listed = first in ada.posts  # ...and the collection already holds it
        ada.posts.append(second)  # append to the collection...
        second_points_back = second.user is ada  # ...and the scalar side points back
    session.flush()
    written = session.scalar(select(func.count()).select_from(Post).where(Post.user_id == ada.id))
    return {
        "post.user = user puts the post in user.posts": first_listed,
        "user.posts.append(post) sets post.user": second_points_back,
        "SQL statements before the flush": len(before_flush),
        "post appended to user.posts joins the session": second in session,
        "post given post.user = user joins the session": first in session,
        "posts the flush wrote": written,
    }


# Runs in a fresh interpreter, which imports SQLAlchemy once and then forks one
# child per import order: each child starts with no model imported. As
# models/__init__.py imports every model, a child registers a bare "models"
# package first: each import below then runs that one module (and what it
# imports at run time), nothing else.
_IMPORT_PROBE = """
import importlib, json, os, sys, types
from sqlalchemy.orm import configure_mappers

def probe(names):
    package = types.ModuleType("models")
    package.__path__ = ["models"]
    sys.modules["models"] = package
    for name in names:
        importlib.import_module("models." + name)
    loaded = sorted(m.split(".")[1] for m in sys.modules if m.startswith("models."))
    try:
        configure_mappers()
        outcome = "configured"
    except Exception as error:
        outcome = type(error).__name__
    return json.dumps({"loaded": loaded, "mappers": outcome})

for names in json.loads(sys.argv[1]):
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        print(probe(names), flush=True)
        os._exit(0)
    os.waitpid(pid, 0)
"""


def _import_in_fresh_interpreters(*orders: tuple[str, ...]) -> list[dict[str, object]]:
    """Import model modules in the given orders, each in a fresh process: the children
    of one interpreter, or (where processes cannot fork) an interpreter each."""
    root = Path(__file__).resolve().parent.parent
    batches = [orders] if hasattr(os, "fork") else [(order,) for order in orders]
    outcomes = []
    for batch in batches:
        done = subprocess.run(
            [sys.executable, "-c", _IMPORT_PROBE, json.dumps(batch)],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0:
            raise RuntimeError(f"import probe failed: {done.stderr.strip().splitlines()[-1:]}")
        outcomes += [json.loads(line) for line in done.stdout.splitlines()]
    return outcomes


@scenario(
    "Model modules import each other only under TYPE_CHECKING, in either order",
    tags=("relationships", "imports"),
    expect={
        "post, profile, user: mappers": Doc("configured", LATE_EVALUATION),
        "user, profile, post: mappers": Doc("configured", LATE_EVALUATION),
        "user.py alone: modules loaded at run time": Doc(["base", "user"], LATE_EVALUATION),
        "user.py alone: mappers": Doc("InvalidRequestError", LATE_EVALUATION),
    },
)
def import_order(ctx: Context) -> Observed:
    """Relationship targets are strings ("Post") resolved from the registry when
    the mappers are configured, so the modules never import each other at run
    time: any order works once all are imported, and a module imported alone
    leaves its relationship unresolved until the other is imported."""
    forward, backward, alone = _import_in_fresh_interpreters(
        ("post", "profile", "user"), ("user", "profile", "post"), ("user",)
    )
    with ctx.engine.connect() as conn:  # the schema those models created here
        tables = sorted(ctx.engine.dialect.get_table_names(conn))
    tables.remove(MARKER_TABLE)  # the harness's mark on its namespace
    return {
        "post, profile, user: mappers": forward["mappers"],
        "user, profile, post: mappers": backward["mappers"],
        "user.py alone: modules loaded at run time": alone["loaded"],
        "user.py alone: mappers": alone["mappers"],
        "tables created from the models": tables,
    }


FK_ENFORCED = {
    "postgresql": Doc(
        "rejected",
        "https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK",
    ),
    "mysql": Doc(
        "rejected", "https://dev.mysql.com/doc/refman/8.4/en/create-table-foreign-keys.html"
    ),
    "mariadb": Doc("rejected", "https://mariadb.com/kb/en/foreign-keys/"),
}
SQLITE_FK = "https://www.sqlite.org/foreignkeys.html#fk_enable"


@scenario(
    "A post whose user does not exist: does the database refuse it by default?",
    tags=("relationships", "foreign_keys"),
    expect={
        "orphan post, default settings": ByBackend(
            **FK_ENFORCED, sqlite=Doc("accepted", SQLITE_FK)
        ),
        "orphan post, PRAGMA foreign_keys=ON": ByBackend(sqlite=Doc("rejected", SQLITE_FK)),
    },
)
def orphan_post(ctx: Context) -> Observed:
    """ForeignKey("users.id") puts a FOREIGN KEY clause in CREATE TABLE; whether
    the database enforces it is the database's business. SQLite ignores foreign
    keys unless each connection turns them on."""
    observed: Observed = {}
    session = ctx.session()
    session.add(Post(title="orphan", user_id=999_999))
    observed["orphan post, default settings"], observed["error"] = _flush_outcome(session)
    session.rollback()

    if ctx.requires.foreign_keys_by_pragma:
        with ctx.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            try:
                conn.execute(insert(Post).values(title="orphan", user_id=999_999))
                observed["orphan post, PRAGMA foreign_keys=ON"] = "accepted"
            except exc.DBAPIError as error:
                observed["error with the pragma"] = refusal(error)
                observed["orphan post, PRAGMA foreign_keys=ON"] = "rejected"
            conn.rollback()
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # as the pool handed it out
    if ctx.requires.storage_engines:
        with ctx.engine.connect() as conn:
            observed["storage engine of posts"] = conn.execute(
                text(
                    "SELECT ENGINE FROM information_schema.TABLES"
                    " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'posts'"
                )
            ).scalar()
    return observed


def _flush_outcome(session: Session) -> tuple[str, str | None]:
    """Flush, and say whether the database accepted what was pending."""
    try:
        session.flush()
    except exc.DBAPIError as error:
        return "rejected", refusal(error)
    return "accepted", None
