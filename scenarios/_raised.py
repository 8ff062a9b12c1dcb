"""An exception as the failing-forms scenarios record it: comparable from run to run.

What a user meets is the driver's (or the server's) exception, wrapped by
SQLAlchemy in a ``StatementError`` / ``DBAPIError``. The record is the inner
exception's class and the first line of its message, with what changes from
run to run taken out: the run's namespace (``matrix_2e0568db1a52``), memory
addresses, and long values echoed back (a 70,000-value IN list).
"""

from __future__ import annotations

import re

from sqlalchemy import exc

#: The run's namespace (a schema, a database or a file: sqla_matrix/namespaces.py).
_NAMESPACE = re.compile(r"matrix_[0-9a-f]{6,}")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")
#: Characters of the first line kept: enough for the message, not for echoed parameters.
SHOWN = 160


def inner(error: BaseException) -> BaseException:
    """The exception the driver or SQLAlchemy's type raised, unwrapped from StatementError."""
    orig = error.orig if isinstance(error, exc.StatementError) else None
    return orig if isinstance(orig, BaseException) else error


def raised(error: BaseException) -> str:
    """``raises Class: first line`` of ``error``'s inner exception, normalised."""
    cause = inner(error)
    args = getattr(cause, "args", ())
    if args and isinstance(args[0], dict) and isinstance(args[0].get("M"), str):
        lines = [args[0]["M"]]  # pg8000: the server's ErrorResponse fields; M is the message
    else:
        lines = str(cause).strip().splitlines()
    first = lines[0].strip() if lines else ""
    first = _ADDRESS.sub("0x…", _NAMESPACE.sub("<namespace>", first))
    if len(first) > SHOWN:
        first = first[: SHOWN - 1] + "…"
    name = type(cause).__name__
    return f"raises {name}: {first}" if first else f"raises {name}"
