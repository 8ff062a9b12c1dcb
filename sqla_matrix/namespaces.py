"""The mark the matrix leaves inside each namespace it creates, and the clean-up that reads it.

A run works only in a schema (PostgreSQL), database (MySQL, MariaDB) or file
(SQLite) of its own, and drops it at the end. When it cannot (the server
died, stopped answering, or the process was killed) the namespace stays
behind. ``nox -s clean -- <backend>`` removes such namespaces, and only
those: a namespace is recognised by the marker table the run created inside
it, never by its name alone, and one whose creating process is still
running on this host is left to that process.

    python -m sqla_matrix.namespaces postgresql [--server 15] [--dry-run]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Column, Connection, Engine, MetaData, String, Table, create_engine, exc
from sqlalchemy.pool import NullPool

from sqla_matrix import backends, drivers, redact
from sqla_matrix.backends.base import Backend, Target
from sqla_matrix.errors import MatrixError, one_line

#: The table every namespace of the matrix holds; scenarios never see it in their
#: models (it has its own MetaData) and leave it out of what they list.
MARKER_TABLE = "sqla_matrix_namespace"
TOOL = "sqla-matrix"

_marker = Table(
    MARKER_TABLE,
    MetaData(),
    Column("tool", String(20), primary_key=True),
    Column("created_at", String(40)),
    Column("host", String(255)),
    Column("pid", String(20)),
)


def mark(engine: Engine) -> None:
    """Create the marker inside the namespace ``engine`` is confined to."""
    with engine.begin() as conn:
        _marker.create(conn)
        conn.execute(
            _marker.insert().values(
                tool=TOOL,
                created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                host=socket.gethostname(),
                pid=str(os.getpid()),
            )
        )


def how_to_remove(backend: str, server: str | None) -> str:
    """The command that removes what a run of ``backend`` left behind."""
    return f"nox -s clean -- {backend}" + (f" --server {server}" if server else "")


@dataclass
class Leftover:
    name: str
    created_at: str
    host: str
    pid: str

    def in_use(self) -> bool:
        """Its run is still going: the creating process is alive on this host."""
        if self.host != socket.gethostname() or not self.pid.isdigit():
            return False
        try:
            os.kill(int(self.pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def _read_marker(conn: Connection, qualified: str) -> Leftover | None:
    row = conn.exec_driver_sql(
        f"SELECT tool, created_at, host, pid FROM {qualified} WHERE tool = '{TOOL}'"
    ).first()
    if row is None:
        return None
    return Leftover(qualified.split(".")[0].strip('"`'), str(row[1]), str(row[2]), str(row[3]))


def find(backend: Backend, conn: Connection) -> list[Leftover]:
    """The namespaces on this server that hold the matrix's marker."""
    if backend.capabilities.namespace == "schema":  # every schema, not only the visible ones
        names = conn.exec_driver_sql(
            "SELECT n.nspname FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid "
            f"WHERE c.relname = '{MARKER_TABLE}' ORDER BY 1"
        ).scalars()
        quoted = [f'"{name}".{MARKER_TABLE}' for name in names]
    else:
        names = conn.exec_driver_sql(
            "SELECT table_schema FROM information_schema.tables "
            f"WHERE table_name = '{MARKER_TABLE}' ORDER BY 1"
        ).scalars()
        quoted = [f"`{name}`.{MARKER_TABLE}" for name in names]
    found = [_read_marker(conn, name) for name in quoted]
    return [leftover for leftover in found if leftover is not None]


def drop(backend: Backend, conn: Connection, name: str) -> None:
    if backend.capabilities.namespace == "schema":
        conn.exec_driver_sql(f'DROP SCHEMA "{name}" CASCADE')
    else:
        conn.exec_driver_sql(f"DROP DATABASE `{name}`")


def sqlite_leftovers(folder: Path | None = None) -> list[tuple[Path, Leftover]]:
    """The matrix's SQLite files left in the temporary folder, with their markers."""
    found = []
    for path in sorted((folder or Path(tempfile.gettempdir())).glob("matrix_*/matrix_*.sqlite")):
        engine = _sqlite_engine(path)
        try:
            with engine.connect() as conn:
                leftover = _read_marker(conn, MARKER_TABLE)
        except exc.DBAPIError:
            leftover = None
        finally:
            engine.dispose()
        if leftover is not None:
            leftover.name = str(path.parent)
            found.append((path, leftover))
    return found


def _sqlite_engine(path: Path) -> Engine:
    return create_engine(f"sqlite:///{path}", poolclass=NullPool)


def clean(
    backend_name: str,
    server: str | None = None,
    environ: Mapping[str, str] = os.environ,
    dry_run: bool = False,
) -> list[str]:
    """Remove the namespaces of ``backend`` that runs left behind; one line per namespace."""
    backend = backends.get(backend_name)
    backend.check_server_request(server)
    lines = []
    if backend.capabilities.namespace == "file":
        for path, leftover in sqlite_leftovers():
            if leftover.in_use():
                lines.append(f"kept {path.parent}: its run (pid {leftover.pid}) is still going")
                continue
            if not dry_run:
                shutil.rmtree(path.parent)
            lines.append(f"{_verb(dry_run)} {path.parent} (created {leftover.created_at})")
        return lines
    variable = backend.variable("URL", server)
    text = environ.get(variable, "").strip()
    if not text:
        raise MatrixError(
            f"{variable} is not set: clean removes leftovers from the server that URL "
            "names (a container the matrix started is removed with everything in it)"
        )
    url = backend.parse_url(text, variable)
    driver = drivers.pair(backend.name, url.drivername.partition("+")[2] or None).sync
    engine = backend.make_engine(url, driver, variable, poolclass=NullPool)
    kind = backend.capabilities.namespace
    try:
        with engine.connect() as conn:
            for leftover in find(backend, conn):
                if leftover.in_use():
                    lines.append(
                        f"kept {kind} {leftover.name}: its run (pid {leftover.pid}) is still going"
                    )
                    continue
                if not dry_run:
                    drop(backend, conn, leftover.name)
                    conn.commit()
                lines.append(
                    f"{_verb(dry_run)} {kind} {leftover.name} (created {leftover.created_at} "
                    f"on {leftover.host})"
                )
    except exc.DBAPIError as error:
        raise backend.connect_error(Target(url, variable), error) from None
    finally:
        engine.dispose()
    return lines


def _verb(dry_run: bool) -> str:
    return "would remove" if dry_run else "removed"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="nox -s clean --", description="Remove the namespaces matrix runs left behind."
    )
    parser.add_argument("backend", help=", ".join(backends.BACKENDS))
    parser.add_argument("--server", help="the server version whose URL variable to use")
    parser.add_argument("--dry-run", action="store_true", help="list, remove nothing")
    args = parser.parse_args(argv)
    try:
        lines = clean(args.backend, args.server, dry_run=args.dry_run)
    except MatrixError as error:
        print(f"clean: {redact.redact(str(error))}", file=sys.stderr)
        return 2
    except Exception as error:  # a server that went away mid-clean
        print(f"clean: {redact.redact(one_line(error))}", file=sys.stderr)
        return 1
    for line in lines:
        print(f"clean: {line}")
    if not lines:
        print(f"clean: nothing left behind on {args.backend}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
