"""Starting a server backend through testcontainers when no URL is given."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from harness import redact
from harness.backends.base import Target
from harness.errors import MatrixError, one_line

if TYPE_CHECKING:
    from harness.backends.server import ServerBackend

_LOG_LINES = 5  # of the container's log, shown when it fails to start


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


def start(backend: ServerBackend, image: str) -> Target:
    """Start ``image`` for ``backend``; the returned target's ``stop`` removes it."""
    container = backend.container(image)
    try:
        container.start()
    except Exception as error:
        tail = _log_tail(container)
        _stop_quietly(container)
        raise MatrixError(
            f"{backend.name}: the container from image {image!r} did not start "
            f"({redact.redact(one_line(error))}){tail}; "
            f"set {backend.image_variable} to an image that exists or {backend.url_variable}"
        ) from None
    try:
        url = backend.container_url(container)
    except Exception:
        _stop_quietly(container)
        raise
    redact.register_url(url)
    return Target(url, found_by=f"testcontainers ({image})", stop=lambda: _stop_quietly(container))


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
