"""The report's Jinja2 templates (sqla_matrix/report/templates/): HTML ones autoescaped."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

FOLDER = Path(__file__).parent / "templates"


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(FOLDER),
        bytecode_cache=_compiled_templates(),
        # Every value in report.html is escaped unless a template marks it safe.
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _compiled_templates() -> jinja2.BytecodeCache | None:
    """The templates compiled once, kept beside the interpreter's own bytecode when it has
    a folder for it (PYTHONPYCACHEPREFIX: the nox sessions set it), else compiled each run:
    that took 75 ms of the report's 0.36 s. Jinja2 compiles again when a template changes."""
    if not sys.pycache_prefix:
        return None
    folder = Path(sys.pycache_prefix) / "jinja2-templates"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


def render(template: str, **context: Any) -> str:
    """``templates/<template>`` rendered with ``context``."""
    return environment().get_template(template).render(**context)
