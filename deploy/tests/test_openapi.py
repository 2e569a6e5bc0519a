"""The OpenAPI documents come from the services' code, and say what the platform promises."""

from __future__ import annotations

import json
from pathlib import Path

from heyzack_stack.openapi import documents, export

EXPECTED_PATHS = {
    "installations": {"/v1/customers", "/v1/installations", "/v1/installations/{installation_id}/status"},
    "ratings": {"/v1/ratings"},
    "credits": {"/v1/credits", "/v1/credits/apply"},
    "kpi-projector": {
        "/v1/dashboard",
        "/v1/reports",
        "/v1/reports/{tab}",
        "/v1/reports/{tab}/export",
        "/v1/changes",
    },
}


def test_every_service_documents_its_api(tmp_path: Path) -> None:
    written = {path.name: json.loads(path.read_text()) for path in export(tmp_path)}
    assert set(written) == {f"{name}.openapi.json" for name in EXPECTED_PATHS}
    for name, paths in EXPECTED_PATHS.items():
        document = written[f"{name}.openapi.json"]
        assert document["openapi"].startswith("3.")
        assert paths <= set(document["paths"]), name


def test_every_v1_operation_requires_a_bearer_token() -> None:
    for name, document in documents().items():
        for path, operations in document["paths"].items():
            if not path.startswith("/v1/"):
                continue
            for method, operation in operations.items():
                assert operation.get("security") == [{"HTTPBearer": []}], f"{name} {method.upper()} {path}"


def test_live_changes_are_an_event_stream() -> None:
    changes = documents()["kpi-projector"]["paths"]["/v1/changes"]["get"]
    assert "text/event-stream" in changes["responses"]["200"]["content"]
