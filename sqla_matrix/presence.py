"""Whether a cell's server can be had, known in the nox process before anything is
installed (with the standard library alone: nox's interpreter has no Docker client).

A cell's own run finds its server by the URL variable, else a container, else (for
PostgreSQL) the embedded server (sqla_matrix/backends/). When none of them can be had,
that run says "not run" only after its environment is built. :func:`absent` gives the
same reason and remedy first, so that the nox process writes the configuration itself. It
answers only when it is sure: a Docker engine it cannot judge (a context, TLS, SSH) is
left to the cell's own run.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Mapping
from pathlib import Path

from sqla_matrix import catalog

#: Docker's default endpoint on Linux and macOS, when ``DOCKER_HOST`` is unset.
DEFAULT_SOCKET = "/var/run/docker.sock"
_PING = b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"


def absent(
    backend: str, server: str | None, environ: Mapping[str, str] = os.environ
) -> tuple[str, str] | None:
    """Why ``backend`` (at ``server``) has no server here, and what to do, as the cell's
    own run would say it; None when it has one or may have one."""
    declared = catalog.get(backend)
    variable = declared.variable("URL", server)
    if not declared.needs_server or environ.get(variable, "").strip():
        return None
    if declared.runs_embedded(server, environ):
        return None  # the embedded server needs neither a URL nor Docker
    if docker_answers(environ) is not False:
        return None
    example = f"{backend}+{declared.drivers[0]}://user:password@host:port/database"
    return (
        f"{variable} is not set and no Docker engine is reachable",
        f"set {variable}={example} or start Docker",
    )


def docker_answers(environ: Mapping[str, str] = os.environ) -> bool | None:
    """True when the Docker engine answers a ping, False when there is surely none,
    None when this cannot tell (a Docker context, TLS, an SSH or Windows endpoint)."""
    if environ.get("DOCKER_CONTEXT") or environ.get("DOCKER_TLS_VERIFY") or _context_chosen():
        return None
    host = environ.get("DOCKER_HOST", "").strip() or f"unix://{DEFAULT_SOCKET}"
    scheme, _, rest = host.partition("://")
    try:
        if scheme == "unix":
            if not Path(rest).exists():
                return False
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.settimeout(5)
            connection.connect(rest)
        elif scheme == "tcp":
            address, _, port = rest.rstrip("/").rpartition(":")
            connection = socket.create_connection((address, int(port)), timeout=5)
        else:
            return None
    except (OSError, ValueError):
        return False
    with contextlib.closing(connection):
        try:
            connection.sendall(_PING)
            return connection.recv(64).split(b"\r\n", 1)[0].endswith(b"200 OK")
        except OSError:
            return False


def _context_chosen() -> bool:
    """A Docker context other than the default is chosen in the client's configuration
    (Docker Desktop's, or ``docker context use``): its endpoint is not read here."""
    config = Path(os.environ.get("DOCKER_CONFIG", Path.home() / ".docker")) / "config.json"
    try:
        chosen = json.loads(config.read_text()).get("currentContext")
    except (OSError, ValueError, AttributeError):
        return False
    return bool(chosen) and chosen != "default"
