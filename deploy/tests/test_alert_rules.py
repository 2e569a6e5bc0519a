"""The alert rules speak of metrics the services really export: a renamed metric would silently never fire."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from prometheus_client import REGISTRY

from heyzack_shared import consumer_metrics, http, outbox
from kpi_projector import read_models

EXPORTERS = (consumer_metrics, http, outbox, read_models)
"""The modules whose import registers every metric the services export."""

RULES = Path(__file__).parents[1] / "prometheus" / "alerts.yml"


def exported() -> set[str]:
    names = set()
    for family in REGISTRY.collect():
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
        if family.type == "counter":
            names.add(f"{family.name}_total")
    return names


def test_every_rule_names_exported_metrics_and_a_runbook() -> None:
    rules = [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]
    assert {rule["alert"] for rule in rules} >= {"HeyZackConsumerStalled", "HeyZackConsumerLagging"}
    known = exported()
    for rule in rules:
        for metric in set(re.findall(r"\bheyzack_[a-z_]+", rule["expr"])):
            assert metric in known, f"{rule['alert']}: {metric} is not exported"
        anchor = rule["annotations"]["runbook"].split("#")[1]
        assert anchor in _anchors(), f"{rule['alert']}: no section #{anchor} in docs/operations.md"


def _anchors() -> set[str]:
    text = (Path(__file__).parents[2] / "docs" / "operations.md").read_text()
    titles = re.findall(r"^#+ (.+)$", text, re.M)
    return {re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-") for title in titles}
