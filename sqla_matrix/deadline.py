"""Calls that may not outlive a deadline: what keeps a stalled server from hanging a run.

A server that accepts connections but never answers (a paused process, a
network that drops packets) leaves a driver blocked in ``recv()``, and most
drivers have no read timeout of their own (psycopg, psycopg2, aiomysql). So
the harness makes every call that talks to a server in a daemon thread and
waits for it at most a bounded time; a call still blocked when the deadline
passes is abandoned (its thread never keeps the process from exiting) and
the caller learns the server stopped answering.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TypeVar

_T = TypeVar("_T")

#: Seconds a scenario may take before its server counts as not answering.
#: The slowest scenario (a loading cost curve) takes about 20 s on this
#: project's machines; MATRIX_SCENARIO_TIMEOUT overrides it.
SCENARIO_TIMEOUT = 120.0
#: Seconds for dropping a namespace, or for a probe of whether the server is alive.
CLEANUP_TIMEOUT = 20.0


class Stalled(Exception):
    """The call did not return before its deadline."""

    def __init__(self, what: str, seconds: float) -> None:
        super().__init__(f"{what}: no answer within {seconds:g} s")
        self.seconds = seconds


def scenario_timeout() -> float:
    """``MATRIX_SCENARIO_TIMEOUT`` in seconds, else :data:`SCENARIO_TIMEOUT`."""
    text = os.environ.get("MATRIX_SCENARIO_TIMEOUT", "").strip()
    try:
        return float(text) if text else SCENARIO_TIMEOUT
    except ValueError:
        return SCENARIO_TIMEOUT


def within(seconds: float, what: str, func: Callable[[], _T]) -> _T:
    """``func()``'s result or exception, or :class:`Stalled` after ``seconds``."""
    outcome: list[_T] = []
    failure: list[BaseException] = []

    def call() -> None:
        try:
            outcome.append(func())
        except BaseException as error:  # handed to the waiting thread as is
            failure.append(error)

    worker = threading.Thread(target=call, name=f"matrix: {what}", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise Stalled(what, seconds)
    if failure:
        raise failure[0]
    return outcome[0]
