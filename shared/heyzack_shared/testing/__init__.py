"""Helpers for tests that run against real servers: wait for a condition, never sleep for a guess."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable


async def wait_until(
    condition: Callable[[], Awaitable[bool] | bool],
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str = "",
) -> None:
    """Return as soon as `condition()` is true; raise AssertionError(message) once `timeout` s have passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        outcome = condition()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return
        if loop.time() >= deadline:
            raise AssertionError(message or f"condition still false after {timeout} s")
        await asyncio.sleep(interval)


__all__ = ["wait_until"]
