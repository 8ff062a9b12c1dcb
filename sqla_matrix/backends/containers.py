"""Starting a server backend through testcontainers when no URL is given."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
from typing import TYPE_CHECKING, Any

from sqla_matrix import redact
from sqla_matrix.backends.base import Target
from sqla_matrix.errors import BackendNotRun, MatrixError, one_line

if TYPE_CHECKING:
    from sqla_matrix.backends.server import ServerBackend

_LOG_LINES = 5  # of the container's log, shown when it fails to start


def password() -> str:
    """The password of a server container the matrix starts: ``MATRIX_CONTAINER_PASSWORD``
    (to reach it while it runs, or to search a run's output for it), else a fresh one."""
    return os.environ.get("MATRIX_CONTAINER_PASSWORD") or secrets.token_hex(12)


def docker_unavailable() -> str | None:
    """Why containers cannot be used here, or None when a Docker engine answers."""
    try:
        # testcontainers' own dependency. (mypy sees the project's docker/ folder
        # under that name; at run time the installed package takes precedence.)
        from docker import DockerClient  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return "testcontainers is not installed in this environment"
    try:
        client = DockerClient.from_env(timeout=5)
        try:
            client.ping()
        finally:
            client.close()
    except Exception:
        return "no Docker engine is reachable"
    return None


def _present(client: Any, image: str) -> bool:
    """The image is here, or could be pulled now."""
    from docker.errors import (  # type: ignore[import-not-found,unused-ignore]
        DockerException,
        ImageNotFound,
    )

    try:
        client.images.get(image)
        return True
    except ImageNotFound:
        pass
    try:
        client.images.pull(image)
    except DockerException:
        return False
    return True


def prepare(backend: ServerBackend, images: list[str], server: str | None) -> str:
    """The first of ``images`` that is here or can be pulled now, else the backend
    is not run (one line).

    testcontainers' reaper (Ryuk) pulls an image of its own; where that cannot
    be had, it is switched off: every container is stopped here anyway.
    """
    from docker import DockerClient  # type: ignore[attr-defined,unused-ignore]
    from testcontainers.core.config import testcontainers_config as config

    client = DockerClient.from_env(timeout=300)
    try:
        if not config.ryuk_disabled and not _present(client, config.ryuk_image):
            config.ryuk_disabled = True
        for image in images:
            if _present(client, image):
                return image
    finally:
        client.close()
    if len(images) == 1:
        absent = f"image {images[0]!r} is not present locally and could not be pulled"
    else:
        tried = " nor ".join(repr(image) for image in images)
        absent = f"neither image {tried} is present locally or could be pulled"
    raise BackendNotRun(
        absent,
        f"set {backend.variable('IMAGE', server)} to an image that exists or "
        f"{backend.variable('URL', server)} (nox -s images builds some versions here)",
    )


def start(backend: ServerBackend, images: list[str], server: str | None) -> Target:
    """Start the first available of ``images``; the returned target's ``stop`` removes it."""
    image = prepare(backend, images, server)
    container = backend.container(image)
    try:
        container.start()
    except KeyboardInterrupt:  # Ctrl-C (or SIGTERM) while the server comes up
        _stop_quietly(container)
        raise
    except Exception as error:
        tail = _log_tail(container)
        _stop_quietly(container)
        raise MatrixError(
            f"{backend.name}: the container from image {image!r} did not start "
            f"({redact.redact(one_line(error))}){tail}; "
            f"set {backend.variable('IMAGE', server)} to an image that exists "
            f"or {backend.variable('URL', server)}"
        ) from None
    try:
        url = backend.container_url(container)
    except BaseException:
        _stop_quietly(container)
        raise
    redact.register_url(url)
    return Target(url, found_by=f"testcontainers ({image})", stop=lambda: _stop_quietly(container))


#: Settings with which the user tells testcontainers how to reach containers.
HOST_SETTINGS = ("TC_HOST", "TESTCONTAINERS_HOST_OVERRIDE", "TESTCONTAINERS_CONNECTION_MODE")


def address(container: Any, port: int) -> tuple[str, int]:
    """Where to reach a started container's ``port``.

    When the Docker engine runs on this machine (it reports this host's name)
    and nothing tells testcontainers otherwise, that is 127.0.0.1 and the
    published port: inside a container of its own (a /.dockerenv file),
    testcontainers would answer with the bridge's gateway address instead.
    """
    client = container.get_docker_client()
    local = client.client.info().get("Name") == socket.gethostname()
    if local and not any(os.environ.get(name) for name in HOST_SETTINGS):
        return "127.0.0.1", int(client.port(container.get_wrapped_container().id, port))
    return container.get_container_host_ip(), int(container.get_exposed_port(port))


def _log_tail(container: object) -> str:
    try:
        stdout, stderr = container.get_logs()  # type: ignore[attr-defined]
    except Exception:
        return ""
    lines = (stdout + stderr).decode(errors="replace").strip().splitlines()[-_LOG_LINES:]
    return f"; its log ends: {redact.redact(' | '.join(lines))}" if lines else ""


def _stop_quietly(container: object) -> None:
    with contextlib.suppress(Exception):
        container.stop()  # type: ignore[attr-defined]
