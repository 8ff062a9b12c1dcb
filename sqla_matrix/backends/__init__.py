"""Which database: one module per backend, each defining ``BACKEND``, the code that
reaches it. What each backend *is* (name, drivers, versions, capabilities) is declared
in sqla_matrix/catalog.py, or by another package through its entry-point group; this
registry loads each declared backend's implementation.
"""

from __future__ import annotations

from sqla_matrix import capabilities, catalog
from sqla_matrix.backends.base import Backend
from sqla_matrix.errors import MatrixError


def register(backend: Backend) -> Backend:
    """A backend, once its capabilities are declared (a backend without them is
    refused here, before any scenario is collected)."""
    capabilities.check(backend.name, getattr(backend, "capabilities", None))
    return backend


def _loaded(declared: catalog.Declaration) -> Backend:
    backend = declared.load()
    if not isinstance(backend, Backend) or backend.name != declared.name:
        raise MatrixError(
            f"backend {declared.name!r}: {declared.implementation} is not its Backend"
        )
    return register(backend)


#: The matrix's backends, in report order.
BACKENDS: dict[str, Backend] = {name: _loaded(d) for name, d in catalog.declared().items()}


def get(name: str) -> Backend:
    """The backend called ``name``, or a one-line error naming the known ones."""
    try:
        return BACKENDS[name]
    except KeyError:
        raise MatrixError(
            f"unknown backend {name!r}: choose one of {', '.join(BACKENDS)}"
        ) from None


def parse_names(text: str, variable: str) -> list[str]:
    """A comma-separated list (MATRIX_REQUIRE) of backends (``postgresql``: its configuration
    without a server version) and backends at a version (``postgresql15``), each checked."""
    known = [*BACKENDS, *(f"{b.name}{v}" for b in BACKENDS.values() for v in b.versions)]
    names = [part.strip() for part in text.split(",") if part.strip()]
    for name in names:
        if name not in known:
            raise MatrixError(
                f"{variable} names unknown backend {name!r}: choose from {', '.join(BACKENDS)}, "
                "or one at a server version (postgresql15, mariadb10.11, ...)"
            )
    return names
