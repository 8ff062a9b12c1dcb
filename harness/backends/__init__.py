"""Which database: one module per backend, each defining ``BACKEND``.

Adding a backend is a new module here, its line below, its entry in the
noxfile's ``DATABASES`` and its drivers as a dependency group in
pyproject.toml (tests/test_layout.py checks that the four agree).
"""

from __future__ import annotations

from harness.backends import mariadb, mysql, postgresql, sqlite
from harness.backends.base import Backend
from harness.errors import MatrixError

#: The matrix's columns, in report order.
BACKENDS: dict[str, Backend] = {
    module.BACKEND.name: module.BACKEND for module in (sqlite, postgresql, mysql, mariadb)
}


def get(name: str) -> Backend:
    """The backend called ``name``, or a one-line error naming the known ones."""
    try:
        return BACKENDS[name]
    except KeyError:
        raise MatrixError(
            f"unknown backend {name!r}: choose one of {', '.join(BACKENDS)}"
        ) from None


def parse_names(text: str, variable: str) -> list[str]:
    """A comma-separated list of backend names (MATRIX_REQUIRE), each checked."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    for name in names:
        if name not in BACKENDS:
            raise MatrixError(
                f"{variable} names unknown backend {name!r}: choose from {', '.join(BACKENDS)}"
            )
    return names
