"""Keep credentials out of everything the matrix writes or prints.

Every password the run learns (from a URL it was given or a container it
started) is registered here; ``redact`` replaces each occurrence, also in
its URL-quoted form, in any text that leaves the process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

if TYPE_CHECKING:  # the report imports this module and needs only the standard library
    from sqlalchemy.engine import URL

_SECRETS: set[str] = set()


def register(secret: str | None) -> None:
    """Remember a secret so that ``redact`` hides it from now on."""
    if secret:
        _SECRETS.update({secret, quote(secret, safe=""), quote_plus(secret)})


def register_url(url: URL) -> None:
    register(url.password if isinstance(url.password, str) else None)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def redact_tree(value: Any) -> Any:
    """``redact`` applied to every string inside JSON-like data."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact_tree(item) for item in value]
    if isinstance(value, dict):
        return {redact_tree(key): redact_tree(item) for key, item in value.items()}
    return value


def shown(url: URL) -> str:
    """A URL as the report and the logs show it: password hidden."""
    return redact(url.render_as_string(hide_password=True))
