"""A loading combination's statements as one observed value (the loading products' own).

``N statements · P parents · SQL <fingerprint>``: how many statements a load and the
touching of its relationships took, how many parents came back, and a fingerprint of
their SQL with what varies by driver and run made uniform (placeholders, quotes, the
namespace, case and spacing), so that a new shape of SQL is a difference even when
the count stays.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any


def normalised(sql: str, namespace: str | None) -> str:
    """One statement's SQL with what varies by driver and run made uniform."""
    text = sql if namespace is None else sql.replace(namespace, "ns")
    text = re.sub(r"%\(\w+\)s|%s|\?|\$\d+|:\w+", "?", text)
    return re.sub(r"\s+", " ", re.sub(r"[\"`]", "", text)).strip().lower()


def fingerprint(statements: list[Any], namespace: str | None) -> str:
    """Eight hex digits of the statements' normalised SQL, in order."""
    joined = "\n".join(normalised(s.sql, namespace) for s in statements)
    return hashlib.sha1(joined.encode()).hexdigest()[:8]


def loaded(statements: list[Any], parents: list[Any], namespace: str | None) -> str:
    """The ``statements`` measure of one combination."""
    sql = fingerprint(statements, namespace)
    return f"{len(statements)} statements · {len(parents)} parents · SQL {sql}"
