"""Observing: one scenario run once, with everything it caused recorded.

The scenario's function is handed its ``Context``; what it returns, the statements
its engines sent, the warnings raised, its duration and its teardown's are kept as
a ``Watched``. Nothing here judges (``judging``) or decides what a lost server means
for the configuration (``runner``).
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqla_matrix import redact, warned
from sqla_matrix.errors import one_line
from sqla_matrix.recording import Recorder
from sqla_matrix.releases import NotInRelease
from sqla_matrix.scenario import Context, Scenario


@dataclass
class Watched:
    """What one run of a scenario showed."""

    observed: dict[str, Any] = field(default_factory=dict)
    #: keys whose feature this SQLAlchemy release lacks: neither values nor mismatches
    unavailable: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # the exception's one line, redacted
    warnings: list[str] = field(default_factory=list)  # normalised (sqla_matrix/warned.py)
    statements: list[dict[str, Any]] = field(default_factory=list)
    statements_omitted: int = 0
    measurements: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    duration_s: float = 0.0
    teardown_s: float = 0.0
    paused_s: float = 0.0


def watch(
    scenario: Scenario,
    ctx: Context,
    recorder: Recorder,
    after: Callable[[], None] = lambda: None,
) -> Watched:
    """Run ``scenario`` with ``ctx``, recording through ``recorder``; then close what it
    opened and call ``after`` (emptying the shared tables), both unrecorded."""
    seen = Watched()
    start = time.perf_counter()
    with recorder.recording() as statements, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            seen.observed = scenario.func(ctx)
            json.dumps(seen.observed)  # observations must be plain JSON values
        except Exception as exc:
            seen.error = redact.redact(one_line(exc))
        finally:
            seen.duration_s = time.perf_counter() - start
            with recorder.paused():
                try:
                    ctx.close()
                    after()
                except Exception as exc:  # the server went away during the scenario
                    seen.error = seen.error or redact.redact(one_line(exc))
            seen.teardown_s = time.perf_counter() - start - seen.duration_s
    seen.unavailable = {
        key: str(value) for key, value in seen.observed.items() if isinstance(value, NotInRelease)
    }
    seen.observed = {k: v for k, v in seen.observed.items() if k not in seen.unavailable}
    if seen.error is not None:
        seen.observed = {}
    seen.warnings = warned.normalised(map(warned.line, caught), ctx.namespace)
    seen.statements = [statement.as_json() for statement in statements]
    seen.statements_omitted = recorder.omitted
    seen.measurements = ctx.measurements
    seen.paused_s = ctx.paused
    return seen
