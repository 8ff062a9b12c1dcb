"""What a configuration recorded, as the results file holds it: its description (configuration,
status, versions it depends on), its cells, and its facts as expectation specs see them.

Derived from a ``BackendRun`` once it has run; nothing here talks to the server.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sqlite3
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy

from sqla_matrix import expect, results
from sqla_matrix.releases import INSTALLED

if TYPE_CHECKING:
    from sqla_matrix.runner import BackendRun


def document(run: BackendRun) -> results.Results:
    """A configuration's part of the results file: its description, and a cell per scenario."""
    document = results.empty()
    document["configurations"][run.configuration] = describe(run)
    for scenario_id, cell in run.cells.items():
        scenario = run.scenarios[scenario_id]
        document["scenarios"][scenario_id] = {
            "title": scenario.title,
            "topic": scenario.topic,
            "tags": list(scenario.tags),
            "doc": scenario.doc,
            "cells": {run.configuration: cell},
        }
    return document


def describe(run: BackendRun) -> dict[str, Any]:
    """A configuration as the results file describes it: its configuration, status and versions."""
    info: dict[str, Any] = {
        "backend": run.backend.name,
        "server_requested": run.server,
        "status": run.status,
        "reason": run.reason,
        "remedy": run.remedy,
        "required": run.required,
        "url": None,
        "found_by": None,
        "namespace": None,
        "left_behind": None,
        "server_version": None,
        "driver": run.driver,
        "driver_version": None,
        "async_driver": None,
        "async_driver_version": None,
        "sqlalchemy": sqlalchemy.__version__,
        "python": platform.python_version(),
        "sqlite_library": sqlite3.sqlite_version,
        "alembic": installed("alembic"),
        "greenlet": installed("greenlet"),
        "driver_implementation": None,
        "async_driver_implementation": None,
        "client_time_zone": run.client_time_zone,
        "started_at": run.started_at.isoformat(timespec="seconds"),
        "duration_s": round(time.perf_counter() - run._clock, 3),
        # The process's CPU (user + system) so far: all of it is this configuration's.
        "cpu_s": round(time.process_time(), 3),
    }
    info.update(run.facts)
    info["left_behind"] = run.left_behind
    return info


def facts_for_specs(run: BackendRun) -> expect.Facts:
    """This configuration as expectation specs see it: backend, server version, drivers,
    SQLAlchemy release."""
    pair = run.pair
    versions = {}
    if pair is not None:
        for driver, field in (
            (pair.sync, "driver_version"),
            (pair.asyncio, "async_driver_version"),
        ):
            found = expect.version(run.facts.get(field))
            if found is not None:
                versions[driver.name] = found
    return expect.Facts(
        backend=run.backend.name,
        server=expect.version(run.facts.get("server_version")),
        drivers=(pair.sync.name, pair.asyncio.name) if pair else (),
        sqlalchemy=INSTALLED,
        driver_versions=versions,
    )


def installed(distribution: str) -> str | None:
    """The installed version of ``distribution``, or None where it is not installed."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


#: Where a system's zone database lives: /etc/localtime links into it.
ZONEINFO = "/zoneinfo/"


def client_time_zone() -> str:
    """This process's local time zone, on which every naive datetime it makes depends:
    ``Etc/UTC: UTC +00:00`` (the zone's name, from TZ or /etc/localtime where known,
    then its abbreviation and offset now)."""
    now = datetime.now().astimezone()
    offset = now.strftime("%z")
    shown = f"{now.tzname()} {offset[:3]}:{offset[3:]}"
    name = os.environ.get("TZ")  # what the C library read it from, if set
    if name is None:
        linked = os.path.realpath("/etc/localtime")
        name = linked.split(ZONEINFO, 1)[1] if ZONEINFO in linked else None
    return f"{name}: {shown}" if name else shown
