"""The compose file starts the same servers, in the same versions, as the CI workflow."""

from __future__ import annotations

import re
from typing import Any

import yaml

from tests.conftest import ROOT


def _load(path: str) -> dict[str, Any]:
    data = yaml.safe_load((ROOT / path).read_text())
    assert isinstance(data, dict)
    return data


def test_compose_and_workflow_run_the_same_images_on_the_same_ports() -> None:
    services = _load(".github/workflows/matrix.yml")["jobs"]["matrix"]["services"]
    compose = _load("docker/compose.yaml")["services"]
    assert set(compose) == set(services) == {"postgresql", "mysql", "mariadb"}
    for name, service in services.items():
        assert compose[name]["image"] == service["image"], name
        ports = [p.removeprefix("127.0.0.1:") for p in compose[name]["ports"]]
        assert ports == service["ports"], name


def test_the_urls_in_the_compose_file_are_the_ones_ci_uses() -> None:
    env = _load(".github/workflows/matrix.yml")["jobs"]["matrix"]["env"]
    header = (ROOT / "docker/compose.yaml").read_text()
    exported = dict(re.findall(r"export (MATRIX_\w+_URL)=(\S+)", header))
    assert exported == {k: v for k, v in env.items() if k.endswith("_URL")}
