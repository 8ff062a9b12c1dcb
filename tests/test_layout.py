"""The pieces that name backends and scenarios agree with each other."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


import scenarios
from harness.backends import BACKENDS
from harness.scenario import ByBackend, scenarios_of
from tests.conftest import ROOT


def _noxfile_databases() -> list[str]:
    tree = ast.parse((ROOT / "noxfile.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            if any(isinstance(t, ast.Name) and t.id == "DATABASES" for t in targets):
                assert node.value is not None
                return list(ast.literal_eval(node.value))
    raise AssertionError("noxfile.py has no DATABASES")


def test_noxfile_backends_and_dependency_groups_name_the_same_backends() -> None:
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]
    assert _noxfile_databases() == list(BACKENDS)
    assert all(name in groups for name in BACKENDS)


def test_every_scenario_has_a_unique_id_and_every_expectation_a_source() -> None:
    ids: list[str] = []
    for info in pkgutil.iter_modules(scenarios.__path__):
        module = f"scenarios.{info.name}"
        importlib.import_module(module)
        for entry in scenarios_of(module):
            ids.append(entry.id)
            assert entry.title and entry.doc, entry.id
            for key, expectation in entry.expect.items():
                docs = (
                    expectation.docs.values()
                    if isinstance(expectation, ByBackend)
                    else [expectation]
                )
                for doc in docs:
                    assert doc.source.startswith("https://"), (entry.id, key)
    assert len(ids) == len(set(ids))
    assert ids


def test_model_modules_import_each_other_only_under_type_checking() -> None:
    for path in sorted((ROOT / "models").glob("*.py")):
        if path.name in ("__init__.py", "base.py"):
            continue
        tree = ast.parse(path.read_text())
        guarded = {
            id(node)
            for block in tree.body
            if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
            for node in ast.walk(block)
        }
        for node in ast.walk(tree):
            module = node.module or "" if isinstance(node, ast.ImportFrom) else ""
            if module.startswith("models.") and module != "models.base":
                assert id(node) in guarded, f"{path.name} imports {module} at run time"
