"""A service app as a real uvicorn HTTP server inside the caller's event loop (tests, benchmarks)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI

from heyzack_shared.service import GRACEFUL_SHUTDOWN_SECONDS
from heyzack_shared.testing import wait_until
from heyzack_stack.ports import free_port


@contextlib.asynccontextmanager
async def serving(app: FastAPI, port: int | None = None) -> AsyncIterator[str]:
    """`app` served at `http://127.0.0.1:<port>` (lifespan included) while the block runs; yields the URL."""
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
    )
    task = asyncio.create_task(server.serve())
    try:
        await wait_until(lambda: _started(server, task), timeout=30, message=f"server on port {port}")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def _started(server: uvicorn.Server, task: asyncio.Task[None]) -> bool:
    if task.done():
        task.result()
        raise RuntimeError("the server stopped")
    return server.started
