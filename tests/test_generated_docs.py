"""The committed contract documents (`docs/schemas/`, `docs/openapi/`) are exactly what the code generates.

Integrators read those files without running anything, so a change to an event model or a route that is not
followed by `make schemas` would leave them reading a contract the platform no longer keeps. The generators
write sorted keys and no timestamps; each test process has its own hash seed, so an order that depended on
it would show up here as a difference too.
"""

from __future__ import annotations

from pathlib import Path

from heyzack_shared.contracts import schemas
from heyzack_stack import openapi

DOCS = Path(__file__).resolve().parents[1] / "docs"
FIX = "run `make schemas` and commit docs/schemas/ and docs/openapi/"


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


def _compare(committed: Path, fresh: Path) -> None:
    expected, actual = _files(fresh), _files(committed) if committed.is_dir() else {}
    missing = sorted(set(expected) - set(actual))
    stale = sorted(set(actual) - set(expected))
    differ = sorted(name for name in set(expected) & set(actual) if expected[name] != actual[name])
    problems = [
        f"{label} in {committed.relative_to(DOCS.parent)}: {', '.join(names)}"
        for label, names in (("missing", missing), ("not generated any more", stale), ("out of date", differ))
        if names
    ]
    assert not problems, "; ".join(problems) + f" — {FIX}"


def test_event_schemas_and_asyncapi_are_committed_as_generated(tmp_path: Path) -> None:
    schemas.export(tmp_path)
    schemas.export_asyncapi(tmp_path)
    _compare(DOCS / "schemas", tmp_path)


def test_openapi_documents_are_committed_as_generated(tmp_path: Path) -> None:
    openapi.export(tmp_path)
    _compare(DOCS / "openapi", tmp_path)
