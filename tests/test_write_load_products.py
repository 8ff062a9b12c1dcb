"""The write-path and loading products added beside write_paths and loading_product: their
truths are the rows they insert, their keys are what they declare, and on SQLite each
observes every combination it declares, matching its documentation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scenarios import _product_models as m
from scenarios import (
    generated_keys,
    loading_chains,
    loading_declared,
    loading_refresh,
    merging,
    update_sync,
    versioning,
    write_clocks,
)
from sqla_matrix.expect import Doc, Facts, When
from sqla_matrix.releases import INSTALLED
from tests.conftest import run_matrix

MODULES = {
    "merging": (merging, [merging.PRODUCT]),
    "versioning": (versioning, [versioning.PRODUCT]),
    "generated_keys": (generated_keys, [generated_keys.KINDS, generated_keys.VALUES]),
    "write_clocks": (write_clocks, [write_clocks.PRODUCT]),
    "query_update_synchronize": (update_sync, [update_sync.LEGACY]),
    "loading_declared": (loading_declared, [loading_declared.CORE, loading_declared.CORE_THROUGH]),
    "loading_chains": (loading_chains, [loading_chains.CORE]),
    "loading_refresh": (loading_refresh, [loading_refresh.CORE]),
}


def test_the_refresh_truth_moves_exactly_one_child_to_user_2() -> None:
    for shape in loading_refresh.Shape:
        before, after = loading_refresh._truth(shape, False), loading_refresh._truth(shape, True)
        users = [u["id"] for u in m.USERS]
        assert sum(len(before(u)) for u in users) == sum(len(after(u)) for u in users)
        changed = {u for u in users if before(u) != after(u)}
        assert changed == {1, 2}
        assert len(after(2)) == len(before(2)) + 1


def test_the_chain_truths_are_the_rows_loading_product_inserts() -> None:
    assert loading_chains._children(1) == [2, 3]
    assert loading_chains._children(2) == [4, 5]
    assert loading_chains._posts(3) == []
    assert loading_chains._author(5) == 4
    assert loading_chains._tags(1) == [1, 2]


def test_mysql_expects_no_row_from_an_insert_with_returning() -> None:
    key = generated_keys.VALUES.key(
        (generated_keys.Kind.IDENTITY, generated_keys.Path.ORM_RETURNING), "row"
    )
    expected = generated_keys.VALUES.expectations()[key]
    assert isinstance(expected, When)

    def facts(backend: str) -> Facts:
        return Facts(backend, None, (), INSTALLED)

    assert expected.for_(facts("mysql")) is None
    assert expected.for_(facts("postgresql")) == Doc("a value", generated_keys.IDENTITY)


def test_a_loading_core_is_part_of_its_whole_product() -> None:
    for core, whole in (
        (loading_declared.CORE, loading_declared.PRODUCT),
        (loading_declared.CORE_THROUGH, loading_declared.THROUGH),
        (loading_chains.CORE, loading_chains.PRODUCT),
        (loading_refresh.CORE, loading_refresh.PRODUCT),
    ):
        assert 0 < len(core) < len(whole)
        assert set(core.combinations) <= set(whole.combinations)
        assert core.expectations().items() <= whole.expectations().items()


def test_each_new_module_stays_readable_top_to_bottom() -> None:
    for module, _products in MODULES.values():
        assert module.__file__ is not None
        assert len(Path(module.__file__).read_text().splitlines()) <= 400


def _observed(document: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    scenarios = document["scenarios"]
    items = scenarios.items() if isinstance(scenarios, dict) else enumerate(scenarios)
    for scenario_id, scenario in items:
        if str(scenario_id).endswith(f".{name}") or str(scenario_id) == name:
            cell = next(iter(scenario["cells"].values()))
            return cell["status"], cell["observed"]
    raise AssertionError(f"no scenario {name}")


def test_on_sqlite_every_declared_combination_is_observed_as_documented(tmp_path: Path) -> None:
    run = run_matrix("sqlite", tmp_path, None, "-k", " or ".join(MODULES))
    assert run.results is not None, run.output
    names = {
        "merging": "merge_paths",
        "versioning": "version_counter",
        "generated_keys": "generated_keys",
        "write_clocks": "write_clocks",
        "query_update_synchronize": "query_update_synchronize",
        "loading_declared": "declared_loading",
        "loading_chains": "loader_chains",
        "loading_refresh": "loading_again",
    }
    for module, (_module, products) in MODULES.items():
        status, observed = _observed(run.results, names[module])
        assert status == "pass", (module, status)
        declared = {
            product.key(combination, measure)
            for product in products
            for combination in product
            for measure in product.measures
        }
        assert declared == set(observed), module
    _status, again = _observed(run.results, "loading_again")
    kept = loading_refresh.Again.KEPT
    for key, verdict in again.items():
        if key.endswith(": collections"):
            assert verdict.startswith("stale") == (str(kept) in key), (key, verdict)
