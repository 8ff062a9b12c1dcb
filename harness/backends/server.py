"""What the server backends share: a URL from the environment, else a container."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any, ClassVar

from sqlalchemy.engine import URL

from harness.backends import containers
from harness.backends.base import Backend, Target
from harness.errors import BackendNotRun


class ServerBackend(Backend):
    #: The image started through testcontainers when no URL is given.
    default_image: ClassVar[str]
    #: Seconds to wait for a connection before calling a server unreachable.
    connect_timeout: ClassVar[int] = 10

    def locate_without_url(self, environ: Mapping[str, str]) -> Target:
        reason = containers.docker_unavailable()
        if reason is not None:
            raise BackendNotRun(
                f"{self.url_variable} is not set and {reason}",
                f"set {self.url_variable}={self.url_example()} or start Docker",
            )
        image = environ.get(self.image_variable, "").strip() or self.default_image
        return containers.start(self, image)

    def url_example(self) -> str:
        return f"{self.dialects[0]}+{self.default_driver}://user:password@host:port/database"

    @abc.abstractmethod
    def container(self, image: str) -> Any:
        """A testcontainers container for ``image``, not yet started."""

    @abc.abstractmethod
    def container_url(self, container: Any) -> URL:
        """The URL of a started container, through its port published on the host."""
