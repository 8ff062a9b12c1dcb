"""The release history's nox side: what a ``history`` session hands its runner
(sqla_matrix/history/run.py), in the interpreter nox runs in (no SQLAlchemy here)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import nox

from sqla_matrix.configurations import series_token
from sqla_matrix.history import listing


def run(
    session: nox.Session,
    selection: str,
    *,
    backends: Sequence[str],
    drivers: Mapping[str, str],
    requirements: Sequence[str],
    marks: str,
    notes: Mapping[str, str],
    off: Callable[[str], str | None],
    results_dir: Path,
) -> None:
    """The history on ``selection`` (``all``, one of ``backends``, or a series token,
    ``sqla20``): every release of the series chosen, each backend through its default
    sync driver (``drivers``), in one environment per release holding ``requirements``
    (whichever backend the session runs, so that sessions share them). ``off(backend)``
    says why a backend is turned off, if it is."""
    chosen = [selection] if selection in backends else list(backends)
    series = [s for s in listing.SERIES if selection in ("all", *backends, series_token(s))]
    envs = Path(session.cache_dir) / "history"
    envs.mkdir(parents=True, exist_ok=True)
    config = {
        "requirements": list(requirements),
        "drivers": dict(drivers),
        "marks": marks,
        "notes": dict(notes),
        "off": {b: why for b in chosen if (why := off(b))},
    }
    config_file = envs / f"config-{selection}.json"
    config_file.write_text(json.dumps(config, indent=1))
    session.run(
        sys.executable,
        "-m",
        "sqla_matrix.history.run",
        f"--config={config_file}",
        f"--envs={envs}",
        f"--backends={','.join(chosen)}",
        f"--series={','.join(series)}",
        f"--results-dir={results_dir}",
        *session.posargs,
        external=True,
    )
