"""One-to-many, as the notes write it: ``User.posts`` / ``Post.user`` with
``back_populates``, ``ForeignKey("users.id")`` naming the table, and model
modules that import each other only under ``TYPE_CHECKING``."""

from __future__ import annotations

import importlib
import sys
import types

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


def _import_with_no_model_loaded(names: tuple[str, ...]) -> dict[str, object]:
    """Import the model modules ``names`` in that order as if none had been imported
    yet, and configure the mappers they declared: which modules were loaded at run
    time, and whether configuring succeeded (or the exception's name).

    As models/__init__.py imports every model, a bare "models" package stands in
    for it: each import then runs that one module (and what it imports at run
    time), nothing else, with a declarative base of its own (models/base.py runs
    again: a new registry). The cell's own model modules are put back afterwards,
    and the new registry is disposed of, so that no later scenario sees it.
    """
    own = {name: sys.modules.pop(name) for name in list(sys.modules) if _is_model(name)}
    package = types.ModuleType("models")
    package.__path__ = list(own["models"].__path__)  # where the cell's models come from
    sys.modules["models"] = package
    try:
        for name in names:
            importlib.import_module(f"models.{name}")
        loaded = sorted(name.split(".")[1] for name in sys.modules if name.startswith("models."))
        registry = sys.modules["models.base"].Base.registry
        try:
            registry.configure()
            outcome = "configured"
        except Exception as error:
            outcome = type(error).__name__
        finally:
            registry.dispose()
        return {"loaded": loaded, "mappers": outcome}
    finally:
        for name in [name for name in sys.modules if _is_model(name)]:
            del sys.modules[name]
        sys.modules.update(own)


def _is_model(module: str) -> bool:
    return module == "models" or module.startswith("models.")


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
    forward = _import_with_no_model_loaded(("post", "profile", "user"))
    backward = _import_with_no_model_loaded(("user", "profile", "post"))
    alone = _import_with_no_model_loaded(("user",))
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

    if ctx.capabilities.foreign_keys_by_pragma:
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
    if ctx.capabilities.storage_engines:
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
