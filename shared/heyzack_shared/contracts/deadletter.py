"""What a consumer publishes to heyzack.deadletter.v1 for a message it could not accept."""

from __future__ import annotations

import base64
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict

from heyzack_shared.contracts import topics


class DeadLetter(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    topic: ClassVar[str] = topics.DEADLETTER

    reason: str
    consumer: str
    source_topic: str
    source_partition: int
    source_offset: int
    source_key_base64: str | None
    original_base64: str
    rejected_at: AwareDatetime
    original_size: int | None = None
    """The original's size in bytes when `original_base64` holds only its beginning (a letter must fit
    the broker's message size; the source offset still names the whole record)."""

    @property
    def original(self) -> bytes:
        return base64.b64decode(self.original_base64)
