"""Record the SQL each scenario causes, from the engine's own events."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event

_PARAMS_SHOWN = 300  # characters of bound parameters kept per statement
KEPT = 200  # statements kept per scenario for the report; the rest are only counted
#: Characters of a statement's SQL kept for the report (a 70,000-value IN list rendered
#: inline is ~500 kB); a ``counting`` block still sees the whole text.
_SQL_SHOWN = 4000


@dataclass(frozen=True)
class Statement:
    """One call to the DBAPI cursor: the SQL text and its parameters, abridged."""

    sql: str
    params: str | None = None
    many: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"sql": self.sql, "params": self.params, "many": self.many}


def _abridged(statement: Statement) -> Statement:
    """``statement`` with its SQL cut to ``_SQL_SHOWN`` characters, saying how long it was."""
    if len(statement.sql) <= _SQL_SHOWN:
        return statement
    cut = f"{statement.sql[: _SQL_SHOWN - 1]}… ({len(statement.sql):,} characters)"
    return Statement(cut, statement.params, statement.many)


class Recorder:
    """Listens on engines and keeps the statements issued while it is recording.

    The first ``KEPT`` statements of a scenario are kept for the report and
    the rest only counted (``omitted``); a ``counting`` block sees every one.
    """

    def __init__(self, engine: Engine, tables: Iterable[str] = ()) -> None:
        self.statements: list[Statement] = []
        self.omitted = 0
        #: Whether a statement of this scenario named one of ``tables`` (the shared
        #: tables, which the harness empties after each scenario that did).
        self.touched = False
        self._tables = [name.lower() for name in tables]
        self._watchers: list[list[Statement]] = []
        self._on = False
        self.attach(engine)

    def attach(self, engine: Engine) -> None:
        """Record this engine's statements too (an async engine's sync_engine, say)."""
        event.listen(engine, "before_cursor_execute", self._before_cursor_execute)

    def _before_cursor_execute(
        self,
        conn: Any,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        if self._on:
            if not self.touched:
                text = statement.lower()
                self.touched = any(name in text for name in self._tables)
            params = None
            if parameters:
                params = repr(parameters)
                if len(params) > _PARAMS_SHOWN:
                    params = params[: _PARAMS_SHOWN - 1] + "…"
            recorded = Statement(statement.strip(), params, executemany)
            for watcher in self._watchers:
                watcher.append(recorded)
            if len(self.statements) < KEPT:
                self.statements.append(_abridged(recorded))
            else:
                self.omitted += 1

    @contextmanager
    def watching(self) -> Iterator[list[Statement]]:
        """Every statement issued inside the block, none left out."""
        seen: list[Statement] = []
        self._watchers.append(seen)
        try:
            yield seen
        finally:
            self._watchers.remove(seen)

    @contextmanager
    def recording(self) -> Iterator[list[Statement]]:
        """Record afresh for the duration of the block (one scenario)."""
        self.statements = []
        self.omitted = 0
        self.touched = False
        self._on = True
        try:
            yield self.statements
        finally:
            self._on = False

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Harness housekeeping inside a scenario (dropping its tables) is not recorded."""
        was, self._on = self._on, False
        try:
            yield
        finally:
            self._on = was
