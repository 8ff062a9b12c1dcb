"""What the server backends share: a URL from the environment, else a container."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any, ClassVar

from sqlalchemy.engine import URL

from sqla_matrix.backends import containers
from sqla_matrix.backends.base import Backend, Target
from sqla_matrix.errors import BackendNotRun

#: Where ``nox -s images`` puts the images it builds: sqla-matrix/postgresql:15, ...
LOCAL_REPOSITORY = "sqla-matrix"


class ServerBackend(Backend):
    #: The official image's repository ("postgres"), tagged by server version.
    official_image: ClassVar[str]
    #: The server version a configuration without one starts when no URL is given.
    default_version: ClassVar[str]

    def locate_without_url(self, environ: Mapping[str, str], server: str | None) -> Target:
        url_variable = self.variable("URL", server)
        reason = containers.docker_unavailable()
        if reason is not None:
            raise BackendNotRun(
                f"{url_variable} is not set and {reason}",
                f"set {url_variable}={self.url_example()} or start Docker",
            )
        return containers.start(self, self.images(environ, server), server)

    def images(self, environ: Mapping[str, str], server: str | None) -> list[str]:
        """The images to try, in order: the image variable's, else the one built
        here (``nox -s images``), then the official one, at the configuration's version."""
        chosen = environ.get(self.variable("IMAGE", server), "").strip()
        if chosen:
            return [chosen]
        version = server or self.default_version
        return [f"{LOCAL_REPOSITORY}/{self.name}:{version}", f"{self.official_image}:{version}"]

    def url_example(self) -> str:
        driver = self.driver_names[0]
        return f"{self.dialects[0]}+{driver}://user:password@host:port/database"

    @abc.abstractmethod
    def container(self, image: str) -> Any:
        """A testcontainers container for ``image``, not yet started."""

    @abc.abstractmethod
    def container_url(self, container: Any) -> URL:
        """The URL of a started container, through its port published on the host."""
