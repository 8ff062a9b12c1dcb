"""A cell's warnings as an observation: the same warning reads the same in every run.

The runner records each warning a scenario raised (SQLAlchemy's deprecation
warnings and SAWarnings, RuntimeWarnings such as "coroutine ... was never
awaited", a driver's warnings) as ``"Category: message"``. What would differ
between two runs of the same behaviour is written the same way everywhere:

- a memory address (``at 0x7f3a5c2e1d90``) as ``0x*``;
- the run's namespace name (``matrix_<12 hex>``) as ``matrix_*``;
- a path in the temporary folder as ``<tmp>/*``;
- a path in this checkout (or the installed harness) relative to it, with its line
  number as ``*``; a path in an environment's site-packages from ``site-packages/``;
- every run of white space (a message's line breaks) as one space.

The report, ``compare`` and the baseline diff then compare a scenario's
warnings like any observed value, under the behaviour :data:`KEY`. Normalising
is idempotent, and is applied again whenever a results file is read, so a file
written before warnings were normalised compares equal to a new one that saw the
same warnings.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from warnings import WarningMessage

from sqla_matrix import results

#: The behaviour under which a scenario's warnings are shown and compared.
KEY = "(warnings)"
#: The cell statuses whose warnings are an observation (an error stops a scenario midway).
OBSERVED = (results.PASS, results.MISMATCH)

ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")
NAMESPACE = re.compile(r"\bmatrix_[0-9a-f]{12}\b")
SITE_PACKAGES = re.compile(r"[^\s'\"()<>]*/site-packages/")
SPACE = re.compile(r"\s+")


def _roots() -> list[str]:
    """The folders whose files are this checkout's: the working directory (the
    project's, where a cell runs) and the folder holding the harness package."""
    found = {str(Path.cwd()), str(Path(__file__).resolve().parents[1])}
    return sorted((r for r in found if r != "/"), key=len, reverse=True)


def _in_roots(roots: Iterable[str]) -> re.Pattern[str]:
    """``ROOT/a/b.py`` with its line number, written ``:12`` or ``", line 12``."""
    either = "|".join(re.escape(root) for root in roots)
    return re.compile(rf"(?:{either})/([^\s'\"():,]+)(?:(:)\d+|(\", line )\d+)?")


def _relative(match: re.Match[str]) -> str:
    """A checkout's path as relative to it, its line number (if any) as ``*``."""
    path, colon, line_word = match.groups()
    number = colon or line_word
    return f"{path}{number}*" if number else path


def _temporary() -> re.Pattern[str]:
    folders = {tempfile.gettempdir(), str(Path(tempfile.gettempdir()).resolve()), "/tmp"}
    either = "|".join(re.escape(folder) for folder in sorted(folders, key=len, reverse=True))
    return re.compile(rf"(?:{either})/[^\s'\"()<>,]*")


def normalise(text: str, namespace: str | None = None) -> str:
    """One warning, ``"Category: message"``, as it reads in every run."""
    text = SPACE.sub(" ", text).strip()
    if namespace:
        text = text.replace(namespace, "matrix_*")
    text = NAMESPACE.sub("matrix_*", text)
    text = ADDRESS.sub("0x*", text)
    text = _in_roots(_roots()).sub(_relative, text)
    text = SITE_PACKAGES.sub("site-packages/", text)
    return _temporary().sub("<tmp>/*", text)


def normalised(lines: Iterable[str], namespace: str | None = None) -> list[str]:
    """A cell's warnings, each normalised, once each, sorted."""
    return sorted({normalise(line, namespace) for line in lines})


def line(warning: WarningMessage) -> str:
    """A caught warning as the results file records it: ``"Category: message"``."""
    return f"{warning.category.__name__}: {warning.message}"


def of(cell: dict[str, Any] | None) -> list[str] | None:
    """A cell's warnings as an observation, normalised; None where the cell observed
    nothing to compare (not run, an error) or its file recorded no warnings."""
    if cell is None or cell.get("status") not in OBSERVED or "warnings" not in cell:
        return None
    return normalised(cell["warnings"])


def show(found: list[str]) -> str:
    """The warnings as the report writes them: one a line, "none" without any."""
    return "\n".join(found) if found else "none"
