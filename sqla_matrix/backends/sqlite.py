"""SQLite: the embedded default, always available; each run gets a temporary file."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from sqlalchemy.engine import URL

from sqla_matrix import catalog
from sqla_matrix.backends.base import Backend, Namespace, Target
from sqla_matrix.drivers import DriverPair


class SQLite(Backend):
    declaration = catalog.SQLITE
    dialects: ClassVar[tuple[str, ...]] = ("sqlite",)

    def locate_without_url(self, environ: Mapping[str, str], server: str | None) -> Target:
        return Target(URL.create("sqlite"), found_by="embedded")

    def locate(self, environ: Mapping[str, str] | None = None, server: str | None = None) -> Target:
        # Always the embedded library: there is no server to point at.
        return self.locate_without_url(environ or {}, server)

    def open_namespace(self, target: Target, name: str, pair: DriverPair) -> Namespace:
        folder = Path(tempfile.mkdtemp(prefix=f"{name}_"))
        url = target.url.set(database=str(folder / f"{name}.sqlite"))
        engine = self.make_engine(url, pair.sync, target.found_by)

        def drop() -> None:
            engine.dispose()
            shutil.rmtree(folder, ignore_errors=True)

        return Namespace(
            name,
            engine,
            server_version=sqlite3.sqlite_version,
            drop=drop,
            kind="file",
            make_async_engine=lambda: self.make_async_engine(url, pair.asyncio, target.found_by),
        )


BACKEND = SQLite()
