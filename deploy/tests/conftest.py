import uuid

import pytest


@pytest.fixture
def partner_id() -> str:
    return f"partner-{uuid.uuid4().hex[:12]}"
