"""Portal page load in headless Chromium: from navigation start until the page shows data.

The report bench's partner history is projected into Redis; the read API runs as a real uvicorn server. The
portal is opened through the `?token=` link `make run` prints, in a fresh browser context each time (empty
cache: a first visit) and again and again in one context (a return visit), and the page's own User Timing
marks are read: `heyzack:dashboard-shown` (the seven cards drawn from `/v1/dashboard`) and, opening
`/#reports`, `heyzack:report-shown` (the default tab's last-30-days report with its charts). Target: under
200 ms on localhost.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright
from report_bench import projected_partner

from heyzack_stack.inprocess import serving

CHROMIUM = Path("/usr/bin/chromium")
TARGET_MS = 200.0
VIEWS = {"dashboard": "", "report": "#reports"}


async def main(runs: int) -> int:
    async with projected_partner() as partner, serving(partner.app) as url, async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            for view, fragment in VIEWS.items():
                link = f"{url}/?token={partner.token}{fragment}"
                first = [await _first_visit(browser, link, view) for _ in range(runs)]
                print(_describe(view, "first visit", first))
                print(_describe(view, "return visit", await _return_visits(browser, link, view, runs)))
        finally:
            await browser.close()
    return 0


async def _first_visit(browser: Browser, link: str, view: str) -> float:
    """A fresh context: empty cache, nothing warmed up."""
    context = await browser.new_context()
    try:
        return await _shown(await context.new_page(), link, view)
    finally:
        await context.close()


async def _return_visits(browser: Browser, link: str, view: str, runs: int) -> list[float]:
    """One context opening the page again and again, like a partner coming back to the portal."""
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await _shown(page, link, view)
        return [await _shown(page, link, view) for _ in range(runs)]
    finally:
        await context.close()


async def _shown(page: Page, link: str, view: str) -> float:
    """Milliseconds from navigation start to the view's `shown` mark."""
    await page.goto(link)
    mark = f"heyzack:{view}-shown"
    await page.wait_for_function("(name) => performance.getEntriesByName(name).length > 0", arg=mark)
    shown: float = await page.evaluate("(name) => performance.getEntriesByName(name)[0].startTime", mark)
    return shown


def _describe(view: str, visit: str, timings: list[float]) -> str:
    quantiles = statistics.quantiles(timings, n=20)
    p50, p95 = statistics.median(timings), quantiles[18]
    verdict = "met" if p95 < TARGET_MS else "NOT met"
    return (
        f"portal {view:<9} {visit:<12} until data shown: p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   "
        f"({len(timings)} loads; target < {TARGET_MS:.0f} ms at p95: {verdict})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--runs", type=int, default=30, help="page loads per view (default 30)")
    if not CHROMIUM.exists():
        print("portal page load: skipped, no /usr/bin/chromium (apt-get install chromium)")
        sys.exit(0)
    sys.exit(asyncio.run(main(parser.parse_args().runs)))
