"""The words the site shows and the words its search finds.

A scenario module may declare, beside its scenarios (nothing in sqla_matrix/scenario.py
changes for it):

    #: plain-word labels of internal keys: key -> label
    LABELS = {"server_naive": "server_default=func.now() into DateTime()"}
    #: what users type for what the scenario observes: a scenario's function name (all
    #: its behaviours) or a piece of a behaviour's key (the behaviours whose key holds it,
    #: case ignored) -> words
    SYNONYMS = {"n_plus_one": ("N+1", "lazy loading"), "update(Model)": ("update(User)",)}

A key without a label is shown as it is when it is already a phrase (most are), and with
its underscores as spaces when it is an identifier (``server_naive`` -> "server naive").
The search's words are cut the same way here, when the index is built, and in the browser
(site.js), so that ``update(User)``, ``server_default`` and ``N+1`` find what holds them.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

#: a word: letters, digits, underscores, joined by "+" (N+1) or "." (func.now)
_WORD = re.compile(r"[a-z0-9_]+(?:[+.][a-z0-9_]+)*")
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")


@dataclass(frozen=True)
class Vocabulary:
    """A scenario module's LABELS and SYNONYMS (empty where it declares none)."""

    labels: Mapping[str, str] = field(default_factory=dict)
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def label(self, key: str) -> str:
        """The behaviour's name in plain words."""
        if key in self.labels:
            return self.labels[key]
        if _IDENTIFIER.match(key):
            return key.replace("_", " ")
        return key

    def synonyms_of(self, function: str, key: str | None) -> list[str]:
        """The words a user may type for the scenario ``function`` (its behaviour ``key``)."""
        found: list[str] = []
        for piece, words in self.synonyms.items():
            if piece == function or (key is not None and piece.lower() in key.lower()):
                found.extend(words)
        return found


def vocabulary(module: str) -> Vocabulary:
    """The LABELS and SYNONYMS of the scenario module ``module``; none where it cannot be
    imported (a site built from another project's results)."""
    try:
        loaded = importlib.import_module(module)
    except Exception:  # any import failure: the site is built without them
        return Vocabulary()
    labels = getattr(loaded, "LABELS", {})
    synonyms = getattr(loaded, "SYNONYMS", {})
    return Vocabulary(
        labels={str(k): str(v) for k, v in dict(labels).items()},
        synonyms={str(k): tuple(str(w) for w in v) for k, v in dict(synonyms).items()},
    )


def words(text: str) -> list[str]:
    """The search's words of ``text``: lowercase, with each compound also cut into its
    parts (``server_default`` -> server_default, server, default; ``func.now`` -> func.now,
    func, now; ``N+1`` stays n+1)."""
    found: list[str] = []
    for word in _WORD.findall(text.lower()):
        found.append(word)
        if "+" in word:
            continue
        parts = [p for p in re.split(r"[._]", word) if p]
        if len(parts) > 1:
            found.extend(parts)
    return found


#: a hash or hex digest in a value (``SQL 37fe476e``): no one types it
_DIGEST = re.compile(r"^(?=[a-f]*[0-9])(?=[0-9]*[a-f])[0-9a-f]{8,}$")


def search_text(parts: Iterable[str]) -> str:
    """``parts`` as one string of search words, each once (what the index holds)."""
    found = (w for part in parts for w in words(part) if not _DIGEST.match(w))
    return " ".join(dict.fromkeys(found))


def slug(text: str) -> str:
    """A permalink's last part: lowercase letters and digits, joined by dashes."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "behaviour"
