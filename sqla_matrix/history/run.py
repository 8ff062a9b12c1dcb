"""Run the SQLAlchemy release history: every release a configuration on each backend asked for.

    python -m sqla_matrix.history.run --config CONFIG.json --envs DIR
        [--backends sqlite,postgresql] [--series 2.0,2.1] [--releases 2.0.40,2.1.0]
        [--results-dir report/results] [--jobs N]

(``nox -t history`` runs it.) Each release gets one environment of its own under
``--envs`` (``sqla2.0.40/``), built once with uv from its cache and reused while
what it was built from is unchanged, and shared by every backend: one pytest
process per backend runs in it, as a matrix cell does (``sqla2.0.40-sqlite-pysqlite``).
``--jobs`` releases run at once (two per core by default: a cell mostly waits
for its server or a deliberate pause).

Each configuration's results are kept compact (no statements, no timings) in
``RESULTS_DIR/history/``; at the end every configuration there is merged into
``RESULTS_DIR/history.json``, in the compact form (sqla_matrix/results.py: each scenario's
distinct cells once, each configuration an index), with the release list it ran and
the notes of the configuration (``CONFIG``: ``requirements``, ``drivers``,
``marks``, ``notes``). A release that cannot be installed or whose pytest dies is
a configuration with its reason, never missing.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqla_matrix import configurations, results
from sqla_matrix.command import configuration_arguments
from sqla_matrix.errors import MatrixError
from sqla_matrix.history import listing

#: Cell fields a history configuration does not keep: the SQL (the series' own
#: configurations show it), timings, which differ on every run and would make equal cells
#: unequal.
DROPPED = ("statements", "measurements", "duration_s", "paused_s", "teardown_s")


@dataclass(frozen=True)
class Config:
    """What the noxfile asks for: each env's requirements (SQLAlchemy comes from the
    release), each backend's sync driver, the pytest marks of a cell, notes per release."""

    requirements: list[str]
    drivers: dict[str, str]
    marks: str
    notes: dict[str, str]
    #: Backends turned off on purpose (MATRIX_OFF), each with the reason its configurations show.
    off: dict[str, str]

    @classmethod
    def read(cls, path: Path) -> Config:
        try:
            data = json.loads(path.read_text())
            return cls(
                list(data["requirements"]),
                dict(data["drivers"]),
                str(data.get("marks", "")),
                dict(data.get("notes", {})),
                dict(data.get("off", {})),
            )
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise MatrixError(f"{path}: not a history configuration ({error})") from None


def configuration_id(release: str, backend: str, driver: str) -> str:
    """``sqla2.0.40-sqlite-pysqlite``: a series' id, with the release for the series."""
    return configurations.configuration_id(
        configurations.release_token(release), backend, None, driver
    )


def compact_cell(cell: dict[str, Any]) -> dict[str, Any]:
    """A cell as the history keeps it: what it observed and how it was judged; the number
    of its statements instead of their text."""
    kept = {k: v for k, v in cell.items() if k not in DROPPED}
    kept["statements"] = []
    kept["statements_omitted"] = cell.get("statements_omitted", 0) + len(cell.get("statements", []))
    kept["measurements"] = {}
    kept["duration_s"] = 0.0
    return kept


def compact(document: results.Results) -> results.Results:
    """``document`` with every cell compact (``compact_cell``)."""
    scenarios = {
        scenario_id: {**entry, "cells": {n: compact_cell(c) for n, c in entry["cells"].items()}}
        for scenario_id, entry in document["scenarios"].items()
    }
    return {**document, "scenarios": scenarios}


