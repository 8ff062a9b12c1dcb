"""The keys the onupdate scenarios observe, and the updated_at recommendation derived
from them: one definition that scenarios/onupdate.py writes and the report reads.

For each onupdate variant (a scenario of the ``onupdate`` topic) and configuration,
whether it keeps updated_at right for ORM writes and for ad hoc SQL, read
from that cell's observed values (never assumed). Only the standard library
and the report's view are imported: the report runs without SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqla_matrix.report.view import configuration_order
from sqla_matrix.results import Results

# -- the observed keys -------------------------------------------------------
ORM_FLUSH = "ORM flush changing another column"
CORE_UPDATE = "Core update()"
#: SQLAlchemy's guide calls it "ORM UPDATE with WHERE" (orm/queryguide/dml.html); its
#: "ORM bulk UPDATE by primary key" is another statement: session.execute(update(Model), [dicts]).
ORM_UPDATE_WHERE = "ORM UPDATE with WHERE: update(Model).where()"
RAW_UPDATE = "raw text() UPDATE"
CORE_NO_CHANGE = "Core update() that changes no value"
RAW_NO_CHANGE = "raw UPDATE that changes no value"
OBJECT = "ORM object right after its flush"
OBJECT_EAGER = "ORM object right after its flush, eager_defaults=True"

#: The tag of a scenario that observes one updated_at variant on every kind of UPDATE
#: (the recommendation's rows); the topic's other scenarios answer other questions.
VARIANT = "updated_at_variant"

ORM_WRITES = (ORM_FLUSH, CORE_UPDATE, ORM_UPDATE_WHERE)
AD_HOC = RAW_UPDATE
TRUSTWORTHY_OBJECT = ("expired", "fresh")  # how the object's state line begins when it is right


@dataclass
class Recommendation:
    title: str
    explanation: str
    configurations: list[str]
    rows: list[tuple[str, list[str]]]  # (variant, verdict per configuration)
    best: dict[str, list[str]]  # configuration -> variants right for both


def updated_at(results: Results) -> Recommendation | None:
    order = configuration_order(results)
    rows: list[tuple[str, list[str]]] = []
    best: dict[str, list[str]] = {name: [] for name in order}
    for entry in results["scenarios"].values():
        if VARIANT not in entry.get("tags", ()):
            continue
        verdicts = []
        for name in order:
            cell = entry["cells"].get(name)
            if not cell or cell["status"] not in ("pass", "mismatch"):
                verdicts.append("—")
                continue
            seen = cell["observed"]
            orm = all(seen.get(key) is True for key in ORM_WRITES) and str(
                seen.get(OBJECT, "")
            ).startswith(TRUSTWORTHY_OBJECT)
            ad_hoc = seen.get(AD_HOC) is True
            eager_ok = str(seen.get(OBJECT_EAGER, "")).startswith(TRUSTWORTHY_OBJECT)
            caveat = " (✗ with eager_defaults=True)" if orm and not eager_ok else ""
            verdicts.append(
                f"ORM {'✓' if orm else '✗'}{caveat} · ad hoc SQL {'✓' if ad_hoc else '✗'}"
            )
            if orm and ad_hoc:
                best[name].append(entry["title"])
        rows.append((entry["title"], verdicts))
    if not rows:
        return None
    return Recommendation(
        title="Which updated_at pattern stays right",
        explanation=(
            "Derived from the onupdate observations below. ORM ✓: an ORM flush, a Core update() "
            "and an ORM UPDATE with WHERE all moved updated_at, and the flushed object was "
            "expired or fresh "
            "(not stale), with eager_defaults left at its default. Ad hoc SQL ✓: a raw UPDATE "
            "that never went through SQLAlchemy moved it too."
        ),
        configurations=order,
        rows=rows,
        best={name: variants for name, variants in best.items() if variants},
    )
