"""What a setting names as ``module:attribute`` (matrix_metadata, a topic summary)."""

from __future__ import annotations

import importlib
from typing import Any

from sqla_matrix.errors import MatrixError


def resolve(spec: str, setting: str) -> Any:
    """The object ``spec`` names, or a one-line MatrixError that starts with ``setting``
    (how the user wrote it: ``matrix_metadata = 'models:Base'``, ``summary 'x:y'``)."""
    module, sep, attribute = spec.partition(":")
    if not sep or not module or not attribute:
        raise MatrixError(f"{setting}: expected module:attribute")
    try:
        return getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError, ValueError) as error:
        raise MatrixError(f"{setting}: {error}") from None
