"""The inventory tab (`GET /v1/reports/inventory`): pure assembly from day counters and the all-time bucket.

- Stock levels: the latest StockLevelChanged of each SKU (by version), from the all-time counters
  `inv:product:<sku>:<category>:<name>` (1 for its current name and category) and `inv:on_hand:<sku>`;
  low when on_hand ≤ the threshold (`PROJECTOR_LOW_STOCK_THRESHOLD`, default 5), applied at query time.
  `skus_low_stock` is a current figure: its `previous` is null (stock history is not kept).
- Order history: OrderPlaced by the business day of its occurred_at: orders, units (Σ line quantities);
  table of units per SKU in the range, most first.
- Device usage: installations created in the range per device type and per SKU of their products
  (installations and units), most demanded first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Final, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from kpi_projector.projections.vocabulary import (
    ALL_TIME,
    INSTALLATIONS_CREATED,
    INSTALLATIONS_SKU,
    INSTALLATIONS_SKU_UNITS,
    ORDERS_PLACED,
    ORDERS_UNITS,
    SKU_UNITS,
    STOCK_ON_HAND,
    STOCK_PRODUCT,
)
from kpi_projector.queries import Rebuilding
from kpi_projector.ranges import DateRange
from kpi_projector.read_models import ReadModels
from kpi_projector.report_models import (
    DEFAULT_LOW_STOCK_THRESHOLD,
    ChartSpec,
    DayCounters,
    Figure,
    PreviousRange,
    ReportQuery,
    ReportRange,
    ReportTab,
    by_key,
    header,
    totals,
)

INVENTORY_COUNTERS: Final = (
    ORDERS_PLACED,
    ORDERS_UNITS,
    SKU_UNITS,
    INSTALLATIONS_CREATED,
    INSTALLATIONS_SKU,
    INSTALLATIONS_SKU_UNITS,
    STOCK_PRODUCT,
    STOCK_ON_HAND,
)
"""The counters the tab reads, of the days and of the all-time bucket (each with its keys): all it asks
Redis for (the all-time bucket also holds the financial ledgers, one counter per order and payment)."""


class InventorySummary(BaseModel):
    orders: Figure
    units_sold: Figure
    skus_low_stock: Figure
    """Current (latest stock levels); `previous` is null."""


class InventoryDay(BaseModel):
    date: dt.date
    orders: int
    units: int


class InventorySeries(BaseModel):
    daily: list[InventoryDay]


class StockRow(BaseModel):
    sku: str
    name: str
    category: str
    on_hand: int
    low: bool


class SkuUnitsRow(BaseModel):
    sku: str
    name: str | None
    units: int


class DeviceTypeUsageRow(BaseModel):
    device_type: str
    installations: int


class SkuUsageRow(BaseModel):
    sku: str
    name: str | None
    installations: int
    units: int


class InventoryTables(BaseModel):
    stock: list[StockRow]
    """Every SKU with a stock level, low ones first, then by SKU."""
    units_by_sku: list[SkuUnitsRow]
    """Units ordered in the range per SKU, most first."""
    usage_by_device_type: list[DeviceTypeUsageRow]
    usage_by_sku: list[SkuUsageRow]


class InventoryReport(BaseModel):
    tab: Literal["inventory"] = "inventory"
    partner_id: str
    as_of: str
    rebuilding: Rebuilding = False
    range: ReportRange
    previous_range: PreviousRange
    summary: InventorySummary
    series: InventorySeries
    tables: InventoryTables


def stock_levels(all_time: Mapping[str, int], threshold: int) -> list[StockRow]:
    """The current stock rows from the all-time counters."""
    on_hand = {
        name[len(STOCK_ON_HAND) + 1 :]: n
        for name, n in all_time.items()
        if name.startswith(STOCK_ON_HAND + ":")
    }
    rows = []
    prefix = STOCK_PRODUCT + ":"
    for name, present in all_time.items():
        if present <= 0 or not name.startswith(prefix):
            continue
        sku, category, product = name[len(prefix) :].split(":", 2)
        level = on_hand.get(sku, 0)
        rows.append(StockRow(sku=sku, name=product, category=category, on_hand=level, low=level <= threshold))
    return sorted(rows, key=lambda row: (not row.low, row.sku))


def inventory_report(
    partner_id: str,
    counters: DayCounters,
    all_time: Mapping[str, int],
    chosen: DateRange,
    *,
    now: dt.datetime,
    zone: ZoneInfo,
    low_stock_threshold: int = DEFAULT_LOW_STOCK_THRESHOLD,
) -> InventoryReport:
    previous = chosen.previous
    stock = stock_levels(all_time, low_stock_threshold)
    names = {row.sku: row.name for row in stock}
    sums, before = totals(counters, chosen), totals(counters, previous)
    summary = InventorySummary(
        orders=Figure(value=sums.get(ORDERS_PLACED, 0), previous=before.get(ORDERS_PLACED, 0)),
        units_sold=Figure(value=sums.get(ORDERS_UNITS, 0), previous=before.get(ORDERS_UNITS, 0)),
        skus_low_stock=Figure(value=sum(row.low for row in stock), previous=None),
    )
    daily = [
        InventoryDay(
            date=day,
            orders=counters.get(day, {}).get(ORDERS_PLACED, 0),
            units=counters.get(day, {}).get(ORDERS_UNITS, 0),
        )
        for day in chosen.dates()
    ]
    units = by_key(sums, SKU_UNITS)
    units_rows = [SkuUnitsRow(sku=sku, name=names.get(sku), units=n) for sku, n in units.items() if n]
    devices = by_key(sums, INSTALLATIONS_CREATED)
    device_rows = [
        DeviceTypeUsageRow(device_type=device, installations=n) for device, n in devices.items() if n
    ]
    sku_installations = by_key(sums, INSTALLATIONS_SKU)
    sku_units = by_key(sums, INSTALLATIONS_SKU_UNITS)
    usage_rows = [
        SkuUsageRow(sku=sku, name=names.get(sku), installations=n, units=sku_units.get(sku, 0))
        for sku, n in sku_installations.items()
        if n
    ]
    head = header(partner_id, chosen, now=now, zone=zone)
    return InventoryReport(
        partner_id=head.partner_id,
        as_of=head.as_of,
        range=head.range,
        previous_range=head.previous_range,
        summary=summary,
        series=InventorySeries(daily=daily),
        tables=InventoryTables(
            stock=stock,
            units_by_sku=sorted(units_rows, key=lambda row: (-row.units, row.sku)),
            usage_by_device_type=sorted(device_rows, key=lambda row: (-row.installations, row.device_type)),
            usage_by_sku=sorted(usage_rows, key=lambda row: (-row.installations, -row.units, row.sku)),
        ),
    )


async def read_inventory(read_models: ReadModels, query: ReportQuery) -> InventoryReport:
    """The inventory tab, read in one round trip of one generation."""
    counters, buckets, _ = await read_models.report_inputs(
        query.partner_id, query.days(), [ALL_TIME], names=INVENTORY_COUNTERS
    )
    return inventory_report(
        query.partner_id,
        counters,
        buckets[ALL_TIME],
        query.chosen,
        now=query.now,
        zone=query.zone,
        low_stock_threshold=query.low_stock_threshold,
    )


TAB: Final = ReportTab(
    name="inventory",
    label="Inventory",
    model=InventoryReport,
    read=read_inventory,
    counters=INVENTORY_COUNTERS,
    charts=(
        ChartSpec(series="daily", title="Orders and units sold per day", keys=["orders", "units"]),
        ChartSpec(table="stock", title="Stock on hand", keys=["on_hand"], top=12),
        ChartSpec(
            table="usage_by_device_type",
            title="Device demand: installations by device type",
            keys=["installations"],
        ),
        ChartSpec(table="units_by_sku", title="Units sold by SKU (top 10)", keys=["units"], top=10),
    ),
)
