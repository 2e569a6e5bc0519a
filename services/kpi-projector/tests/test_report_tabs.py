"""The report tabs have one registry (`reports.REPORT_TABS`): the API, the exports and the portal take their
tab list from it, and nothing else spells it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel

from kpi_projector.app import create_app
from kpi_projector.reports import REPORT_TABS, Report, ReportTabs
from kpi_projector.settings import ProjectorSettings

ROOT = Path(__file__).resolve().parents[3]
PORTAL = ROOT / "services/kpi-projector/kpi_projector/portal"
QUOTED_TAB = re.compile("[\"'`](" + "|".join(REPORT_TABS) + ")[\"'`]")


def _rows(model: type[BaseModel], part: str, name: str) -> set[str]:
    """The fields of the rows of the series or table `name` of a report model."""
    parts: Any = model.model_fields[part].annotation
    (row,) = get_args(parts.model_fields[name].annotation)
    return set(row.model_fields)


def test_each_tab_answers_with_its_own_model() -> None:
    for name, tab in REPORT_TABS.items():
        assert tab.name == name and tab.label and tab.counters
        assert tab.model.model_fields["tab"].default == name
    assert get_args(Report) == tuple(tab.model for tab in REPORT_TABS.values())


def test_every_chart_draws_figures_its_report_has() -> None:
    for tab in REPORT_TABS.values():
        assert tab.charts, tab.name
        for chart in tab.charts:
            part, name = ("series", chart.series) if chart.series else ("tables", chart.table)
            assert name is not None, chart
            fields = _rows(tab.model, part, name)
            assert set(chart.keys) <= fields, (tab.name, chart.title)
            assert not chart.radar or "skills" in fields


def test_the_tab_list_is_documented_with_its_model(settings: ProjectorSettings) -> None:
    operation = create_app(settings).openapi()["paths"]["/v1/reports"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith(f"/{ReportTabs.__name__}")
    assert operation["security"] == [{"HTTPBearer": []}]


def test_the_portal_takes_its_tabs_from_the_api() -> None:
    script, page = (PORTAL / "portal.js").read_text(), (PORTAL / "index.html").read_text()
    assert 'getJson("/v1/reports")' in script
    assert not QUOTED_TAB.findall(script), "portal.js names a tab: take it from GET /v1/reports"
    assert "data-tab=" not in page and 'role="tab"' not in page


def test_no_other_module_spells_the_tab_list() -> None:
    """A line naming two tabs or more is a tab list: the registry is the only one."""
    sources = [
        *(ROOT / "services/kpi-projector/kpi_projector").rglob("*.py"),
        *(ROOT / "services/kpi-projector/kpi_projector/portal").iterdir(),
        *(ROOT / "bench").glob("*.py"),
        *(ROOT / "deploy").rglob("*.py"),
        *(ROOT / "tests").rglob("*.py"),
    ]
    lists = [
        f"{path.relative_to(ROOT)}: {line.strip()}"
        for path in sources
        for line in path.read_text().splitlines()
        if len(set(QUOTED_TAB.findall(line))) >= 2
    ]
    assert lists == []
