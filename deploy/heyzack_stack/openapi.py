"""The OpenAPI document of every service, from the code: `python -m heyzack_stack.openapi [DIR]`.

Each service's app is built with placeholder settings (nothing is connected: the documents come from the
routes and models alone) and its `openapi()` written as `<service>.openapi.json`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from credits.app import create_app as create_credits
from credits.settings import CreditsSettings
from installations.app import create_app as create_installations
from installations.settings import InstallationsSettings
from kpi_projector.app import create_app as create_projector
from kpi_projector.settings import ProjectorSettings
from ratings.app import create_app as create_ratings
from ratings.settings import RatingsSettings

_PLACEHOLDERS = {
    "HEYZACK_JWT_SECRET": "placeholder-secret-for-documentation-only",
    "DATABASE_URL": "postgresql://docs@127.0.0.1/docs",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}
APPS: dict[str, Callable[[], FastAPI]] = {
    "installations": lambda: create_installations(InstallationsSettings.model_validate(_PLACEHOLDERS)),
    "ratings": lambda: create_ratings(RatingsSettings.model_validate(_PLACEHOLDERS)),
    "credits": lambda: create_credits(CreditsSettings.model_validate(_PLACEHOLDERS)),
    "kpi-projector": lambda: create_projector(ProjectorSettings.model_validate(_PLACEHOLDERS)),
}


def documents() -> dict[str, dict[str, Any]]:
    return {name: build().openapi() for name, build in APPS.items()}


def export(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, document in documents().items():
        path = folder / f"{name}.openapi.json"
        path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in export(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/openapi")):
        print(path)
