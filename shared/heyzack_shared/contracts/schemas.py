"""Every event's JSON Schema and the AsyncAPI document: `python -m heyzack_shared.contracts.schemas DIR`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from heyzack_shared.contracts import ALL_EVENTS, asyncapi
from heyzack_shared.contracts.deadletter import DeadLetter
from heyzack_shared.envelope import Envelope


def export(folder: Path) -> list[Path]:
    """Write every event's JSON Schema into `folder`. Keys are sorted and nothing varies between runs (no
    timestamps), so the same code always gives the same bytes: the committed `docs/schemas/` is checked
    against a fresh export."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    models: list[type[Envelope] | type[DeadLetter]] = [*ALL_EVENTS, DeadLetter]
    for model in models:
        schema = model.model_json_schema(mode="serialization")
        schema["x-topic"] = model.topic
        path = folder / f"{model.__name__}.schema.json"
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


def export_asyncapi(folder: Path) -> Path:
    """Write the AsyncAPI document into `folder` as `asyncapi.json`, keys sorted like the schemas."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "asyncapi.json"
    path.write_text(json.dumps(asyncapi.document(), indent=2, sort_keys=True) + "\n")
    return path


if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas")
    for path in export(folder):
        print(path)
    print(export_asyncapi(folder))