class Environments:
    """One environment per release under ``root``, built with uv (else venv and pip)."""

    def __init__(self, root: Path, requirements: Sequence[str]) -> None:
        self.root = root
        self.requirements = list(requirements)
        self.uv = shutil.which("uv")
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def python(self, release: str) -> Path:
        folder = self.root / f"sqla{release}"
        return folder / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")

    def _stamp(self, release: str) -> str:
        wanted = [*self.requirements, f"sqlalchemy[asyncio]=={release}", sys.version]
        return hashlib.sha256(json.dumps(wanted).encode()).hexdigest()

    @contextlib.contextmanager
    def _lock(self, release: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(release, threading.Lock())
        with lock:
            self.root.mkdir(parents=True, exist_ok=True)
            with (self.root / f"sqla{release}.lock").open("w") as handle:
                if sys.platform != "win32":  # another nox process may build it at once
                    import fcntl

                    fcntl.flock(handle, fcntl.LOCK_EX)
                yield

    def ensure(self, release: str) -> str | None:
        """Build (or reuse) the release's environment; why it could not be, or None."""
        folder = self.python(release).parent.parent
        stamp = folder / ".sqla-matrix-installed"
        key = self._stamp(release)
        with self._lock(release):
            if stamp.is_file() and stamp.read_text() == key:
                return None
            stamp.unlink(missing_ok=True)
            wanted = [*self.requirements, f"sqlalchemy[asyncio]=={release}"]
            if self.uv:
                steps = [
                    [self.uv, "venv", "-q", "--allow-existing", "--python", sys.executable,
                     str(folder)],
                    [self.uv, "pip", "install", "-q", "--python", str(self.python(release)),
                     *wanted],
                ]  # fmt: skip
            else:
                steps = [
                    [sys.executable, "-m", "venv", str(folder)],
                    [str(self.python(release)), "-m", "pip", "install", "-q", *wanted],
                ]
            for step in steps:
                done = subprocess.run(step, capture_output=True, text=True)
                if done.returncode != 0:
                    lines = [ln.strip() for ln in done.stderr.splitlines() if ln.strip()]
                    why = lines[-1] if lines else f"exit code {done.returncode}"
                    return f"SQLAlchemy {release} could not be installed here: {why}"
            stamp.write_text(key)
            return None


def _environment(python: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """What a process in a release's environment runs with, as a nox session would."""
    env = {
        **os.environ,
        **(extra or {}),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "PYTHONPYCACHEPREFIX": str(python.parent.parent / ".pycache"),
        "VIRTUAL_ENV": str(python.parent.parent),
        "PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


@contextlib.contextmanager
def shared_servers(python: Path, backends: Sequence[str]) -> Iterator[dict[str, str]]:
    """One server per backend of ``backends`` that has no URL, started at once in a
    release's environment (sqla_matrix/history/server.py) and stopped at the end; the
    variables that hand each one to the configurations. A backend that cannot be had gets none:
    each of its configurations then says why, as a cell does."""
    wanted = [
        b for b in backends if b != "sqlite" and not os.environ.get(f"MATRIX_{b.upper()}_URL")
    ]
    folder = Path(tempfile.mkdtemp(prefix="matrix-history-servers-"))
    started: list[tuple[str, subprocess.Popen[str], Path]] = []
    handed: dict[str, str] = {}
    try:
        for backend in wanted:
            state = folder / f"{backend}.json"
            command = [str(python), "-m", "sqla_matrix.history.server", backend, str(state)]
            process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, env=_environment(python), text=True,
            )  # fmt: skip
            started.append((backend, process, state))
        for backend, process, state in started:
            deadline = time.monotonic() + 600
            while not state.exists() and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.2)
            found = json.loads(state.read_text()) if state.exists() else {}
            if found.get("url"):
                variable = f"MATRIX_{backend.upper()}_URL"
                handed[variable], handed[f"{variable}_FOUND_BY"] = found["url"], found["found_by"]
                print(f"history: {backend}: one server for every release: {found['found_by']}")
            else:
                why = found.get("not_run") or "its server could not be started"
                print(f"history: {backend}: no shared server ({why}); each configuration says why")
        yield handed
    finally:
        for _, process, _ in started:
            with contextlib.suppress(OSError, ValueError):
                if process.stdin is not None:
                    process.stdin.close()
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(folder, ignore_errors=True)


def run_configuration(
    python: Path,
    release: str,
    backend: str,
    driver: str,
    marks: str,
    folder: Path,
    not_run: str | None,
    extra: Sequence[str] = (),
    servers: Mapping[str, str] | None = None,
) -> tuple[results.Results, float]:
    """One backend on one release, in the release's environment: its compact results and
    the seconds it took. A pytest that wrote nothing is a failed configuration with its exit."""
    configuration = configuration_id(release, backend, driver)
    with tempfile.TemporaryDirectory(prefix="matrix-history-") as scratch:
        written = Path(scratch) / f"{configuration}.json"
        arguments = configuration_arguments(
            backend,
            driver=driver,
            configuration=configuration,
            results=written,
            marks=marks,
            not_run=not_run,
        )
        env = _environment(python, servers)
        started = time.time()
        done = subprocess.run(
            [str(python), "-m", "pytest", *arguments, *extra],
            capture_output=True,
            text=True,
            env=env,
        )
        took = time.time() - started
        if written.exists():
            document = compact(results.load(written))
        else:
            refused = [ln for ln in done.stderr.splitlines() if ln.startswith("ERROR: ")]
            why = refused[0].removeprefix("ERROR: ") if refused else None
            reason = why or f"its pytest process exited with code {done.returncode}"
            document = results.absent_configuration(
                configuration, backend, None, driver, results.FAILED, reason, started=started
            )
            document["configurations"][configuration]["sqlalchemy"] = release
    (folder / f"{configuration}.json").parent.mkdir(parents=True, exist_ok=True)
    results.save(document, folder / f"{configuration}.json")
    return document, took


def absent(release: str, backend: str, driver: str, status: str, reason: str) -> results.Results:
    """The configuration of a release that did not run at all (not installable), with why."""
    document = results.absent_configuration(
        configuration_id(release, backend, driver), backend, None, driver, status, reason
    )
    document["configurations"][configuration_id(release, backend, driver)]["sqlalchemy"] = release
    return document


def combine(folder: Path, config: Config, ran: list[listing.Release]) -> results.Results:
    """Every history configuration in ``folder`` as one document, with the release list
    and notes."""
    parts = [results.load(path) for path in sorted(folder.glob("*.json"))]
    merged = results.merge(parts)
    every = listing.load()
    merged["history"] = {
        "releases": [r.version for r in ran],
        "upload_order": [r.version for r in every if not r.yanked],
        "yanked": {r.version: r.yanked_reason or "yanked on PyPI" for r in listing.yanked(every)},
        "notes": config.notes,
    }
    return merged


@dataclass(frozen=True)
class Plan:
    """What one run of the history does: which releases, on which backends."""

    config: Config
    backends: list[str]
    series: tuple[str, ...]
    releases: list[listing.Release]


def plan(config: Config, backends: str, series: str, releases: str) -> Plan:
    """The releases and backends asked for, checked: an unknown backend, series or
    release is a one-line MatrixError."""
    chosen_backends = [b for b in backends.split(",") if b]
    unknown = [b for b in chosen_backends if b not in config.drivers]
    if unknown:
        known = ", ".join(config.drivers)
        raise MatrixError(f"unknown backend {unknown[0]!r}: choose one of {known}")
    chosen_series = tuple(s for s in series.split(",") if s)
    for name in chosen_series:
        if name not in listing.SERIES:
            raise MatrixError(f"unknown series {name!r}: choose {', '.join(listing.SERIES)}")
    chosen = listing.runnable(listing.load(), chosen_series)
    if releases:
        asked = [r for r in releases.split(",") if r]
        missing = [r for r in asked if r not in {c.version for c in chosen}]
        if missing:
            raise MatrixError(
                f"SQLAlchemy {missing[0]} is not a release of the history's list "
                f"({listing.LIST_FILE.name}; yanked ones are skipped)"
            )
        chosen = [r for r in chosen if r.version in asked]
    return Plan(config, chosen_backends, chosen_series, chosen)


def run_release(
    release: listing.Release,
    planned: Plan,
    envs: Environments,
    folder: Path,
    pytest_args: Sequence[str],
    servers: Mapping[str, str],
    stopping: threading.Event,
) -> Iterator[str]:
    """Every backend's configuration of ``release`` (written to ``folder``), a line for the
    log as each ends; a release that cannot be installed, or a backend turned off, is a
    configuration that says why."""
    config = planned.config
    why = envs.ensure(release.version)
    for backend in planned.backends:
        if stopping.is_set():
            break
        driver = config.drivers[backend]
        if why is not None or backend in config.off:
            reason = config.off.get(backend) or str(why)
            document = absent(release.version, backend, driver, results.NOT_RUN, reason)
            path = folder / f"{configuration_id(release.version, backend, driver)}.json"
            results.save(document, path)
            took = 0.0
        else:
            python = envs.python(release.version)
            document, took = run_configuration(
                python, release.version, backend, driver, config.marks, folder, None,
                pytest_args, servers,
            )  # fmt: skip
        yield f"{_one_line(document)} {took:.1f} s"


def _one_line(document: results.Results) -> str:
    """``sqla2.0.40-sqlite-pysqlite ran (64 pass)``: a configuration, for the log."""
    (name, configuration), *_ = document["configurations"].items()
    counts: dict[str, int] = {}
    for entry in document["scenarios"].values():
        cell = entry["cells"].get(name)
        if cell:
            counts[cell["status"]] = counts.get(cell["status"], 0) + 1
    detail = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    ran = configuration["status"] == results.RAN
    reason = "" if ran else f": {configuration.get('reason')}"
    return f"{name} {configuration['status']}{reason} ({detail})"


def run_all(
    planned: Plan, envs: Environments, folder: Path, jobs: int, pytest_args: Sequence[str]
) -> bool:
    """Every planned release, ``jobs`` at once, on servers shared by all of them; False
    when interrupted (the configurations already run are kept)."""
    printing, stopping = threading.Lock(), threading.Event()  # Ctrl-C: nothing new starts
    with contextlib.ExitStack() as stack:
        servers: dict[str, str] = {}
        on = [b for b in planned.backends if b not in planned.config.off]
        if planned.releases and any(b != "sqlite" for b in on):
            # The newest release's environment starts them (it is built first).
            newest = planned.releases[-1].version
            if envs.ensure(newest) is None:
                servers = stack.enter_context(shared_servers(envs.python(newest), on))

        def one(release: listing.Release) -> None:
            if stopping.is_set():
                return
            for line in run_release(release, planned, envs, folder, pytest_args, servers, stopping):
                with printing:
                    print(f"history: {line}")

        pool = ThreadPoolExecutor(max_workers=max(1, jobs))
        try:
            for future in [pool.submit(one, release) for release in planned.releases]:
                future.result()
        except KeyboardInterrupt:
            stopping.set()
            print("history: interrupted; the configurations already run are kept", file=sys.stderr)
            pool.shutdown(wait=True, cancel_futures=True)
            return False
        finally:
            pool.shutdown(wait=True)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sqla_matrix.history.run", description=__doc__)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--envs", type=Path, required=True, help="the releases' environments")
    parser.add_argument("--backends", default="sqlite,postgresql,mysql,mariadb")
    parser.add_argument("--series", default=",".join(listing.SERIES))
    parser.add_argument("--releases", default="", help="only these (comma-separated)")
    parser.add_argument("--results-dir", type=Path, default=Path("report/results"))
    parser.add_argument("--jobs", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("pytest_args", nargs="*", help="after --: pytest's own arguments")
    args = parser.parse_args(argv)
    started, wall = time.process_time(), time.perf_counter()
    try:
        planned = plan(Config.read(args.config), args.backends, args.series, args.releases)
    except MatrixError as error:
        print(f"history: {error}", file=sys.stderr)
        return 2
    for release in listing.yanked(listing.load()):
        if release.series in planned.series:
            print(
                f"history: SQLAlchemy {release.version} skipped: yanked ({release.yanked_reason})"
            )
    print(
        f"history: {len(planned.releases)} releases × {len(planned.backends)} backends "
        f"({', '.join(planned.backends)}), {args.jobs} at once"
    )
    folder = args.results_dir / "history"
    envs = Environments(args.envs, planned.config.requirements)
    if not run_all(planned, envs, folder, args.jobs, args.pytest_args):
        return 130
    merged = combine(folder, planned.config, planned.releases)
    out = args.results_dir / "history.json"
    results.save(merged, out)
    failed = [n for n, c in merged["configurations"].items() if c["status"] == results.FAILED]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = children.ru_utime + children.ru_stime + time.process_time() - started
    print(
        f"history: {len(merged['configurations'])} configurations in {out} "
        f"({out.stat().st_size / 1e6:.1f} MB); wall {time.perf_counter() - wall:.0f} s, "
        f"CPU {cpu:.0f} s (this process and its children)"
    )
    if failed:
        print(
            f"history: {len(failed)} configuration(s) failed: {', '.join(failed[:5])}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
