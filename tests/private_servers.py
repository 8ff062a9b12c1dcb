"""Private database servers for the fault tests: started here, killed by PID.

Each server runs from the machine's own binaries (PostgreSQL's initdb and
pg_ctl, MariaDB's mariadb-install-db and mariadbd) in a temporary directory,
on a free port of 127.0.0.1, and logs every statement it receives, so a
test can stop it at a chosen point of a run: after the N-th statement, or
when a statement matching a pattern arrives. The shared servers on
5432/3306 are never touched.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal as signals
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from sqla_matrix import backends, namespaces
from sqla_matrix.backends.embedded import free_port


def _children(pid: int) -> list[int]:
    """Every descendant of ``pid``, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [child for child, ppid in parents.items() if ppid == parent]
        found += kids
        frontier += kids
    return found


@dataclass
class PrivateServer:
    backend: str
    url: str  # no password: trust / empty password, on 127.0.0.1
    folder: Path
    statement_log: Path
    port: int
    _start: list[str]
    _as_user: dict[str, Any]  # Popen's user= and group=, for a server that refuses root
    _process: subprocess.Popen[bytes] | None = None
    server_log: Path = Path("/dev/null")
    killed: list[str] = field(default_factory=list)  # the signals sent, in order
    fault_times: list[float] = field(default_factory=list)  # time.monotonic() of each

    # -- life --------------------------------------------------------------

    def start(self) -> None:
        """Start the server as a child of this process (so that its PID is reaped here)."""
        with self.server_log.open("ab") as log:
            self._process = subprocess.Popen(
                self._start, stdout=log, stderr=log, stdin=subprocess.DEVNULL, **self._as_user
            )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn,
            ):
                conn.settimeout(2)
                if self.backend == "postgresql" or conn.recv(1):  # MariaDB greets first
                    return
            time.sleep(0.2)
        raise RuntimeError(f"private {self.backend} on port {self.port} did not start")

    @property
    def pid(self) -> int:
        assert self._process is not None, "the server is not running"
        return self._process.pid

    def pids(self) -> list[int]:
        """The server's processes: the main one and every child (PostgreSQL's backends)."""
        return [self.pid, *_children(self.pid)]

    def signal(self, number: signals.Signals) -> None:
        """Send ``number`` to every process of the server, by PID."""
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, number)
        self.killed.append(number.name)
        self.fault_times.append(time.monotonic())
        if number == signals.SIGKILL:
            self._reap()

    def _reap(self) -> None:
        if self._process is not None:
            self._process.wait(timeout=10)
            self._process = None

    def stop(self) -> None:
        """Whatever state it is in: continued, then killed."""
        if self._process is None:
            return
        with contextlib.suppress(Exception):
            for pid in self.pids():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signals.SIGCONT)
                    os.kill(pid, signals.SIGKILL)
            self._reap()

    # -- what a run left on it ---------------------------------------------

    def leftovers(self) -> list[str]:
        """The namespaces carrying the matrix's marker on this server (back up)."""
        backend = backends.get(self.backend)
        engine = create_engine(self.url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                return [leftover.name for leftover in namespaces.find(backend, conn)]
        finally:
            engine.dispose()

    def clean(self) -> subprocess.CompletedProcess[str]:
        """``nox -s clean -- BACKEND`` against this server, as a user would run it."""
        variable = backends.get(self.backend).url_variable
        return subprocess.run(
            [sys.executable, "-m", "sqla_matrix.namespaces", self.backend],
            cwd=Path(__file__).resolve().parent.parent,
            env={"PATH": "/usr/bin:/bin", variable: self.url},
            capture_output=True,
            text=True,
            timeout=60,
        )

    # -- kill points -------------------------------------------------------

    def statements(self) -> list[str]:
        """The statements the server has received, in order."""
        if not self.statement_log.exists():
            return []
        text = self.statement_log.read_text(errors="replace")
        if self.backend == "postgresql":
            return re.findall(r"LOG:  (?:statement|execute [^:]*): (.*)", text)
        return re.findall(r"\sQuery\t(.*)", text)

    def at_statement(
        self, signal_number: signals.Signals, *, count: int = 0, pattern: str | None = None
    ) -> threading.Thread:
        """Send ``signal_number`` when the ``count``-th statement (or the first matching
        ``pattern``) has reached the server; the thread it watches from, started."""

        def watch() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                seen = self.statements()
                hit = any(re.search(pattern, s) for s in seen) if pattern else len(seen) >= count
                if hit:
                    self.signal(signal_number)
                    return
                time.sleep(0.01)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        return watcher


def _postgresql(folder: Path) -> PrivateServer:
    binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not binaries:
        pytest.skip("PostgreSQL's server binaries (initdb, postgres) are not installed")
    bin_dir = binaries[-1].parent
    # initdb and postgres refuse to run as root: the cluster belongs to postgres then.
    as_user: dict[str, Any] = {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}
    if as_user:
        shutil.chown(folder, "postgres", "postgres")
    data, log, port = folder / "data", folder / "server.log", free_port()
    subprocess.run(
        [str(bin_dir / "initdb"), "--no-sync", "-A", "trust", "-U", "postgres", "-D", str(data)],
        check=True,
        capture_output=True,
        **as_user,
    )
    start = [
        *(str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(folder)),
        *("-c", "listen_addresses=127.0.0.1", "-c", "log_statement=all", "-c", "fsync=off"),
        *("-c", "log_line_prefix="),
    ]
    return PrivateServer(
        "postgresql",
        f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres",
        folder,
        log,
        port,
        start,
        as_user,
        server_log=log,
    )


def _mariadb(folder: Path) -> PrivateServer:
    install, server = shutil.which("mariadb-install-db"), Path("/usr/sbin/mariadbd")
    if install is None or not server.exists():
        pytest.skip("MariaDB's server (mariadbd, mariadb-install-db) is not installed")
    data, log, port = folder / "data", folder / "general.log", free_port()
    subprocess.run(
        [
            *(install, "--no-defaults", f"--datadir={data}", "--user=root", "--skip-test-db"),
            "--auth-root-authentication-method=normal",
        ],
        check=True,
        capture_output=True,
    )
    start = [
        str(server),
        "--no-defaults",
        f"--datadir={data}",
        f"--port={port}",
        "--bind-address=127.0.0.1",
        f"--socket={folder / 'mariadb.sock'}",
        f"--pid-file={folder / 'mariadb.pid'}",
        f"--log-error={folder / 'error.log'}",
        "--user=root",
        "--general-log=1",
        f"--general-log-file={log}",
        "--innodb-buffer-pool-size=32M",
        "--skip-log-bin",
    ]
    return PrivateServer(
        "mariadb",
        f"mariadb+pymysql://root@127.0.0.1:{port}/mysql",
        folder,
        log,
        port,
        start,
        {},
        server_log=folder / "server.log",
    )


@contextlib.contextmanager
def private_server(backend: str) -> Iterator[PrivateServer]:
    """A fresh private server of ``backend``, started; killed and removed at the end."""
    folder = Path(tempfile.mkdtemp(prefix="sqla-matrix-server-"))
    folder.chmod(0o755)
    server = _postgresql(folder) if backend == "postgresql" else _mariadb(folder)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
