"""The report tabs of docs/http-api.md (`GET /v1/reports/{tab}`): the one registry the API, the exports and
the portal take the tab list from.

Each tab's module declares its `ReportTab` (name, label, response model, reader, the day counters it reads and
the charts the portal draws); a tab's reader answers a `ReportQuery` with its model, the single snapshot both
the JSON endpoint and the exports are made from.
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any, Final

from pydantic import BaseModel

from heyzack_shared.errors import NotFound
from kpi_projector import (
    report_financial,
    report_handymen,
    report_installations,
    report_inventory,
    report_satisfaction,
)
from kpi_projector.report_models import ChartSpec, ReportTab

REPORT_TABS: Final[dict[str, ReportTab]] = {
    tab.name: tab
    for tab in (
        report_installations.TAB,
        report_handymen.TAB,
        report_inventory.TAB,
        report_financial.TAB,
        report_satisfaction.TAB,
    )
}
"""Every tab, in the order the portal shows them."""
Report: Any = reduce(operator.or_, (tab.model for tab in REPORT_TABS.values()))
"""The answer of `GET /v1/reports/{tab}`: one of the tabs' models (built from the registry)."""


class TabDescription(BaseModel):
    name: str
    """The `{tab}` of `GET /v1/reports/{tab}` and of its export."""
    label: str
    charts: list[ChartSpec]
    """What the portal draws from the tab's report."""


class ReportTabs(BaseModel):
    tabs: list[TabDescription]
    """In the order the portal shows them."""


def report_tab(name: str) -> ReportTab:
    """The tab called `name`; 404 when there is none."""
    tab = REPORT_TABS.get(name)
    if tab is None:
        raise NotFound(f"no report tab {name[:40]!r}: choose one of {', '.join(REPORT_TABS)}")
    return tab


def report_tabs() -> ReportTabs:
    return ReportTabs(
        tabs=[
            TabDescription(name=tab.name, label=tab.label, charts=list(tab.charts))
            for tab in REPORT_TABS.values()
        ]
    )
