"""One server for every release of the history: started once, shared, stopped at the end.

    python -m sqla_matrix.history.server BACKEND STATE_FILE

(``sqla_matrix.history.run`` starts this in a release's environment for each server
backend that has no ``MATRIX_<BACKEND>_URL``.) It starts the server as a cell would
without a URL (a container through testcontainers, or PostgreSQL's embedded server),
writes its URL and how it was found to ``STATE_FILE`` (readable by this user only;
the URL holds the container's password, which the cells redact as any URL's), and stops
it when its standard input closes. A backend that cannot be had writes why instead.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from sqla_matrix.backends import get
from sqla_matrix.errors import BackendNotRun, MatrixError


def _write(path: Path, state: dict[str, str]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.touch(mode=0o600)
    tmp.write_text(json.dumps(state))
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    name, state = (argv if argv is not None else sys.argv[1:])[:2]
    path = Path(state)
    try:
        target = get(name).locate_without_url(os.environ, None)
    except BackendNotRun as absent:
        _write(path, {"not_run": absent.reason, "remedy": absent.remedy})
        return 0
    except MatrixError as error:
        _write(path, {"not_run": str(error)})
        return 0
    try:
        url = target.url.render_as_string(hide_password=False)
        _write(path, {"url": url, "found_by": f"{target.found_by}, shared by the history"})
        sys.stdin.read()  # until the history closes it (or dies)
    finally:
        target.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
